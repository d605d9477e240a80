import type { SqlRunner } from "../../db/database.server";
import type { ItemKind } from "../types";
import { changedInRange, latestInRange } from "./itemColumns";

const FIRST_VARIANT = "00000000-0000-0000-0000-000000000000";

/**
 * A run closing before it read all its items (it gave up after its attempts, stopped part-way each
 * time): the items it never recorded join the destination's retry set, so moving the watermark
 * skips nothing. The chaos run found items a given-up run never reached held at the receiver in an
 * older state for good. A delta's items are its range's changed items; a full run's, every variant
 * of the shop (on a named price list: those priced on it). Returns how many were carried.
 */
export async function carryUnreadItems(
  sql: SqlRunner,
  run: { id: string; destinationId: string; shopId: string; from: string; to: string },
  kind: ItemKind,
  options: { full: boolean; priceList: string },
): Promise<number> {
  const unread = options.full
    ? `SELECT v.id AS variant_id, v.sku FROM variant v
       WHERE v.shop_id = $4::uuid AND v.sku IS NOT NULL
         AND ($2 <> 'price' OR $5 = 'default' OR EXISTS (SELECT 1 FROM price_version pv WHERE pv.shop_id = v.shop_id AND pv.variant_id = v.id AND pv.list = $5 AND pv.superseded_at IS NULL AND pv.valid_from <= now()))`
    : `SELECT l.variant_id, v.sku FROM change_latest l JOIN variant v ON v.id = l.variant_id
       WHERE ${latestInRange({ shopId: "$4::uuid", kind: "$2", priceList: "$5", after: `'${FIRST_VARIANT}'`, from: "$6" })} AND ${changedInRange({ from: "$6", to: "$7" })}
         AND v.sku IS NOT NULL`;
  const rows = await sql.query<{ n: number }>(
    `WITH carried AS (
       INSERT INTO destination_retry (destination_id, kind, variant_id, sku, first_run_id, last_run_id, reason)
       SELECT $1::uuid, $2, u.variant_id, u.sku, $3::bigint, $3::bigint, 'not reached before run ' || $3 || ' closed'
       FROM (${unread}) u
       WHERE NOT EXISTS (SELECT 1 FROM run_item i WHERE i.run_id = $3::bigint AND i.kind = $2 AND i.variant_id = u.variant_id)
       ON CONFLICT (destination_id, kind, variant_id) DO UPDATE SET
         sku = EXCLUDED.sku, last_run_id = EXCLUDED.last_run_id, runs = destination_retry.runs + 1, reason = EXCLUDED.reason
       RETURNING 1
     )
     SELECT count(*)::int AS n FROM carried`,
    [run.destinationId, kind, run.id, run.shopId, options.priceList, ...(options.full ? [] : [run.from, run.to])],
  );
  return rows[0]?.n ?? 0;
}
