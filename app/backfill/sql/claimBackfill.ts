import type { SqlRunner } from "../../db/database.server";
import { BACKFILL_COLUMNS, type BackfillRecord, toBackfillRecord } from "./backfillRow";

/**
 * Starts a shop's backfill in one statement that cannot race: the shop's row becomes `running`
 * unless another backfill is running and still moving (a running row untouched since
 * `abandonedBefore` was left by a process that died, and is taken over). Undefined when busy.
 */
export async function claimBackfill(sql: SqlRunner, shopId: string, now: Date, abandonedBefore: Date): Promise<BackfillRecord | undefined> {
  const rows = await sql.query<BackfillRecord>(
    `INSERT INTO catalog_backfill (shop_id, state, read_at, started_at, updated_at) VALUES ($1, 'running', $2, $2, $2)
     ON CONFLICT (shop_id) DO UPDATE SET state = 'running', read_at = $2, locations = 0, products = 0, variants = 0, levels = 0,
       error = NULL, started_at = $2, finished_at = NULL, updated_at = $2
     WHERE catalog_backfill.state <> 'running' OR catalog_backfill.updated_at < $3
     RETURNING ${BACKFILL_COLUMNS}`,
    [shopId, now.toISOString(), abandonedBefore.toISOString()],
  );
  return rows[0] ? toBackfillRecord(rows[0]) : undefined;
}
