import type { SqlRunner } from "../../db/database.server";
import { loweredAt } from "../../inventory/sql/committedHolds";
import { LOCATE_LEVELS } from "./locateLevels";

/** One level as the newest report of a batch gives it (see app/webhooks/consumers.server.ts). */
export interface LevelReport {
  shop_id: string;
  item: string;
  location: string;
  quantity: number;
  at: string;
  /** The batch's oldest report of this level, when it held more than one (else null). */
  first_quantity: number | null;
  first_at: string | null;
  /** The newest report of the batch that lowered the quantity the one before it gave. */
  lowered_in_batch: string | null;
}

/** What the quantity means: Shopify reports `available`, BigCommerce `on_hand`; `zero` is a disconnected level. */
export type LevelReportMode = "available" | "on_hand" | "zero";

// What a reported quantity leaves sellable at `level`.
const sellable = (quantity: string, level: string) => `CASE WHEN $2 = 'on_hand' THEN ${quantity} - ${level}.committed ELSE ${quantity} END`;

/**
 * Writes level reports of one mode in one statement; state only moves forward (an older report
 * changes nothing). On_hand is physical units = available + committed (committed kept as is); a
 * disconnected level drops to zero but stays, as a tombstone. Returns the items no variant carries
 * yet (their reports were not written).
 */
export async function applyLevelReports(tx: SqlRunner, reports: LevelReport[], mode: LevelReportMode): Promise<Array<{ shop_id: string; item: string }>> {
  return tx.query<{ shop_id: string; item: string }>(
    `WITH input AS (
       SELECT * FROM json_to_recordset($1::json)
         AS i(shop_id uuid, item text, location text, quantity int, at timestamptz, first_quantity int, first_at timestamptz, lowered_in_batch timestamptz)
     ), ${LOCATE_LEVELS}, target AS (
       -- When the older changes of the batch lowered the level (the newest is compared in the update).
       SELECT t.*, greatest(
                CASE WHEN t.first_at > cur.source_updated_at
                      AND ${sellable("t.first_quantity", "cur")} < cur.on_hand - cur.committed
                     THEN t.first_at END,
                CASE WHEN cur.source_updated_at IS NULL OR t.lowered_in_batch > cur.source_updated_at THEN t.lowered_in_batch END
              ) AS lowered_before
       FROM located t LEFT JOIN inventory_level cur ON cur.variant_id = t.variant_id AND cur.location_id = t.location_id
     ), applied AS (
       INSERT INTO inventory_level (shop_id, variant_id, location_id, on_hand, committed, source_updated_at, lowered_at, updated_at)
       SELECT shop_id, variant_id, location_id, CASE WHEN $2 = 'zero' THEN 0 ELSE quantity END, 0, at, lowered_before, now() FROM target
       ON CONFLICT (variant_id, location_id) DO UPDATE SET
         on_hand = CASE $2 WHEN 'zero' THEN 0 WHEN 'on_hand' THEN EXCLUDED.on_hand ELSE EXCLUDED.on_hand + inventory_level.committed END,
         committed = CASE WHEN $2 = 'zero' THEN 0 ELSE inventory_level.committed END,
         lowered_at = ${loweredAt({
           level: "inventory_level",
           sellable: sellable("EXCLUDED.on_hand", "inventory_level"),
           at: "EXCLUDED.source_updated_at",
           loweredInBatch: "EXCLUDED.lowered_at",
         })},
         source_updated_at = EXCLUDED.source_updated_at, updated_at = now()
       WHERE inventory_level.source_updated_at IS NULL OR inventory_level.source_updated_at <= EXCLUDED.source_updated_at
       RETURNING 1
     )
     SELECT DISTINCT i.shop_id, i.item FROM input i
     WHERE NOT EXISTS (SELECT 1 FROM target t WHERE t.shop_id = i.shop_id AND t.item = i.item)`,
    [JSON.stringify(reports), mode],
  );
}
