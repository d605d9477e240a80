-- CreateTable
CREATE TABLE "price_version" (
    "id" BIGSERIAL NOT NULL,
    "shop_id" UUID NOT NULL,
    "variant_id" UUID NOT NULL,
    "list" TEXT NOT NULL DEFAULT 'default',
    "amount" DECIMAL(14,4) NOT NULL,
    "currency" TEXT NOT NULL,
    "compare_at" DECIMAL(14,4),
    "valid_from" TIMESTAMPTZ(3) NOT NULL,
    "valid_to" TIMESTAMPTZ(3),
    "source" TEXT NOT NULL,
    "created_by" TEXT NOT NULL,
    "sale_id" UUID,
    "source_updated_at" TIMESTAMPTZ(3),
    "recorded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "superseded_at" TIMESTAMPTZ(3),
    "superseded_by" BIGINT,

    CONSTRAINT "price_version_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "price_sale" (
    "id" UUID NOT NULL,
    "shop_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "list" TEXT NOT NULL DEFAULT 'default',
    "starts_at" TIMESTAMPTZ(3) NOT NULL,
    "ends_at" TIMESTAMPTZ(3) NOT NULL,
    "kind" TEXT NOT NULL,
    "value" DECIMAL(14,4) NOT NULL,
    "item_count" INTEGER NOT NULL DEFAULT 0,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "price_sale_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "price_activation" (
    "id" BIGSERIAL NOT NULL,
    "shop_id" UUID NOT NULL,
    "version_id" BIGINT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "run_at" TIMESTAMPTZ(3) NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lease_expiries" INTEGER NOT NULL DEFAULT 0,
    "locked_by" TEXT,
    "locked_until" TIMESTAMPTZ(3),
    "last_error" TEXT,
    "dead_at" TIMESTAMPTZ(3),
    "applied_at" TIMESTAMPTZ(3),
    "lag_ms" INTEGER,
    "outcome" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "price_activation_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "price_version_shop_id_variant_id_list_valid_from_idx" ON "price_version"("shop_id", "variant_id", "list", "valid_from");

-- CreateIndex
CREATE INDEX "price_version_shop_id_sale_id_idx" ON "price_version"("shop_id", "sale_id");

-- CreateIndex
CREATE INDEX "price_sale_shop_id_starts_at_idx" ON "price_sale"("shop_id", "starts_at");

-- CreateIndex
CREATE UNIQUE INDEX "price_activation_version_id_key" ON "price_activation"("version_id");

-- CreateIndex
CREATE INDEX "price_activation_state_run_at_idx" ON "price_activation"("state", "run_at");

-- CreateIndex
CREATE INDEX "price_activation_shop_id_run_at_idx" ON "price_activation"("shop_id", "run_at");

-- AddForeignKey
ALTER TABLE "price_version" ADD CONSTRAINT "price_version_shop_id_fkey" FOREIGN KEY ("shop_id") REFERENCES "shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "price_version" ADD CONSTRAINT "price_version_variant_id_fkey" FOREIGN KEY ("variant_id") REFERENCES "variant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "price_sale" ADD CONSTRAINT "price_sale_shop_id_fkey" FOREIGN KEY ("shop_id") REFERENCES "shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "price_activation" ADD CONSTRAINT "price_activation_shop_id_fkey" FOREIGN KEY ("shop_id") REFERENCES "shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The overlap rule (app/prices/README.md), enforced by the database whoever writes: no two active
-- versions of one item and list share an instant. An exclusion constraint on tstzrange would need
-- btree_gist, which PGlite only has when every instance (the schema engine's too) loads it: a
-- trigger serialised per item and list with an advisory lock gives the same guarantee on both.
CREATE OR REPLACE FUNCTION lockstep_price_version_no_overlap() RETURNS trigger
LANGUAGE plpgsql AS $lockstep$
DECLARE
  clash record;
BEGIN
  IF NEW.amount < 0 OR NEW.compare_at < 0 THEN
    RAISE EXCEPTION 'price_negative: a price cannot be negative' USING ERRCODE = '23514';
  END IF;
  IF NEW.valid_to IS NOT NULL AND NEW.valid_to <= NEW.valid_from THEN
    RAISE EXCEPTION 'price_empty_range: valid_to must be after valid_from' USING ERRCODE = '23514';
  END IF;
  IF NEW.superseded_at IS NOT NULL THEN
    RETURN NEW;
  END IF;
  PERFORM pg_advisory_xact_lock(20557, hashtext(NEW.shop_id::text || NEW.variant_id::text || NEW.list));
  -- Planned per call (EXECUTE): a plan cached while the table was small would scan it whole on every row of a bulk insert.
  EXECUTE 'SELECT id, valid_from, valid_to FROM price_version
    WHERE shop_id = $1 AND variant_id = $2 AND list = $3 AND superseded_at IS NULL AND id <> $4
      AND tstzrange(valid_from, valid_to) && tstzrange($5, $6)
    LIMIT 1' INTO clash USING NEW.shop_id, NEW.variant_id, NEW.list, NEW.id, NEW.valid_from, NEW.valid_to;
  IF clash.id IS NOT NULL THEN
    RAISE EXCEPTION 'price_overlap: version % [%, %) overlaps version % [%, %) of the same item and list',
      NEW.id, NEW.valid_from, coalesce(NEW.valid_to::text, 'open'), clash.id, clash.valid_from, coalesce(clash.valid_to::text, 'open')
      USING ERRCODE = '23P01', DETAIL = json_build_object('conflictingVersion', clash.id::text)::text;
  END IF;
  RETURN NEW;
END
$lockstep$;

CREATE TRIGGER price_version_no_overlap BEFORE INSERT OR UPDATE ON price_version
FOR EACH ROW EXECUTE FUNCTION lockstep_price_version_no_overlap();
