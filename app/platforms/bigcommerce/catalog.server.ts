import { type BigCommerceClient } from "./client.server";

export interface BigCommerceVariant {
  id: number;
  product_id: number;
  sku: string;
  price: number | null;
  calculated_price?: number;
  /** The list price (MSRP) a storefront shows struck through when it is above `price`. */
  retail_price?: number | null;
  inventory_level: number;
  /** Feed identifiers (optional on BigCommerce). */
  gtin?: string;
  upc?: string;
  mpn?: string;
}

export interface BigCommerceProduct {
  id: number;
  name: string;
  sku: string;
  price: number;
  inventory_level: number;
  inventory_tracking: "none" | "product" | "variant";
  date_modified: string;
  variants?: BigCommerceVariant[];
}

/** The product fields marketplace feeds need (`include=images` brings the images). */
export interface BigCommerceFeedFields {
  is_visible?: boolean;
  description?: string;
  custom_url?: { url?: string };
  images?: Array<{ url_standard?: string; is_thumbnail?: boolean }>;
  condition?: string;
  retail_price?: number | null;
  gtin?: string;
  upc?: string;
  mpn?: string;
  /** One of the catalog's brands (`listBrandNames`); 0: none. */
  brand_id?: number;
}

interface Page<T> {
  data: T[];
  meta: { pagination: { current_page: number; total_pages: number } };
}

export async function getProduct(client: BigCommerceClient, productId: number): Promise<BigCommerceProduct | undefined> {
  try {
    const { body } = await client.request<{ data: BigCommerceProduct }>("GET", `/v3/catalog/products/${productId}`, {
      query: { include: "variants" },
    });
    return body.data;
  } catch (error) {
    if ((error as { details?: { httpStatus?: number } }).details?.httpStatus === 404) return undefined;
    throw error;
  }
}

/** Walks `/v3/catalog/products` page by page (each page one request inside the quota), with variants and images. */
export async function* listProducts(client: BigCommerceClient, pageSize = 250): AsyncGenerator<BigCommerceProduct & BigCommerceFeedFields> {
  yield* pages<BigCommerceProduct & BigCommerceFeedFields>(client, "/v3/catalog/products", { include: "variants,images", limit: pageSize });
}

/** The catalog's brand names by id (`/v3/catalog/brands`, page by page): a product names its brand by `brand_id`. */
export async function listBrandNames(client: BigCommerceClient, pageSize = 250): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  for await (const brand of pages<{ id: number; name: string }>(client, "/v3/catalog/brands", { limit: pageSize })) names.set(brand.id, brand.name);
  return names;
}

export async function* listVariants(client: BigCommerceClient, filter: { skus?: string[] } = {}, pageSize = 250): AsyncGenerator<BigCommerceVariant> {
  yield* pages<BigCommerceVariant>(client, "/v3/catalog/variants", { limit: pageSize, "sku:in": filter.skus?.join(",") });
}

export async function* pages<T>(
  client: BigCommerceClient,
  path: string,
  query: Record<string, string | number | undefined>,
): AsyncGenerator<T> {
  for (let page = 1; ; page++) {
    const { body } = await client.request<Page<T>>("GET", path, { query: { ...query, page } });
    yield* body.data;
    if (body.data.length === 0 || page >= body.meta.pagination.total_pages) return;
  }
}
