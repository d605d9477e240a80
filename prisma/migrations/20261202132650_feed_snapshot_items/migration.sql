-- CreateTable
CREATE TABLE "feed_snapshot_item" (
    "snapshot_id" BIGINT NOT NULL,
    "sku" TEXT NOT NULL,
    "state" JSONB NOT NULL,

    CONSTRAINT "feed_snapshot_item_pkey" PRIMARY KEY ("snapshot_id","sku")
);
