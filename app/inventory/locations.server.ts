import { LockstepError } from "../config/errors";
import type { Database } from "../db/database.server";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * Finds a shop's location by our id or by the platform's (storefronts know the platform's).
 * Remembered per process: a location's ids never change, and an unknown one is not remembered.
 */
export function createLocationResolver(db: Database): { resolve(shopId: string, location: string): Promise<string> } {
  const known = new Map<string, string>();
  return {
    async resolve(shopId, location) {
      const memoKey = `${shopId}\n${location}`;
      const hit = known.get(memoKey);
      if (hit) return hit;
      const uuid = isUuid(location);
      const rows = await db.sql.query<{ id: string }>(
        `SELECT id FROM location WHERE shop_id = $1::uuid AND (external_id = $2 OR ($3::boolean AND id = $4::uuid))`,
        [shopId, location, uuid, uuid ? location : null],
      );
      if (!rows[0]) throw new LockstepError("unknown_location", `Unknown location ${location}`);
      known.set(memoKey, rows[0].id);
      return rows[0].id;
    },
  };
}
