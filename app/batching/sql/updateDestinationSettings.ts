import type { SqlRunner } from "../../db/database.server";
import { COLUMNS, type DestinationRow, type DestinationSettings, settingsParameters } from "./destinationRow";

/**
 * Writes a destination's settings (null credentials or secret keep the stored ones). A changed cadence
 * drops the planned next run; shadow -> live, or another price list (`options.priceList`), asks for a full run. Undefined when not the shop's.
 */
export async function updateDestinationSettings(sql: SqlRunner, shopId: string, id: string, settings: DestinationSettings): Promise<DestinationRow | undefined> {
  const rows = await sql.query<DestinationRow>(
    `UPDATE destination SET name = $3, endpoint = $4, credentials_sealed = COALESCE($5, credentials_sealed), signing_secret_sealed = COALESCE($6, signing_secret_sealed),
       receives = $7::text[], options = $8::jsonb, cadence = $9, size_threshold = $10, requests_per_second = $11, concurrency = $12, batch_size = $13,
       mode = $14::"DestinationMode", variance_threshold = $15, snapshot_retention_days = $16, enabled = $17,
       next_run_at = CASE WHEN cadence = $9 THEN next_run_at END,
       -- Cutover: shadow runs sent nothing, so the first live run sends every item.
       -- Another price list: the destination holds the old list's prices, so every item goes again.
       requested_run = CASE WHEN (mode = 'shadow' AND $14 = 'live') OR (options->>'priceList') IS DISTINCT FROM ($8::jsonb->>'priceList') THEN 'full' ELSE requested_run END,
       updated_at = now()
     WHERE shop_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
    [shopId, id, ...settingsParameters(settings)],
  );
  return rows[0];
}
