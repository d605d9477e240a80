import type { SqlRunner } from "../../db/database.server";
import { commitReflected } from "../../inventory/sql/committedHolds";

/**
 * Drops committed holds the platform's inventory now reflects (they already count zero), and
 * those older than `forgetBefore` no level of their item reflected (an untracked item): keeps `pending` short.
 */
export async function forgetReflectedCommits(sql: SqlRunner, input: { forgetBefore: Date }): Promise<number> {
  const rows = await sql.query<{ count: number }>(
    `WITH locked AS MATERIALIZED (
      SELECT h.variant_id, h.scope FROM stock_hold h WHERE h.pending <> '[]'::jsonb
      ORDER BY h.variant_id, h.scope FOR UPDATE OF h SKIP LOCKED
    ),
    trimmed AS (
      UPDATE stock_hold h SET pending = coalesce((
        SELECT jsonb_agg(e) FROM jsonb_array_elements(h.pending) e
        WHERE (e->>'at')::timestamptz >= $1::timestamptz
          AND NOT ${commitReflected("h.variant_id", "e")}
      ), '[]'::jsonb)
      FROM locked k WHERE h.variant_id = k.variant_id AND h.scope = k.scope
      RETURNING 1
    )
    SELECT count(*)::int AS count FROM trimmed`,
    [input.forgetBefore],
  );
  return rows[0]?.count ?? 0;
}
