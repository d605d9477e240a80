-- CreateTable
CREATE TABLE "destination_retry" (
    "destination_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "variant_id" UUID NOT NULL,
    "sku" TEXT NOT NULL,
    "first_run_id" BIGINT NOT NULL,
    "last_run_id" BIGINT NOT NULL,
    "runs" INTEGER NOT NULL DEFAULT 1,
    "reason" TEXT,
    "since" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "destination_retry_pkey" PRIMARY KEY ("destination_id","kind","variant_id")
);

-- AddForeignKey
ALTER TABLE "destination_retry" ADD CONSTRAINT "destination_retry_destination_id_fkey" FOREIGN KEY ("destination_id") REFERENCES "destination"("id") ON DELETE CASCADE ON UPDATE CASCADE;
