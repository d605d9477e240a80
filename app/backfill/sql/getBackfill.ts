import type { SqlRunner } from "../../db/database.server";
import { BACKFILL_COLUMNS, type BackfillRecord, toBackfillRecord } from "./backfillRow";

export async function getBackfill(sql: SqlRunner, shopId: string): Promise<BackfillRecord | undefined> {
  const rows = await sql.query<BackfillRecord>(`SELECT ${BACKFILL_COLUMNS} FROM catalog_backfill WHERE shop_id = $1`, [shopId]);
  return rows[0] ? toBackfillRecord(rows[0]) : undefined;
}
