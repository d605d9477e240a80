import type { SqlRunner } from "../../db/database.server";
import type { ItemKind } from "../types";
import { currentVersion, type ItemRow, isoText, itemColumns, itemJoins } from "./itemColumns";

/**
 * The next page of every item of a shop (full runs, snapshot feeds), in variant order after `after`.
 * Its version is the one a delta would carry: a stock item's is its levels' newest source time (the
 * chaos run found full runs labelling stock with the variant's catalog time, the epoch when the
 * platform never gave one), the others' the variant's. On a named `priceList`, price items are the
 * variants priced on that list, versioned by the start of the version that holds.
 */
export async function readEveryItem(sql: SqlRunner, shopId: string, kind: ItemKind, after: string, limit: number, priceList = "default"): Promise<ItemRow[]> {
  return sql.query<ItemRow>(
    `WITH c AS (
       SELECT e.id AS variant_id,
         CASE WHEN $2 = 'price' AND $5 <> 'default'
           THEN (SELECT max(pv.valid_from) FROM price_version pv WHERE pv.shop_id = $1 AND pv.variant_id = e.id AND pv.list = $5 AND pv.superseded_at IS NULL AND pv.valid_from <= now())
           ELSE ${currentVersion(kind, "e.id")} END AS version
       FROM variant e WHERE e.shop_id = $1 AND e.id > $3::uuid
         AND ($2 <> 'price' OR $5 = 'default' OR EXISTS (SELECT 1 FROM price_version pv WHERE pv.shop_id = $1 AND pv.variant_id = e.id AND pv.list = $5 AND pv.superseded_at IS NULL AND pv.valid_from <= now()))
       ORDER BY e.id LIMIT $4
     )
     SELECT c.variant_id AS "variantId", '0' AS "changeId", ${isoText("c.version")} AS version, ${isoText("c.version")} AS "occurredAt", 0 AS changes, ${itemColumns(kind)}
     FROM c ${itemJoins("$2", "$5::text")}
     ORDER BY c.variant_id`,
    [shopId, kind, after, limit, priceList],
  );
}
