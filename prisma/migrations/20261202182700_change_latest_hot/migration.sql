-- change_latest's upserts stay HOT updates (no new index entries, pruned in place) however often an
-- item changes: only its key is indexed, and every page keeps room for the new row versions.
DROP INDEX "change_latest_shop_id_kind_change_id_idx";

ALTER TABLE "change_latest" SET (fillfactor = 50);
