-- AlterTable
ALTER TABLE "change_latest" DROP CONSTRAINT "change_latest_pkey",
ADD COLUMN     "price_list" TEXT NOT NULL DEFAULT 'default',
ADD CONSTRAINT "change_latest_pkey" PRIMARY KEY ("shop_id", "kind", "price_list", "variant_id");

-- AlterTable
ALTER TABLE "change_record" ADD COLUMN     "price_list" TEXT NOT NULL DEFAULT 'default';

-- AlterTable
ALTER TABLE "price_activation" ADD COLUMN     "pushed_at" TIMESTAMPTZ(3),
ADD COLUMN     "pushes" INTEGER NOT NULL DEFAULT 0;

-- change_latest keeps one row per item, kind and price list: a destination on a named list reads
-- that list's price changes, the others the store's own (`default`).
CREATE OR REPLACE FUNCTION lockstep_keep_change_latest() RETURNS trigger LANGUAGE plpgsql AS $lockstep$
BEGIN
  INSERT INTO change_latest (shop_id, kind, price_list, variant_id, change_id, source_version, occurred_at)
  SELECT shop_id, kind, price_list, variant_id, max(id), max(source_version), max(occurred_at)
  FROM captured GROUP BY shop_id, kind, price_list, variant_id ORDER BY shop_id, kind, price_list, variant_id
  ON CONFLICT (shop_id, kind, price_list, variant_id) DO UPDATE SET
    change_id = greatest(change_latest.change_id, excluded.change_id),
    source_version = greatest(change_latest.source_version, excluded.source_version),
    occurred_at = greatest(change_latest.occurred_at, excluded.occurred_at);
  RETURN NULL;
END
$lockstep$;
