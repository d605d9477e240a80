-- AlterTable
ALTER TABLE "product" ADD COLUMN     "brand" TEXT,
ADD COLUMN     "condition" TEXT,
ADD COLUMN     "description" TEXT,
ADD COLUMN     "image_url" TEXT,
ADD COLUMN     "url_path" TEXT;

-- AlterTable
ALTER TABLE "variant" ADD COLUMN     "compare_at_price" DECIMAL(14,4),
ADD COLUMN     "gtin" TEXT,
ADD COLUMN     "mpn" TEXT;

-- CreateTable
CREATE TABLE "feed" (
    "destination_id" UUID NOT NULL,
    "current_snapshot_id" BIGINT,
    "published_at" TIMESTAMPTZ(3),
    "last_fetched_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "feed_pkey" PRIMARY KEY ("destination_id")
);

-- CreateTable
CREATE TABLE "feed_snapshot" (
    "id" BIGSERIAL NOT NULL,
    "destination_id" UUID NOT NULL,
    "run_id" BIGINT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'building',
    "items" INTEGER NOT NULL DEFAULT 0,
    "xml_bytes" BIGINT NOT NULL DEFAULT 0,
    "tsv_bytes" BIGINT NOT NULL DEFAULT 0,
    "xml_sha256" TEXT,
    "tsv_sha256" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ready_at" TIMESTAMPTZ(3),

    CONSTRAINT "feed_snapshot_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "feed_snapshot_chunk" (
    "snapshot_id" BIGINT NOT NULL,
    "format" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,

    CONSTRAINT "feed_snapshot_chunk_pkey" PRIMARY KEY ("snapshot_id","format","seq")
);

-- CreateTable
CREATE TABLE "feed_token" (
    "id" BIGSERIAL NOT NULL,
    "destination_id" UUID NOT NULL,
    "token_hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "feed_token_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "feed_alert" (
    "id" BIGSERIAL NOT NULL,
    "destination_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "raised_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolved_at" TIMESTAMPTZ(3),

    CONSTRAINT "feed_alert_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "feed_snapshot_destination_id_id_idx" ON "feed_snapshot"("destination_id", "id");

-- CreateIndex
CREATE INDEX "feed_snapshot_run_id_idx" ON "feed_snapshot"("run_id");

-- CreateIndex
CREATE UNIQUE INDEX "feed_token_token_hash_key" ON "feed_token"("token_hash");

-- CreateIndex
CREATE INDEX "feed_token_destination_id_idx" ON "feed_token"("destination_id");

-- CreateIndex
CREATE INDEX "feed_alert_destination_id_kind_resolved_at_idx" ON "feed_alert"("destination_id", "kind", "resolved_at");

-- AddForeignKey
ALTER TABLE "feed_snapshot_chunk" ADD CONSTRAINT "feed_snapshot_chunk_snapshot_id_fkey" FOREIGN KEY ("snapshot_id") REFERENCES "feed_snapshot"("id") ON DELETE CASCADE ON UPDATE CASCADE;
