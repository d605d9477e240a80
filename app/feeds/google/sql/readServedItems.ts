import type { ItemState } from "../../../batching/types";
import type { SqlRunner } from "../../../db/database.server";

/** What the served snapshot holds of these SKUs (reconciliation's read-back of a pulled feed). */
export async function readServedItems(sql: SqlRunner, destinationId: string, skus: string[]): Promise<Map<string, ItemState>> {
  const rows = await sql.query<{ sku: string; state: ItemState }>(
    `SELECT i.sku, i.state FROM feed f JOIN feed_snapshot_item i ON i.snapshot_id = f.current_snapshot_id WHERE f.destination_id = $1 AND i.sku = ANY($2::text[])`,
    [destinationId, skus],
  );
  return new Map(rows.map((row) => [row.sku, row.state]));
}
