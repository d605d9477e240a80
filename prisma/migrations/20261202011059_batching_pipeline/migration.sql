-- CreateEnum
CREATE TYPE "DestinationKind" AS ENUM ('erp_http', 'sftp_files', 'google_feed', 'amazon_listings');

-- CreateEnum
CREATE TYPE "DestinationMode" AS ENUM ('shadow', 'live');

-- CreateTable
CREATE TABLE "destination" (
    "id" UUID NOT NULL,
    "shop_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "DestinationKind" NOT NULL,
    "endpoint" TEXT NOT NULL,
    "credentials_sealed" TEXT,
    "signing_secret_sealed" TEXT NOT NULL,
    "receives" TEXT[],
    "options" JSONB NOT NULL DEFAULT '{}',
    "cadence" TEXT NOT NULL DEFAULT '*/15 * * * *',
    "size_threshold" INTEGER,
    "requests_per_second" DOUBLE PRECISION NOT NULL DEFAULT 5,
    "concurrency" INTEGER NOT NULL DEFAULT 2,
    "batch_size" INTEGER NOT NULL DEFAULT 100,
    "mode" "DestinationMode" NOT NULL DEFAULT 'shadow',
    "variance_threshold" DOUBLE PRECISION NOT NULL DEFAULT 0.001,
    "snapshot_retention_days" INTEGER NOT NULL DEFAULT 30,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "watermark" BIGINT NOT NULL DEFAULT 0,
    "next_run_at" TIMESTAMPTZ(3),
    "requested_run" TEXT,
    "lease_owner" TEXT,
    "lease_until" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "destination_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "change_record" (
    "id" BIGSERIAL NOT NULL,
    "shop_id" UUID NOT NULL,
    "variant_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "source_version" TIMESTAMPTZ(3) NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "source" TEXT NOT NULL,
    "captured_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "change_record_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "destination_run" (
    "id" BIGSERIAL NOT NULL,
    "destination_id" UUID NOT NULL,
    "shop_id" UUID NOT NULL,
    "reason" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'running',
    "mode" "DestinationMode" NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 1,
    "watermark_from" BIGINT NOT NULL,
    "watermark_to" BIGINT NOT NULL,
    "rollback_of" BIGINT,
    "changes_in" INTEGER NOT NULL DEFAULT 0,
    "items_after_coalescing" INTEGER NOT NULL DEFAULT 0,
    "sent" INTEGER NOT NULL DEFAULT 0,
    "rejected" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "files" JSONB NOT NULL DEFAULT '[]',
    "manifest" JSONB,
    "signature" TEXT,
    "variance" DOUBLE PRECISION,
    "error" TEXT,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "destination_run_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "run_item" (
    "run_id" BIGINT NOT NULL,
    "destination_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "variant_id" UUID NOT NULL,
    "sku" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "reason" TEXT,
    "batch_id" TEXT,
    "version" TIMESTAMPTZ(3) NOT NULL,
    "change_id" BIGINT NOT NULL,
    "state" JSONB NOT NULL,

    CONSTRAINT "run_item_pkey" PRIMARY KEY ("run_id","kind","variant_id")
);

-- CreateTable
CREATE TABLE "reconciliation_alert" (
    "id" BIGSERIAL NOT NULL,
    "run_id" BIGINT NOT NULL,
    "destination_id" UUID NOT NULL,
    "variance" DOUBLE PRECISION NOT NULL,
    "mismatched" INTEGER NOT NULL,
    "sent" INTEGER NOT NULL,
    "items" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reconciliation_alert_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "destination_next_run_at_idx" ON "destination"("next_run_at");

-- CreateIndex
CREATE UNIQUE INDEX "destination_shop_id_name_key" ON "destination"("shop_id", "name");

-- CreateIndex
CREATE INDEX "change_record_shop_id_kind_variant_id_id_idx" ON "change_record"("shop_id", "kind", "variant_id", "id");

-- CreateIndex
CREATE INDEX "change_record_shop_id_id_idx" ON "change_record"("shop_id", "id");

-- CreateIndex
CREATE INDEX "destination_run_destination_id_id_idx" ON "destination_run"("destination_id", "id");

-- CreateIndex
CREATE INDEX "run_item_destination_id_kind_variant_id_run_id_idx" ON "run_item"("destination_id", "kind", "variant_id", "run_id");

-- CreateIndex
CREATE INDEX "reconciliation_alert_destination_id_id_idx" ON "reconciliation_alert"("destination_id", "id");

-- AddForeignKey
ALTER TABLE "destination" ADD CONSTRAINT "destination_shop_id_fkey" FOREIGN KEY ("shop_id") REFERENCES "shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "destination_run" ADD CONSTRAINT "destination_run_destination_id_fkey" FOREIGN KEY ("destination_id") REFERENCES "destination"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run_item" ADD CONSTRAINT "run_item_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "destination_run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "reconciliation_alert" ADD CONSTRAINT "reconciliation_alert_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "destination_run"("id") ON DELETE CASCADE ON UPDATE CASCADE;
