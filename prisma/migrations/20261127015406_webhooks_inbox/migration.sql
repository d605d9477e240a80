-- CreateEnum
CREATE TYPE "WebhookState" AS ENUM ('pending', 'processing', 'processed', 'skipped', 'dead');

-- CreateTable
CREATE TABLE "webhook_inbox" (
    "id" BIGSERIAL NOT NULL,
    "platform" "Platform" NOT NULL,
    "shop_id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "delivery_id" TEXT NOT NULL,
    "event_id" TEXT,
    "payload" TEXT NOT NULL,
    "api_version" TEXT,
    "triggered_at" TIMESTAMPTZ(3),
    "state" "WebhookState" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "run_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "locked_by" TEXT,
    "locked_until" TIMESTAMPTZ(3),
    "last_error" TEXT,
    "replay_count" INTEGER NOT NULL DEFAULT 0,
    "received_at" TIMESTAMPTZ(3) NOT NULL,
    "stored_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processed_at" TIMESTAMPTZ(3),
    "dead_at" TIMESTAMPTZ(3),

    CONSTRAINT "webhook_inbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_attempt" (
    "id" BIGSERIAL NOT NULL,
    "inbox_id" BIGINT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "worker_id" TEXT NOT NULL,
    "error" TEXT NOT NULL,
    "failed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "retry_at" TIMESTAMPTZ(3),

    CONSTRAINT "webhook_attempt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_replay" (
    "id" UUID NOT NULL,
    "requested_by" TEXT NOT NULL,
    "reason" TEXT NOT NULL DEFAULT '',
    "selection" JSONB NOT NULL,
    "inbox_ids" BIGINT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_replay_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "platform_order" (
    "id" UUID NOT NULL,
    "shop_id" UUID NOT NULL,
    "external_id" TEXT NOT NULL,
    "cart_token" TEXT,
    "checkout_token" TEXT,
    "customer_external_id" TEXT,
    "currency" TEXT,
    "total_price" DECIMAL(14,4),
    "financial_status" TEXT,
    "fulfillment_status" TEXT,
    "cancelled" BOOLEAN NOT NULL DEFAULT false,
    "line_items" JSONB NOT NULL DEFAULT '[]',
    "refunds" JSONB NOT NULL DEFAULT '{}',
    "source_updated_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "platform_order_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "source_version" (
    "shop_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "external_id" TEXT NOT NULL,
    "source_updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "source_version_pkey" PRIMARY KEY ("shop_id","kind","external_id")
);

-- CreateTable
CREATE TABLE "compliance_request" (
    "id" UUID NOT NULL,
    "shop_id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "request_external_id" TEXT,
    "customer_external_id" TEXT,
    "result" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "compliance_request_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "webhook_inbox_state_run_at_idx" ON "webhook_inbox"("state", "run_at");

-- CreateIndex
CREATE INDEX "webhook_inbox_shop_id_topic_received_at_idx" ON "webhook_inbox"("shop_id", "topic", "received_at");

-- CreateIndex
CREATE UNIQUE INDEX "webhook_inbox_platform_delivery_id_key" ON "webhook_inbox"("platform", "delivery_id");

-- CreateIndex
CREATE UNIQUE INDEX "webhook_inbox_platform_topic_event_id_key" ON "webhook_inbox"("platform", "topic", "event_id");

-- CreateIndex
CREATE INDEX "webhook_attempt_inbox_id_idx" ON "webhook_attempt"("inbox_id");

-- CreateIndex
CREATE INDEX "webhook_replay_created_at_idx" ON "webhook_replay"("created_at");

-- CreateIndex
CREATE INDEX "platform_order_shop_id_customer_external_id_idx" ON "platform_order"("shop_id", "customer_external_id");

-- CreateIndex
CREATE INDEX "platform_order_shop_id_cart_token_idx" ON "platform_order"("shop_id", "cart_token");

-- CreateIndex
CREATE UNIQUE INDEX "platform_order_shop_id_external_id_key" ON "platform_order"("shop_id", "external_id");

-- CreateIndex
CREATE INDEX "compliance_request_shop_id_created_at_idx" ON "compliance_request"("shop_id", "created_at");

-- AddForeignKey
ALTER TABLE "webhook_inbox" ADD CONSTRAINT "webhook_inbox_shop_id_fkey" FOREIGN KEY ("shop_id") REFERENCES "shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_attempt" ADD CONSTRAINT "webhook_attempt_inbox_id_fkey" FOREIGN KEY ("inbox_id") REFERENCES "webhook_inbox"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "platform_order" ADD CONSTRAINT "platform_order_shop_id_fkey" FOREIGN KEY ("shop_id") REFERENCES "shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "source_version" ADD CONSTRAINT "source_version_shop_id_fkey" FOREIGN KEY ("shop_id") REFERENCES "shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "compliance_request" ADD CONSTRAINT "compliance_request_shop_id_fkey" FOREIGN KEY ("shop_id") REFERENCES "shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;
