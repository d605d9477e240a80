-- AlterTable
ALTER TABLE "inventory_level" ADD COLUMN     "lowered_at" TIMESTAMPTZ(3);

-- Levels written before this column existed: their last report is taken as the lowering one, which
-- is the rule the committed holds already in `stock_hold.pending` were counted by until now.
UPDATE "inventory_level" SET "lowered_at" = "source_updated_at";
