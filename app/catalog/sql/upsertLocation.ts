import type { SqlRunner } from "../../db/database.server";

/** Writes a location (check its source version first: the row has no source time of its own). A missing name keeps the one it has. */
export async function upsertLocation(tx: SqlRunner, shopId: string, location: { externalId: string; name: string | null; active: boolean }): Promise<void> {
  await tx.query(
    `INSERT INTO location (id, shop_id, external_id, name, active) VALUES (gen_random_uuid(), $1, $2, COALESCE($3, $2), $4)
     ON CONFLICT (shop_id, external_id) DO UPDATE SET name = COALESCE($3, location.name), active = EXCLUDED.active, updated_at = now()`,
    [shopId, location.externalId, location.name, location.active],
  );
}
