import { LockstepError } from "../config/errors";
import type { AppContext } from "../context.server";
import { bigCommerceTokenOf } from "../shops/platformAccess.server";
import { storeHashOf } from "../shops/platformIdentity";
import { findShopById } from "../shops/sql/findShop";
import type { BigCommerceClient } from "../platforms/bigcommerce/client.server";
import type { ShopifyAdminClient } from "../platforms/shopify/adminClient.server";
import { productVariantsBulkUpdate } from "../platforms/shopify/documents/catalog";
import { shopifyAdminClientsByShopId } from "../checkout/shopifyAccess.server";
import type { ListPrice, PushListPrices, PushStorePrices, StorePrice } from "./activator.server";

/** Variants per productVariantsBulkUpdate call: its cost grows with them, and one bad variant fails its call only. */
const SHOPIFY_VARIANTS_PER_CALL = 100;
/** BigCommerce's batch variant update takes at most 50 variants. */
const BIGCOMMERCE_VARIANTS_PER_CALL = 50;

/**
 * Pushes prices to Shopify with productVariantsBulkUpdate (one call per product and 100 variants),
 * all through the shop's one throttled client: its cost bucket decides how fast, never THROTTLED.
 */
export function shopifyPricePush(clientFor: (shopId: string) => Promise<ShopifyAdminClient | undefined>) {
  return async (shopId: string, prices: StorePrice[]): Promise<void> => {
    const client = await clientFor(shopId);
    if (!client) throw new LockstepError("store_unreachable", "No Admin API access for this shop (not installed, or no offline session)");
    const byProduct = new Map<string, StorePrice[]>();
    for (const price of prices) byProduct.set(price.productExternalId, [...(byProduct.get(price.productExternalId) ?? []), price]);
    const calls = [...byProduct].flatMap(([productId, variants]) => chunks(variants, SHOPIFY_VARIANTS_PER_CALL).map((chunk) => ({ productId, chunk })));
    await Promise.all(
      calls.map(async ({ productId, chunk }) => {
        const { data } = await client.request(productVariantsBulkUpdate, {
          productId,
          variants: chunk.map((price) => ({ id: price.variantExternalId, price: price.amount, compareAtPrice: price.compareAt })),
        });
        const errors = data.productVariantsBulkUpdate.userErrors;
        if (errors.length > 0) throw new LockstepError("store_refused_price", `Shopify refused the prices of ${productId}: ${errors.map((error) => error.message).join("; ")}`);
      }),
    );
  };
}

/** Pushes prices to BigCommerce with the batch variant endpoint (`PUT /v3/catalog/variants`, 50 a call) through the store's throttled client. */
export function bigCommercePricePush(clientFor: (shopId: string) => Promise<BigCommerceClient>) {
  return async (shopId: string, prices: StorePrice[]): Promise<void> => {
    const client = await clientFor(shopId);
    await Promise.all(
      chunks(prices, BIGCOMMERCE_VARIANTS_PER_CALL).map((chunk) =>
        client.request("PUT", "/v3/catalog/variants", {
          body: chunk.map((price) => ({ id: Number(price.variantExternalId), price: Number(price.amount), ...(price.compareAt !== null ? { retail_price: Number(price.compareAt) } : {}) })),
        }),
      ),
    );
  };
}

/** BigCommerce price list records per call (the upsert takes up to 1,000). */
const BIGCOMMERCE_RECORDS_PER_CALL = 1_000;

/**
 * Pushes a named list's prices as records of the BigCommerce price list it is mapped to
 * (`PUT /v3/pricelists/{id}/records`, up to 1,000 a call) through the store's throttled client,
 * one call after the other: BigCommerce runs at most 2 batch upserts of a store at once and
 * answers 429 to a third.
 */
export function bigCommercePriceListPush(clientFor: (shopId: string) => Promise<BigCommerceClient>) {
  return async (shopId: string, priceListId: number, prices: ListPrice[]): Promise<void> => {
    const client = await clientFor(shopId);
    for (const chunk of chunks(prices, BIGCOMMERCE_RECORDS_PER_CALL)) {
      await client.request("PUT", `/v3/pricelists/${priceListId}/records`, {
        body: chunk.map((price) => ({
          variant_id: Number(price.variantExternalId),
          currency: price.currency.toLowerCase(),
          price: Number(price.amount),
          ...(price.compareAt !== null ? { retail_price: Number(price.compareAt) } : {}),
        })),
      });
    }
  };
}

/** The process's store pushes: each shop's Shopify or BigCommerce client, shared with everything else that calls it. */
export function storePricePush(context: AppContext): PushStorePrices {
  const shopify = shopifyPricePush(
    shopifyAdminClientsByShopId({ sql: context.db.sql, encryptionKey: context.config.encryptionKey, clientFor: (shop, token) => context.platforms.shopifyAdminClientFor(shop, token) }),
  );
  const bigCommerce = bigCommercePricePush(bigCommerceClientOf(context));
  return (shopId, platform, prices) => (platform === "shopify" ? shopify(shopId, prices) : bigCommerce(shopId, prices));
}

/** The process's BigCommerce price list pushes (named lists mapped with `mapPriceList`). */
export function storePriceListPush(context: AppContext): PushListPrices {
  return bigCommercePriceListPush(bigCommerceClientOf(context));
}

/** A BigCommerce shop's throttled client, by the shop's id (its store hash from its stored domain). */
function bigCommerceClientOf(context: AppContext): (shopId: string) => Promise<BigCommerceClient> {
  const tokenOf = bigCommerceTokenOf({ prisma: context.db.prisma, config: context.config });
  return async (shopId) => {
    const shop = await findShopById(context.db.sql, shopId);
    if (!shop) throw new LockstepError("unknown_shop", `No shop ${shopId}: its prices cannot be pushed`);
    const storeHash = storeHashOf(shop);
    return context.platforms.bigCommerceClientFor(storeHash, await tokenOf(storeHash));
  };
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
