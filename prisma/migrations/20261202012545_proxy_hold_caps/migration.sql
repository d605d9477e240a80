-- AlterTable
ALTER TABLE "inventory_policy" ADD COLUMN     "proxy_exact_stock_up_to" INTEGER NOT NULL DEFAULT 5,
ADD COLUMN     "proxy_max_hold_seconds" INTEGER NOT NULL DEFAULT 900,
ADD COLUMN     "proxy_max_quantity" INTEGER NOT NULL DEFAULT 10,
ADD COLUMN     "proxy_max_stock_percent" INTEGER NOT NULL DEFAULT 50;
