-- DropForeignKey
ALTER TABLE "reservation" DROP CONSTRAINT "reservation_shop_id_fkey";
