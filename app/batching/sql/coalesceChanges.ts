import type { SqlRunner } from "../../db/database.server";
import type { ItemKind } from "../types";
import { changedInRange, type ItemRow, isoText, itemColumns, itemJoins, latestInRange } from "./itemColumns";

/**
 * The next page of coalesced items of one kind in a change range: one row per variant changed in
 * the range (after `after`, in variant order) with its current state, labelled with that state's
 * version and change. Reads `change_latest` (one row per item, kept at capture in the transaction
 * that changed the state, so read in the same snapshot it is the state's label), not the change
 * log: a page costs its own items, however many changes the range folds. An item whose newest
 * change is past the range (changed again since the run fixed it) is in the run only if it also
 * changed inside the range — the rare case that reads the change log — and goes with its newer
 * version, as it goes in its newer state: labelled with the range's version, a receiver keeping the
 * newest version would hold a newer state under an older label, and the next run's delta skip
 * would compare against the wrong version (the chaos run's "version labelling" finding).
 * `changes` is 0: the run counts its changes once per kind (`countChanges`). Price changes are
 * those of the destination's `priceList` (`default`: the store's own); its catalog items carry that
 * list's price too. `until` (a `coalescedPageEnd`) bounds the page by variant id as well.
 */
export async function coalesceChanges(
  sql: SqlRunner,
  range: { shopId: string; kind: ItemKind; from: string; to: string; priceList?: string },
  after: string,
  limit: number,
  until?: string,
): Promise<ItemRow[]> {
  return sql.query<ItemRow>(
    `WITH c AS (
       SELECT l.variant_id, l.change_id, l.source_version AS version, l.occurred_at
       FROM change_latest l
       WHERE ${latestInRange({ shopId: "$1", kind: "$2", priceList: "$7", after: "$5", from: "$3" })}${until === undefined ? "" : " AND l.variant_id <= $8::uuid"}
         AND ${changedInRange({ from: "$3", to: "$4" })}
       ORDER BY l.variant_id LIMIT $6
     )
     SELECT c.variant_id AS "variantId", c.change_id::text AS "changeId", ${isoText("c.version")} AS version, ${isoText("c.occurred_at")} AS "occurredAt", 0 AS changes, ${itemColumns(range.kind)}
     FROM c ${itemJoins("$2", "$7::text", until === undefined ? undefined : { after: "$5::uuid", until: "$8::uuid" })}
     ORDER BY c.variant_id`,
    [range.shopId, range.kind, range.from, range.to, after, limit, range.priceList ?? "default", ...(until === undefined ? [] : [until])],
  );
}
