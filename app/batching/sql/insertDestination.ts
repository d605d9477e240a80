import type { SqlRunner } from "../../db/database.server";
import type { DestinationKind } from "../types";
import { COLUMNS, type DestinationRow, type DestinationSettings, settingsParameters } from "./destinationRow";

/**
 * Adds a shop's destination; undefined when the shop does not exist or already has a destination of
 * this name (one statement: never a destination of a missing shop, never two of one name).
 */
export async function insertDestination(sql: SqlRunner, destination: DestinationSettings & { shopId: string; kind: DestinationKind }): Promise<DestinationRow | undefined> {
  const [first, ...rest] = settingsParameters(destination);
  const rows = await sql.query<DestinationRow>(
    `INSERT INTO destination (id, shop_id, name, kind, endpoint, credentials_sealed, signing_secret_sealed, receives, options, cadence, size_threshold,
       requests_per_second, concurrency, batch_size, mode, variance_threshold, snapshot_retention_days, enabled, requested_run, updated_at)
     SELECT gen_random_uuid(), $1, $2, $3::"DestinationKind", $4, $5, $6, $7::text[], $8::jsonb, $9, $10, $11, $12, $13, $14::"DestinationMode", $15, $16, $17,
       -- A new destination holds nothing yet: its first run sends every item (the change log only has what changed).
       CASE WHEN $7::text[] && ARRAY['catalog', 'price', 'stock'] THEN 'full' END, now()
     WHERE EXISTS (SELECT 1 FROM shop WHERE id = $1)
     ON CONFLICT (shop_id, name) DO NOTHING
     RETURNING ${COLUMNS}`,
    [destination.shopId, first, destination.kind, ...rest],
  );
  return rows[0];
}
