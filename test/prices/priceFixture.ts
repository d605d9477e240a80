import { randomUUID } from "node:crypto";
import type { Database } from "../../app/db/database.server";

export interface PriceShop {
  shopId: string;
  domain: string;
  /** sku → variant id */
  variants: Map<string, string>;
}

/**
 * A Shopify shop whose items are `products` products of `variantsPerProduct` variants each, SKUs
 * `SKU-1`…, external ids in the Shopify simulator's gid form (product p, variant n both from 1).
 */
export async function seedPriceShop(db: Database, options: { products?: number; variantsPerProduct?: number; domain?: string; platform?: "shopify" | "bigcommerce" } = {}): Promise<PriceShop> {
  const shopId = randomUUID();
  const domain = options.domain ?? `prices-${shopId.slice(0, 8)}.myshopify.com`;
  await db.sql.query(`INSERT INTO shop (id, platform, domain) VALUES ($1, $2::"Platform", $3)`, [shopId, options.platform ?? "shopify", domain]);
  const products = options.products ?? 1;
  const perProduct = options.variantsPerProduct ?? 3;
  await db.sql.query(
    `INSERT INTO product (id, shop_id, external_id, title)
     SELECT gen_random_uuid(), $1, 'gid://shopify/Product/' || p, 'Product ' || p FROM generate_series(1, $2::int) p`,
    [shopId, products],
  );
  await db.sql.query(
    `INSERT INTO variant (id, shop_id, product_id, external_id, sku, title, price)
     SELECT gen_random_uuid(), $1, pr.id, 'gid://shopify/ProductVariant/' || n, 'SKU-' || n, 'Variant ' || n, 10
     FROM generate_series(1, $2::int * $3::int) n
     JOIN product pr ON pr.shop_id = $1 AND pr.external_id = 'gid://shopify/Product/' || ((n - 1) / $3::int + 1)`,
    [shopId, products, perProduct],
  );
  const rows = await db.sql.query<{ id: string; sku: string }>(`SELECT id, sku FROM variant WHERE shop_id = $1`, [shopId]);
  return { shopId, domain, variants: new Map(rows.map((row) => [row.sku, row.id])) };
}

export const at = (iso: string) => new Date(iso);
export const plus = (date: Date, ms: number) => new Date(date.getTime() + ms);
