import type { SqlRunner } from "../../db/database.server";
import { COLUMNS, type DestinationRow } from "./destinationRow";

/** The shop's destinations by name (every shop's when no shop is given). */
export async function listDestinationRows(sql: SqlRunner, shopId?: string): Promise<DestinationRow[]> {
  return sql.query<DestinationRow>(`SELECT ${COLUMNS} FROM destination WHERE $1::uuid IS NULL OR shop_id = $1 ORDER BY shop_id, name`, [shopId ?? null]);
}
