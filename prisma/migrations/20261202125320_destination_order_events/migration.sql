-- CreateTable
CREATE TABLE "destination_event" (
    "id" BIGSERIAL NOT NULL,
    "destination_id" UUID NOT NULL,
    "shop_id" UUID NOT NULL,
    "order_key" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "event" JSONB NOT NULL,
    "state" "WebhookState" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lease_expiries" INTEGER NOT NULL DEFAULT 0,
    "run_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "locked_by" TEXT,
    "locked_until" TIMESTAMPTZ(3),
    "last_error" TEXT,
    "replay_count" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "dead_at" TIMESTAMPTZ(3),

    CONSTRAINT "destination_event_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "destination_event_state_run_at_idx" ON "destination_event"("state", "run_at");

-- CreateIndex
CREATE INDEX "destination_event_destination_id_order_key_id_idx" ON "destination_event"("destination_id", "order_key", "id");

-- CreateIndex
CREATE INDEX "destination_event_shop_id_idx" ON "destination_event"("shop_id");

-- AddForeignKey
ALTER TABLE "destination_event" ADD CONSTRAINT "destination_event_destination_id_fkey" FOREIGN KEY ("destination_id") REFERENCES "destination"("id") ON DELETE CASCADE ON UPDATE CASCADE;
