-- CreateEnum
CREATE TYPE "BackfillState" AS ENUM ('running', 'done', 'failed');

-- CreateTable
CREATE TABLE "catalog_backfill" (
    "shop_id" UUID NOT NULL,
    "state" "BackfillState" NOT NULL,
    "read_at" TIMESTAMPTZ(3),
    "locations" INTEGER NOT NULL DEFAULT 0,
    "products" INTEGER NOT NULL DEFAULT 0,
    "variants" INTEGER NOT NULL DEFAULT 0,
    "levels" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "catalog_backfill_pkey" PRIMARY KEY ("shop_id")
);

-- AddForeignKey
ALTER TABLE "catalog_backfill" ADD CONSTRAINT "catalog_backfill_shop_id_fkey" FOREIGN KEY ("shop_id") REFERENCES "shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;
