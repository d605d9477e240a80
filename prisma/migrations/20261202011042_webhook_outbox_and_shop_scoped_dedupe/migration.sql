-- DropIndex
DROP INDEX "webhook_inbox_platform_delivery_id_key";

-- DropIndex
DROP INDEX "webhook_inbox_platform_topic_event_id_key";

-- AlterTable
ALTER TABLE "webhook_inbox" ADD COLUMN     "lease_expiries" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "webhook_outbox" (
    "id" BIGSERIAL NOT NULL,
    "shop_id" UUID NOT NULL,
    "inbox_id" BIGINT NOT NULL,
    "event" JSONB NOT NULL,
    "state" "WebhookState" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lease_expiries" INTEGER NOT NULL DEFAULT 0,
    "run_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "locked_by" TEXT,
    "locked_until" TIMESTAMPTZ(3),
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "dead_at" TIMESTAMPTZ(3),

    CONSTRAINT "webhook_outbox_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "webhook_outbox_state_run_at_idx" ON "webhook_outbox"("state", "run_at");

-- CreateIndex
CREATE INDEX "webhook_outbox_shop_id_idx" ON "webhook_outbox"("shop_id");

-- CreateIndex
CREATE UNIQUE INDEX "webhook_inbox_platform_shop_id_delivery_id_key" ON "webhook_inbox"("platform", "shop_id", "delivery_id");

-- CreateIndex
CREATE UNIQUE INDEX "webhook_inbox_platform_shop_id_topic_event_id_key" ON "webhook_inbox"("platform", "shop_id", "topic", "event_id");
