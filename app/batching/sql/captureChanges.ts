import type { SqlRunner } from "../../db/database.server";
import type { ItemKind } from "../types";

/** Where a captured change came from (kept for audit). */
export type ChangeSource = "webhook" | "backfill" | "inbound_file" | "price_activation";

/**
 * One change somebody just applied to a variant, named the way the applier knows it: Lockstep's
 * variant id, or the platform's variant or inventory item id. `sourceVersion` is the version the
 * applier wrote into the row's `source_updated_at`.
 */
export interface AppliedChange {
  shopId: string;
  kind: ItemKind;
  variantId?: string;
  variantExternalId?: string;
  inventoryItemExternalId?: string;
  /** Price changes of a named list (B2B, a marketplace): captured as they are; absent: the store's own price, which the variant row carries. */
  priceList?: string;
  sourceVersion: Date;
  occurredAt: Date;
  /** The webhook delivery id that carried the change, for the Trace page (none for other sources). */
  correlationId?: string;
}

/**
 * The advisory lock class of a shop's captures: each capture holds it shared from before its change
 * ids are handed out until it commits; a run fixing its range takes it exclusively (startRun.ts).
 */
export const CAPTURE_LOCK_CLASS = 20561;

/**
 * Writes one change record per change that the item's row now carries (a change older than what
 * the row holds was not applied and is not captured; a named list's price is not on the row: its
 * activation is what applied it). Run it in the transaction that applied the
 * changes: both commit, or neither does. One statement whatever the number of changes.
 */
export async function captureChanges(tx: SqlRunner, source: ChangeSource, changes: AppliedChange[]): Promise<number> {
  if (changes.length === 0) return 0;
  const input = changes.map((change) => ({
    shop_id: change.shopId,
    kind: change.kind,
    variant_id: change.variantId ?? null,
    variant: change.variantExternalId ?? null,
    item: change.inventoryItemExternalId ?? null,
    price_list: change.priceList ?? "default",
    version: change.sourceVersion.toISOString(),
    occurred_at: change.occurredAt.toISOString(),
    correlation_id: change.correlationId ?? null,
  }));
  const rows = await tx.query(
    `WITH locked AS (
       -- Change ids are handed out in insert order but commit in commit order: a run must not fix its
       -- range past an id still uncommitted, or that change falls behind the watermark and is never sent.
       SELECT count(pg_advisory_xact_lock_shared(${CAPTURE_LOCK_CLASS}, h)) AS shops
       FROM (SELECT DISTINCT hashtext(s.shop_id::text) AS h FROM json_to_recordset($1::json) AS s(shop_id uuid) ORDER BY 1) shops
     ), input AS (
       SELECT i.* FROM locked, json_to_recordset($1::json)
         AS i(shop_id uuid, kind text, variant_id uuid, variant text, item text, price_list text, version timestamptz, occurred_at timestamptz, correlation_id text)
     ), resolved AS (
       SELECT DISTINCT ON (v.id, i.kind, i.price_list) i.shop_id, v.id AS variant_id, i.kind, i.price_list, i.version, i.occurred_at, i.correlation_id
       FROM input i
       -- Every lookup is by an index, once per change: joining the ids back to variant, or an EXISTS
       -- (made a hash of the whole table), read every variant or level for each batch.
       JOIN LATERAL (
         SELECT id, product_id, source_updated_at FROM variant WHERE id = i.variant_id AND shop_id = i.shop_id
         UNION SELECT id, product_id, source_updated_at FROM variant WHERE shop_id = i.shop_id AND external_id = i.variant
         UNION SELECT id, product_id, source_updated_at FROM variant WHERE shop_id = i.shop_id AND inventory_item_external_id = i.item
       ) v ON true
       WHERE CASE i.kind
         WHEN 'stock' THEN i.version IN (SELECT l.source_updated_at FROM inventory_level l WHERE l.variant_id = v.id)
         WHEN 'price' THEN i.price_list <> 'default' OR v.source_updated_at = i.version
         ELSE v.source_updated_at = i.version OR i.version IN (SELECT p.source_updated_at FROM product p WHERE p.id = v.product_id)
       END
       ORDER BY v.id, i.kind, i.price_list, i.version DESC
     )
     INSERT INTO change_record (shop_id, variant_id, kind, price_list, source_version, occurred_at, source, correlation_id)
     SELECT shop_id, variant_id, kind, price_list, version, occurred_at, $2, correlation_id FROM resolved
     RETURNING 1`,
    [JSON.stringify(input), source],
  );
  return rows.length;
}
