-- CreateTable
CREATE TABLE "change_latest" (
    "shop_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "variant_id" UUID NOT NULL,
    "change_id" BIGINT NOT NULL,
    "source_version" TIMESTAMPTZ(3) NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "change_latest_pkey" PRIMARY KEY ("shop_id","kind","variant_id")
);

-- Room on every page for the upserts' new row versions: with only the key indexed they stay HOT
-- updates (no new index entries, pruned in place) however often an item changes.
ALTER TABLE "change_latest" SET (fillfactor = 50);

-- CreateIndex
CREATE INDEX "change_record_shop_id_kind_id_idx" ON "change_record"("shop_id", "kind", "id");

-- The newest change of each item, kept in the statement that captures it (whoever inserts change
-- records: the pipeline's captureChanges, tests, tools). One upsert per statement, rows in key
-- order so two concurrent captures lock the same items in the same order.
CREATE FUNCTION lockstep_keep_change_latest() RETURNS trigger LANGUAGE plpgsql AS $lockstep$
BEGIN
  INSERT INTO change_latest (shop_id, kind, variant_id, change_id, source_version, occurred_at)
  SELECT shop_id, kind, variant_id, max(id), max(source_version), max(occurred_at)
  FROM captured GROUP BY shop_id, kind, variant_id ORDER BY shop_id, kind, variant_id
  ON CONFLICT (shop_id, kind, variant_id) DO UPDATE SET
    change_id = greatest(change_latest.change_id, excluded.change_id),
    source_version = greatest(change_latest.source_version, excluded.source_version),
    occurred_at = greatest(change_latest.occurred_at, excluded.occurred_at);
  RETURN NULL;
END
$lockstep$;

CREATE TRIGGER change_latest_keep AFTER INSERT ON change_record
REFERENCING NEW TABLE AS captured FOR EACH STATEMENT EXECUTE FUNCTION lockstep_keep_change_latest();

-- The change log captured before this migration.
INSERT INTO change_latest (shop_id, kind, variant_id, change_id, source_version, occurred_at)
SELECT shop_id, kind, variant_id, max(id), max(source_version), max(occurred_at)
FROM change_record GROUP BY shop_id, kind, variant_id;
