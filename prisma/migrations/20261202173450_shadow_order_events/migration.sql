-- CreateTable
CREATE TABLE "shadow_order_event" (
    "id" BIGSERIAL NOT NULL,
    "destination_id" UUID NOT NULL,
    "shop_id" UUID NOT NULL,
    "order_key" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "body" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "shadow_order_event_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "shadow_order_event_destination_id_id_idx" ON "shadow_order_event"("destination_id", "id");

-- CreateIndex
CREATE INDEX "shadow_order_event_shop_id_idx" ON "shadow_order_event"("shop_id");

-- AddForeignKey
ALTER TABLE "shadow_order_event" ADD CONSTRAINT "shadow_order_event_destination_id_fkey" FOREIGN KEY ("destination_id") REFERENCES "destination"("id") ON DELETE CASCADE ON UPDATE CASCADE;
