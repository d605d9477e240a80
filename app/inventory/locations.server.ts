import { LockstepError } from "../config/errors";
import type { Database } from "../db/database.server";
import { findLocationId } from "./sql/findLocationId";

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
      const id = await findLocationId(db.sql, shopId, location, isUuid(location));
      if (!id) throw new LockstepError("unknown_location", `Unknown location ${location}`);
      known.set(memoKey, id);
      return id;
    },
  };
}
