import type { SqlRunner } from "../../db/database.server";
import type { ItemKind } from "../types";
import { currentVersion, type ItemRow, isoText, itemColumns, itemJoins } from "./itemColumns";

/**
 * The next page of every item of a shop (full runs, snapshot feeds), in variant order after `after`.
 * Its version is the one a delta would carry: a stock item's is its levels' newest source time (the
 * chaos run found full runs labelling stock with the variant's catalog time, the epoch when the
 * platform never gave one), the others' the variant's.
 */
export async function readEveryItem(sql: SqlRunner, shopId: string, kind: ItemKind, after: string, limit: number): Promise<ItemRow[]> {
  return sql.query<ItemRow>(
    `WITH c AS (
       SELECT e.id AS variant_id, ${currentVersion(kind, "e.id")} AS version
       FROM variant e WHERE e.shop_id = $1 AND e.id > $3::uuid ORDER BY e.id LIMIT $4
     )
     SELECT c.variant_id AS "variantId", '0' AS "changeId", ${isoText("c.version")} AS version, ${isoText("c.version")} AS "occurredAt", 0 AS changes, ${itemColumns(kind)}
     FROM c ${itemJoins("$2")}
     ORDER BY c.variant_id`,
    [shopId, kind, after, limit],
  );
}
