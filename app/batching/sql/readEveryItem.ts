import type { SqlRunner } from "../../db/database.server";
import type { ItemKind } from "../types";
import { type ItemRow, ITEM_COLUMNS, isoText, itemJoins } from "./itemColumns";

/** The next page of every item of a shop (full runs, snapshot feeds), in variant order after `after`. */
export async function readEveryItem(sql: SqlRunner, shopId: string, kind: ItemKind, after: string, limit: number): Promise<ItemRow[]> {
  return sql.query<ItemRow>(
    `WITH c AS (
       SELECT id AS variant_id, source_updated_at FROM variant WHERE shop_id = $1 AND id > $3::uuid ORDER BY id LIMIT $4
     )
     SELECT c.variant_id AS "variantId", '0' AS "changeId", ${isoText("c.source_updated_at")} AS version, ${isoText("c.source_updated_at")} AS "occurredAt", 0 AS changes, ${ITEM_COLUMNS}
     FROM c ${itemJoins("$2")}
     ORDER BY c.variant_id`,
    [shopId, kind, after, limit],
  );
}
