import type { ItemState } from "../../../batching/types";
import type { SqlRunner } from "../../../db/database.server";

/** Records the state of a page's items in the snapshot (a retried page writes the same rows again). */
export async function upsertSnapshotItems(sql: SqlRunner, snapshotId: string, items: Array<{ sku: string; state: ItemState }>): Promise<void> {
  if (items.length === 0) return;
  await sql.query(
    `INSERT INTO feed_snapshot_item (snapshot_id, sku, state) SELECT $1::bigint, i.sku, i.state FROM json_to_recordset($2::json) AS i(sku text, state jsonb)
     ON CONFLICT (snapshot_id, sku) DO UPDATE SET state = EXCLUDED.state`,
    [snapshotId, JSON.stringify(items)],
  );
}
