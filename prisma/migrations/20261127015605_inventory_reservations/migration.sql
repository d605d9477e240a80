-- CreateEnum
CREATE TYPE "AvailabilityMode" AS ENUM ('pooled', 'per_location');

-- CreateEnum
CREATE TYPE "StaleAction" AS ENUM ('cap', 'hide_low_stock', 'block');

-- CreateEnum
CREATE TYPE "VirtualStockKind" AS ENUM ('preorder', 'backorder');

-- CreateEnum
CREATE TYPE "ReservationStatus" AS ENUM ('active', 'released', 'expired', 'committed');

-- CreateTable
CREATE TABLE "inventory_policy" (
    "shop_id" UUID NOT NULL,
    "availability_mode" "AvailabilityMode" NOT NULL DEFAULT 'pooled',
    "default_safety_stock" INTEGER NOT NULL DEFAULT 0,
    "oversell_threshold" INTEGER NOT NULL DEFAULT 0,
    "cache_ttl_seconds" INTEGER NOT NULL DEFAULT 30,
    "stale_after_seconds" INTEGER NOT NULL DEFAULT 900,
    "stale_action" "StaleAction" NOT NULL DEFAULT 'cap',
    "stale_cap_quantity" INTEGER NOT NULL DEFAULT 1,
    "low_stock_threshold" INTEGER NOT NULL DEFAULT 3,
    "reservation_ttl_seconds" INTEGER NOT NULL DEFAULT 900,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "inventory_policy_pkey" PRIMARY KEY ("shop_id")
);

-- CreateTable
CREATE TABLE "inventory_item_setting" (
    "variant_id" UUID NOT NULL,
    "shop_id" UUID NOT NULL,
    "safety_stock" INTEGER,
    "virtual_kind" "VirtualStockKind",
    "virtual_limit" INTEGER NOT NULL DEFAULT 0,
    "promise_date" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "inventory_item_setting_pkey" PRIMARY KEY ("variant_id")
);

-- CreateTable
CREATE TABLE "bundle_component" (
    "shop_id" UUID NOT NULL,
    "bundle_variant_id" UUID NOT NULL,
    "component_variant_id" UUID NOT NULL,
    "quantity" INTEGER NOT NULL,

    CONSTRAINT "bundle_component_pkey" PRIMARY KEY ("bundle_variant_id","component_variant_id")
);

-- CreateTable
CREATE TABLE "stock_hold" (
    "shop_id" UUID NOT NULL,
    "variant_id" UUID NOT NULL,
    "scope" TEXT NOT NULL,
    "reserved" INTEGER NOT NULL DEFAULT 0,
    "sold" INTEGER NOT NULL DEFAULT 0,
    "pending" JSONB NOT NULL DEFAULT '[]',

    CONSTRAINT "stock_hold_pkey" PRIMARY KEY ("variant_id","scope")
);

-- CreateTable
CREATE TABLE "reservation" (
    "id" UUID NOT NULL,
    "shop_id" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "status" "ReservationStatus" NOT NULL DEFAULT 'active',
    "lines" JSONB NOT NULL DEFAULT '[]',
    "holds" JSONB NOT NULL DEFAULT '[]',
    "location_id" UUID,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "released_at" TIMESTAMPTZ(3),
    "release_reason" TEXT,
    "committed_at" TIMESTAMPTZ(3),
    "order_external_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reservation_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "inventory_item_setting_shop_id_idx" ON "inventory_item_setting"("shop_id");

-- CreateIndex
CREATE INDEX "bundle_component_component_variant_id_idx" ON "bundle_component"("component_variant_id");

-- CreateIndex
CREATE INDEX "stock_hold_shop_id_idx" ON "stock_hold"("shop_id");

-- CreateIndex
CREATE INDEX "reservation_status_expires_at_idx" ON "reservation"("status", "expires_at");

-- CreateIndex
CREATE INDEX "reservation_shop_id_status_expires_at_idx" ON "reservation"("shop_id", "status", "expires_at");

-- CreateIndex
CREATE UNIQUE INDEX "reservation_shop_id_key_key" ON "reservation"("shop_id", "key");

-- AddForeignKey
ALTER TABLE "inventory_policy" ADD CONSTRAINT "inventory_policy_shop_id_fkey" FOREIGN KEY ("shop_id") REFERENCES "shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "inventory_item_setting" ADD CONSTRAINT "inventory_item_setting_variant_id_fkey" FOREIGN KEY ("variant_id") REFERENCES "variant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "bundle_component" ADD CONSTRAINT "bundle_component_bundle_variant_id_fkey" FOREIGN KEY ("bundle_variant_id") REFERENCES "variant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "bundle_component" ADD CONSTRAINT "bundle_component_component_variant_id_fkey" FOREIGN KEY ("component_variant_id") REFERENCES "variant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "stock_hold" ADD CONSTRAINT "stock_hold_variant_id_fkey" FOREIGN KEY ("variant_id") REFERENCES "variant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "reservation" ADD CONSTRAINT "reservation_shop_id_fkey" FOREIGN KEY ("shop_id") REFERENCES "shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;
