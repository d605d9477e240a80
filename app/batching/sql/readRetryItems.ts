import type { SqlRunner } from "../../db/database.server";
import type { ItemKind } from "../types";
import { currentVersion, type ItemRow, isoText, itemColumns, itemJoins } from "./itemColumns";

/** How many items of the kind the destination still owes from earlier runs (its retry set). */
export async function countRetryItems(sql: SqlRunner, destinationId: string, kind: ItemKind): Promise<number> {
  const rows = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM destination_retry WHERE destination_id = $1 AND kind = $2`, [destinationId, kind]);
  return rows[0]?.n ?? 0;
}

/** The next page of the destination's retry set of one kind, in variant order after `after`, each item in its current state (prices: on the destination's `priceList`) and that state's version (`currentVersion`). */
export async function readRetryItems(sql: SqlRunner, destinationId: string, kind: ItemKind, after: string, limit: number, priceList = "default"): Promise<ItemRow[]> {
  return sql.query<ItemRow>(
    `WITH c AS (
       SELECT r.variant_id, ${currentVersion(kind, "r.variant_id")} AS source_updated_at
       FROM destination_retry r WHERE r.destination_id = $1 AND r.kind = $2 AND r.variant_id > $3::uuid ORDER BY r.variant_id LIMIT $4
     )
     SELECT c.variant_id AS "variantId", '0' AS "changeId", ${isoText("c.source_updated_at")} AS version, ${isoText("c.source_updated_at")} AS "occurredAt", 0 AS changes, ${itemColumns(kind)}
     FROM c ${itemJoins("$2", "$5::text")}
     ORDER BY c.variant_id`,
    [destinationId, kind, after, limit, priceList],
  );
}
