import type { SqlRunner } from "../../db/database.server";

/** Of these versions, the ones that still hold now (not superseded or cut short since they were prepared): one primary-key read. */
export async function versionsStillCurrent(sql: SqlRunner, versionIds: string[]): Promise<Set<string>> {
  if (versionIds.length === 0) return new Set();
  const rows = await sql.query<{ id: string }>(
    `SELECT id::text AS id FROM price_version WHERE id = ANY($1::bigint[]) AND superseded_at IS NULL AND valid_from <= now() AND (valid_to IS NULL OR valid_to > now())`,
    [versionIds],
  );
  return new Set(rows.map((row) => row.id));
}
