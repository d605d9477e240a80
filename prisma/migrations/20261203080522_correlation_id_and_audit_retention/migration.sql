-- AlterTable
ALTER TABLE "change_record" ADD COLUMN     "correlation_id" TEXT;

-- CreateTable
CREATE TABLE "audit_retention" (
    "shop_id" UUID NOT NULL,
    "days" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_retention_pkey" PRIMARY KEY ("shop_id")
);

-- CreateIndex
CREATE INDEX "change_record_shop_id_correlation_id_idx" ON "change_record"("shop_id", "correlation_id");
