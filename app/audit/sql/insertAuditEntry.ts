import type { SqlRunner } from "../../db/database.server";

/** Adds one entry (before and after as JSON text, already without secrets); returns its id. */
export async function insertAuditEntry(
  sql: SqlRunner,
  entry: { shopId: string; actor: string; action: string; target: string; before: string | null; after: string | null; at: Date },
): Promise<string> {
  const [row] = await sql.query<{ id: string }>(
    `INSERT INTO audit_entry (shop_id, actor, action, target, before, after, at) VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7) RETURNING id::text`,
    [entry.shopId, entry.actor, entry.action, entry.target, entry.before, entry.after, entry.at],
  );
  return row!.id;
}
