import type { SqlRunner } from "../../app/db/database.server";
import { applyEvents } from "../../app/webhooks/consumers.server";
import type { DomainEvent } from "../../app/events/domainEvents";
import type { Database } from "../../app/db/database.server";

/** A shop's catalog as Lockstep holds it, in a form a test can compare with a simulator's. */
export interface CatalogSnapshot {
  locations: Array<{ id: string; name: string; active: boolean }>;
  products: Array<{ id: string; title: string; status: string }>;
  variants: Array<{ id: string; product: string; item: string; sku: string; title: string; price: number }>;
  levels: Array<{ item: string; location: string; onHand: number; committed: number; incoming: number }>;
}

export async function catalogInDatabase(sql: SqlRunner, shopId: string): Promise<CatalogSnapshot> {
  const locations = await sql.query<CatalogSnapshot["locations"][number]>(
    `SELECT external_id AS id, name, active FROM location WHERE shop_id = $1 ORDER BY external_id`,
    [shopId],
  );
  const products = await sql.query<CatalogSnapshot["products"][number]>(
    `SELECT external_id AS id, title, status FROM product WHERE shop_id = $1 ORDER BY external_id`,
    [shopId],
  );
  const variants = await sql.query<Omit<CatalogSnapshot["variants"][number], "price"> & { price: string }>(
    `SELECT v.external_id AS id, p.external_id AS product, v.inventory_item_external_id AS item, v.sku, v.title, v.price::text AS price
     FROM variant v JOIN product p ON p.id = v.product_id WHERE v.shop_id = $1 ORDER BY v.external_id`,
    [shopId],
  );
  const levels = await sql.query<CatalogSnapshot["levels"][number]>(
    `SELECT v.inventory_item_external_id AS item, l.external_id AS location, il.on_hand AS "onHand", il.committed, il.incoming
     FROM inventory_level il JOIN variant v ON v.id = il.variant_id JOIN location l ON l.id = il.location_id
     WHERE il.shop_id = $1 ORDER BY 1, 2`,
    [shopId],
  );
  return { locations, products, variants: variants.map((variant) => ({ ...variant, price: Number(variant.price) })), levels };
}

export function sortSnapshot(snapshot: CatalogSnapshot): CatalogSnapshot {
  const by = <T>(key: (row: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  return {
    locations: [...snapshot.locations].sort(by((row) => row.id)),
    products: [...snapshot.products].sort(by((row) => row.id)),
    variants: [...snapshot.variants].sort(by((row) => row.id)),
    levels: [...snapshot.levels].sort(by((row) => `${row.item}\n${row.location}`)),
  };
}

export async function countRows(sql: SqlRunner, shopId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of ["location", "product", "variant", "inventory_level"]) {
    counts[table] = (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE shop_id = $1`, [shopId]))[0]!.n;
  }
  return counts;
}

export async function createShop(db: Database, platform: "shopify" | "bigcommerce", domain: string): Promise<string> {
  const [row] = await db.sql.query<{ id: string }>(`INSERT INTO shop (id, platform, domain) VALUES (gen_random_uuid(), $1, $2) RETURNING id`, [platform, domain]);
  return row!.id;
}

/** Applies webhook events the way the worker does: in one transaction. */
export async function applyWebhookEvents(db: Database, events: DomainEvent[]): Promise<void> {
  await db.sql.transaction((tx) => applyEvents(tx, events.map((event, index) => ({ event, inboxId: String(index + 1) }))));
}
