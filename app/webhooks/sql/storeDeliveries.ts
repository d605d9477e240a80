import type { SqlRunner } from "../../db/database.server";
import type { Platform } from "../../generated/prisma/client";

export interface Delivery {
  platform: Platform;
  /** Normalised shop domain: `name.myshopify.com` or `stores/{hash}`. */
  shopDomain: string;
  topic: string;
  deliveryId: string;
  eventId?: string;
  payload: string;
  apiVersion?: string;
  triggeredAt?: Date;
  receivedAt: Date;
}

export type StoreOutcome =
  | { kind: "stored"; inboxId: string; shopId: string }
  | { kind: "duplicate"; shopId: string }
  | { kind: "unknown_shop" }
  | { kind: "shop_uninstalled"; shopId: string };

/** Topics accepted for every known shop, installed or not (the platform must be able to redact). */
export const COMPLIANCE_TOPICS = ["customers/data_request", "customers/redact", "shop/redact"];

interface Row {
  ord: number;
  shop_id: string | null;
  install_state: string | null;
  inbox_id: string | null;
}

/**
 * Stores many deliveries in ONE statement: resolves each shop, drops duplicates (same delivery
 * id, or same event id and topic) through the unique indexes, and says what became of each.
 * Used by the group commit, so concurrent requests share one round trip and one commit.
 */
export async function storeDeliveries(sql: SqlRunner, deliveries: readonly Delivery[]): Promise<StoreOutcome[]> {
  const rows = await sql.query<Row>(
    `WITH input AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::timestamptz[])
         WITH ORDINALITY AS i(platform_name, domain, topic, delivery_id, event_id, payload, api_version, triggered_at, received_at, ord)
     ), resolved AS (
       SELECT i.platform_name::"Platform" AS platform, i.domain, i.topic, i.delivery_id, i.event_id, i.payload, i.api_version, i.triggered_at, i.received_at, i.ord,
         s.id AS shop_id, s.install_state
       FROM input i LEFT JOIN shop s ON s.platform = i.platform_name::"Platform" AND s.domain = i.domain
     ), inserted AS (
       INSERT INTO webhook_inbox (platform, shop_id, topic, delivery_id, event_id, payload, api_version, triggered_at, received_at)
       SELECT platform, shop_id, topic, delivery_id, event_id, payload, api_version, triggered_at, received_at
       FROM resolved
       WHERE shop_id IS NOT NULL AND (install_state = 'installed' OR topic = ANY($10::text[]))
       ORDER BY ord
       ON CONFLICT DO NOTHING
       RETURNING id, platform, delivery_id
     )
     SELECT r.ord::int AS ord, r.shop_id, r.install_state::text AS install_state, ins.id::text AS inbox_id
     FROM resolved r LEFT JOIN inserted ins ON ins.platform = r.platform AND ins.delivery_id = r.delivery_id
     ORDER BY r.ord`,
    [
      deliveries.map((d) => d.platform),
      deliveries.map((d) => d.shopDomain),
      deliveries.map((d) => d.topic),
      deliveries.map((d) => d.deliveryId),
      deliveries.map((d) => d.eventId ?? null),
      deliveries.map((d) => d.payload),
      deliveries.map((d) => d.apiVersion ?? null),
      deliveries.map((d) => d.triggeredAt?.toISOString() ?? null),
      deliveries.map((d) => d.receivedAt.toISOString()),
      COMPLIANCE_TOPICS,
    ],
  );
  return rows.map((row, index): StoreOutcome => {
    if (!row.shop_id) return { kind: "unknown_shop" };
    if (row.inbox_id) return { kind: "stored", inboxId: row.inbox_id, shopId: row.shop_id };
    if (row.install_state !== "installed" && !COMPLIANCE_TOPICS.includes(deliveries[index]!.topic)) {
      return { kind: "shop_uninstalled", shopId: row.shop_id };
    }
    return { kind: "duplicate", shopId: row.shop_id };
  });
}
