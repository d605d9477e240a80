import type { SqlRunner } from "../../db/database.server";

/**
 * A shop's location by the platform's id, or by ours when `location` is a UUID (storefronts know the
 * platform's). Scoped to the shop: another shop's location is never found.
 */
export async function findLocationId(sql: SqlRunner, shopId: string, location: string, isUuid: boolean): Promise<string | null> {
  const rows = await sql.query<{ id: string }>(
    `SELECT id FROM location WHERE shop_id = $1::uuid AND (external_id = $2 OR ($3::boolean AND id = $4::uuid))`,
    [shopId, location, isUuid, isUuid ? location : null],
  );
  return rows[0]?.id ?? null;
}
