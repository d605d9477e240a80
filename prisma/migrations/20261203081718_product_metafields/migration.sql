-- AlterTable
ALTER TABLE "product" ADD COLUMN     "metafields" JSONB;
