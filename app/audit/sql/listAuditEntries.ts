import type { SqlRunner } from "../../db/database.server";
import type { AuditEntry, AuditFilter } from "../audit.server";

/** One shop's entries, newest first, filtered (an action prefix, an actor substring); never another shop's. */
export async function listAuditEntries(sql: SqlRunner, shopId: string, filter: AuditFilter & { limit: number }): Promise<AuditEntry[]> {
  return sql.query<AuditEntry>(
    `SELECT id::text, shop_id AS "shopId", actor, action, target, before, after, at FROM audit_entry
     WHERE shop_id = $1
       AND ($2::text IS NULL OR action LIKE $2 || '%')
       AND ($3::text IS NULL OR actor ILIKE '%' || $3 || '%')
       AND ($4::text IS NULL OR target = $4)
       AND ($5::timestamptz IS NULL OR at >= $5) AND ($6::timestamptz IS NULL OR at < $6)
       AND ($7::bigint IS NULL OR id < $7)
     ORDER BY id DESC LIMIT $8`,
    [shopId, filter.action || null, filter.actor || null, filter.target || null, filter.from ?? null, filter.to ?? null, filter.beforeId ?? null, filter.limit],
  );
}
