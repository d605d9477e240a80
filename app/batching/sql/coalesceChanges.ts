import type { SqlRunner } from "../../db/database.server";
import type { ItemKind } from "../types";
import { type ItemRow, ITEM_COLUMNS, isoText, itemJoins } from "./itemColumns";

/**
 * The next page of coalesced items of one kind in a change range: one row per variant (after
 * `after`, in variant order) with its current state and the newest version folded in. Walks the
 * (shop, kind, variant, id) index, so a page costs its own rows whatever the backlog.
 */
export async function coalesceChanges(
  sql: SqlRunner,
  range: { shopId: string; kind: ItemKind; from: string; to: string },
  after: string,
  limit: number,
): Promise<ItemRow[]> {
  return sql.query<ItemRow>(
    `WITH c AS (
       SELECT variant_id, max(id)::text AS change_id, max(source_version) AS version, max(occurred_at) AS occurred_at, count(*)::int AS changes
       FROM change_record
       WHERE shop_id = $1 AND kind = $2 AND variant_id > $5::uuid AND id > $3::bigint AND id <= $4::bigint
       GROUP BY variant_id ORDER BY variant_id LIMIT $6
     )
     SELECT c.variant_id AS "variantId", c.change_id AS "changeId", ${isoText("c.version")} AS version, ${isoText("c.occurred_at")} AS "occurredAt", c.changes, ${ITEM_COLUMNS}
     FROM c ${itemJoins("$2")}
     ORDER BY c.variant_id`,
    [range.shopId, range.kind, range.from, range.to, after, limit],
  );
}
