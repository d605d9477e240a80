-- CreateTable
CREATE TABLE "price_list_target" (
    "shop_id" UUID NOT NULL,
    "list" TEXT NOT NULL,
    "bigcommerce_price_list_id" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "price_list_target_pkey" PRIMARY KEY ("shop_id","list")
);

-- AddForeignKey
ALTER TABLE "price_list_target" ADD CONSTRAINT "price_list_target_shop_id_fkey" FOREIGN KEY ("shop_id") REFERENCES "shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;
