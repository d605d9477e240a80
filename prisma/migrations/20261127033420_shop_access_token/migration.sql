-- AlterTable
ALTER TABLE "shop" ADD COLUMN     "access_token_sealed" TEXT;
