import { type BigCommerceClient } from "./client.server";

export interface BigCommerceVariant {
  id: number;
  product_id: number;
  sku: string;
  price: number | null;
  calculated_price?: number;
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

/** Walks `/v3/catalog/products` page by page (each page one request inside the quota). */
export async function* listProducts(client: BigCommerceClient, pageSize = 250): AsyncGenerator<BigCommerceProduct> {
  yield* pages<BigCommerceProduct>(client, "/v3/catalog/products", { include: "variants", limit: pageSize });
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
