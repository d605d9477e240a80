-- AlterTable
ALTER TABLE "price_sale" ADD COLUMN     "cancelled_at" TIMESTAMPTZ(3),
ADD COLUMN     "cancelled_by" TEXT;
