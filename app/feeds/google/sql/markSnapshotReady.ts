import type { SqlRunner } from "../../../db/database.server";

/** A `building` snapshot whose both files are whole becomes `ready` (publishable), with their sizes and hashes. */
export async function markSnapshotReady(
  sql: SqlRunner,
  snapshotId: string,
  result: { items: number; xml: { bytes: number; sha256: string }; tsv: { bytes: number; sha256: string } },
  at: Date,
): Promise<void> {
  await sql.query(
    `UPDATE feed_snapshot SET status = 'ready', items = $2, xml_bytes = $3, xml_sha256 = $4, tsv_bytes = $5, tsv_sha256 = $6, ready_at = $7 WHERE id = $1::bigint AND status = 'building'`,
    [snapshotId, result.items, result.xml.bytes, result.xml.sha256, result.tsv.bytes, result.tsv.sha256, at.toISOString()],
  );
}
