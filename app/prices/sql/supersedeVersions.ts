import type { SqlRunner } from "../../db/database.server";

/** Marks versions replaced (never deleted): they stay in the history, are never current again, and their activation is skipped. */
export async function supersedeVersions(tx: SqlRunner, versionIds: string[], by: string | null): Promise<void> {
  if (versionIds.length === 0) return;
  await tx.query(`UPDATE price_version SET superseded_at = now(), superseded_by = $2::bigint WHERE id = ANY($1::bigint[]) AND superseded_at IS NULL`, [versionIds, by]);
}
