import type { PrismaClient, Shop } from "../generated/prisma/client";
import { installShop, issueApiToken } from "../shops/shops.server";
import type { Sql } from "../db/database.server";
import { seedDemoPrices } from "../prices/demo.server";

export const DEMO_SHOP_DOMAIN = "demo-shop.myshopify.com";

export interface DemoProduct {
  id: number;
  title: string;
  /** Plain-text description (the feed's `description`). */
  description: string;
  variants: { id: number; sku: string; title: string; price: string; stock: [number, number]; gtin?: string }[];
}

/** The demo shop's storefront and brand: what the Google feed's links and `brand` use. */
export const DEMO_STOREFRONT_URL = "https://demo-shop.myshopify.com";
export const DEMO_BRAND = "Lockstep Outfitters";

export function demoHandle(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, "-");
}

export function demoImageUrl(title: string): string {
  return `https://cdn.shopify.example/demo/${demoHandle(title)}.jpg`;
}

// A small outdoor-gear shop: a few hot items with little stock (for the flash sale), some plenty.
export const DEMO_PRODUCTS: DemoProduct[] = [
  { id: 7001, title: "Summit 40L Backpack", description: "A 40-litre trekking pack with a ventilated back panel and rain cover.", variants: [
    { id: 8001, sku: "PACK-40-GRN", title: "Green", price: "149.00", stock: [12, 3], gtin: "4006381333931" },
    { id: 8002, sku: "PACK-40-ORG", title: "Orange", price: "149.00", stock: [4, 0], gtin: "4006381333948" },
  ] },
  { id: 7002, title: "Trail Runner Shoe", description: "Light trail running shoe with a grippy lugged sole.", variants: [
    { id: 8003, sku: "SHOE-TR-42", title: "EU 42", price: "129.00", stock: [8, 2] },
    { id: 8004, sku: "SHOE-TR-43", title: "EU 43", price: "129.00", stock: [6, 1] },
    { id: 8005, sku: "SHOE-TR-44", title: "EU 44", price: "129.00", stock: [2, 0] },
  ] },
  { id: 7003, title: "Ultralight Tent 2P", description: "Two-person freestanding tent at 1.1 kg.", variants: [
    { id: 8006, sku: "TENT-UL-2P", title: "Default", price: "399.00", stock: [5, 0], gtin: "4006381333955" },
  ] },
  { id: 7004, title: "Merino Base Layer", description: "Soft merino wool long-sleeve base layer.", variants: [
    { id: 8007, sku: "MERINO-S", title: "S", price: "79.00", stock: [30, 10] },
    { id: 8008, sku: "MERINO-M", title: "M", price: "79.00", stock: [40, 12] },
    { id: 8009, sku: "MERINO-L", title: "L", price: "79.00", stock: [25, 8] },
  ] },
  { id: 7005, title: "Titanium Spork", description: "A 17 g titanium spork for the trail kitchen.", variants: [
    { id: 8010, sku: "SPORK-TI", title: "Default", price: "12.00", stock: [200, 50] },
  ] },
  { id: 7006, title: "Headlamp 400", description: "400-lumen rechargeable headlamp with red light mode.", variants: [
    { id: 8011, sku: "LAMP-400", title: "Default", price: "49.00", stock: [3, 1], gtin: "4006381333962" },
  ] },
  { id: 7007, title: "Down Jacket (limited drop)", description: "800-fill down jacket, limited run.", variants: [
    { id: 8012, sku: "DOWN-LTD-M", title: "M", price: "299.00", stock: [10, 0] },
    { id: 8013, sku: "DOWN-LTD-L", title: "L", price: "299.00", stock: [10, 0] },
  ] },
  { id: 7008, title: "Water Filter", description: "Squeeze water filter, 0.1 micron.", variants: [
    { id: 8014, sku: "FILTER-SQ", title: "Default", price: "39.00", stock: [60, 15] },
  ] },
];

export const DEMO_LOCATIONS = [
  { id: 9001, name: "Main warehouse" },
  { id: 9002, name: "Downtown store" },
];

/** The demo's inventory item ids follow from its variant ids (the simulated Shopify uses the same). */
export function demoInventoryItemId(variantId: number): number {
  return variantId + 10_000;
}

/**
 * Makes sure the demo shop exists with its catalog and stock. Runs at every demo start but
 * seeds only a database that has no demo shop yet, so the demo's own changes survive restarts.
 */
export async function seedDemoShop(prisma: PrismaClient, options: { apiToken: string; now?: Date; sql?: Sql }): Promise<{ shop: Shop; seeded: boolean }> {
  const existing = await prisma.shop.findUnique({ where: { platform_domain: { platform: "shopify", domain: DEMO_SHOP_DOMAIN } } });
  const shop = existing ?? (await installShop(prisma, { platform: "shopify", domain: DEMO_SHOP_DOMAIN, name: "Lockstep Demo Outfitters", scopes: "read_products,read_inventory,write_inventory,read_orders,read_locations" }));
  await issueApiToken(prisma, shop.id, options.apiToken);
  if (existing) return { shop, seeded: false };

  const now = options.now ?? new Date();
  await prisma.$transaction(async (tx) => {
    const locations = [];
    for (const location of DEMO_LOCATIONS) {
      locations.push(await tx.location.create({ data: { shopId: shop.id, externalId: `gid://shopify/Location/${location.id}`, name: location.name } }));
    }
    for (const product of DEMO_PRODUCTS) {
      const created = await tx.product.create({
        data: {
          shopId: shop.id,
          externalId: `gid://shopify/Product/${product.id}`,
          title: product.title,
          description: product.description,
          urlPath: `/products/${demoHandle(product.title)}`,
          imageUrl: demoImageUrl(product.title),
          brand: DEMO_BRAND,
          condition: "new",
          sourceUpdatedAt: now,
        },
      });
      for (const variant of product.variants) {
        const row = await tx.variant.create({
          data: {
            shopId: shop.id,
            productId: created.id,
            externalId: `gid://shopify/ProductVariant/${variant.id}`,
            inventoryItemExternalId: `gid://shopify/InventoryItem/${demoInventoryItemId(variant.id)}`,
            sku: variant.sku,
            title: variant.title,
            price: variant.price,
            gtin: variant.gtin ?? null,
            sourceUpdatedAt: now,
          },
        });
        await tx.inventoryLevel.createMany({
          data: locations.map((location, i) => ({
            shopId: shop.id,
            variantId: row.id,
            locationId: location.id,
            onHand: variant.stock[i] ?? 0,
            sourceUpdatedAt: now,
          })),
        });
      }
    }
  });
  // Prices as versions, and one scheduled sale (app/prices).
  if (options.sql) await seedDemoPrices(options.sql, shop.id, now);
  return { shop, seeded: true };
}
