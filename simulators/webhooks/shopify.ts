// Shopify deliveries as Shopify sends them: the documented payload shapes, the real header set,
// the HMAC over the raw body, and the retry schedule. Used by tests, the benchmark and the demo.
import { createHmac, randomUUID } from "node:crypto";

export const SHOPIFY_API_VERSION = "2026-10";

/** Shopify retries a failed delivery 8 times over about 4 hours (waits between attempts, in ms). */
export const SHOPIFY_RETRY_SCHEDULE_MS = [10_000, 30_000, 60_000, 300_000, 900_000, 1_800_000, 3_600_000, 7_200_000];

export interface SignedDelivery {
  body: string;
  headers: Record<string, string>;
}

export interface ShopifyDeliveryInput {
  secret: string;
  shopDomain: string;
  topic: string;
  payload: unknown;
  webhookId?: string;
  eventId?: string;
  triggeredAt?: Date;
  apiVersion?: string;
}

export function signShopifyDelivery(input: ShopifyDeliveryInput): SignedDelivery {
  const body = typeof input.payload === "string" ? input.payload : JSON.stringify(input.payload);
  return {
    body,
    headers: {
      "content-type": "application/json",
      "x-shopify-topic": input.topic,
      "x-shopify-hmac-sha256": createHmac("sha256", input.secret).update(body).digest("base64"),
      "x-shopify-shop-domain": input.shopDomain,
      "x-shopify-api-version": input.apiVersion ?? SHOPIFY_API_VERSION,
      "x-shopify-webhook-id": input.webhookId ?? randomUUID(),
      "x-shopify-event-id": input.eventId ?? randomUUID(),
      "x-shopify-triggered-at": (input.triggeredAt ?? new Date()).toISOString(),
      "x-shopify-name": "lockstep",
      "user-agent": "Shopify-Captain-Hook",
    },
  };
}

const ADDRESS = { first_name: "Ada", last_name: "Lovelace", address1: "12 Analytical Row", city: "London", zip: "N1 9GU", country: "United Kingdom", phone: "+44 20 7946 0000" };

/**
 * A payload in the documented shape of each topic Lockstep subscribes to (only the fields that matter vary).
 * Ids have 16 digits, so the path that keeps long ids exact is exercised.
 */
export function shopifyPayload(topic: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  const updatedAt = (fields.updated_at as string | undefined) ?? new Date().toISOString();
  switch (topic) {
    case "inventory_levels/update":
    case "inventory_levels/connect": {
      const item = fields.inventory_item_id ?? 2718783465968840;
      const location = fields.location_id ?? 24826418;
      return { inventory_item_id: item, location_id: location, available: 6, updated_at: updatedAt, admin_graphql_api_id: `gid://shopify/InventoryLevel/${location}?inventory_item_id=${item}`, ...fields };
    }
    case "inventory_levels/disconnect":
      return { inventory_item_id: 2718783465968840, location_id: 24826418, ...fields };
    case "inventory_items/update":
      return { id: 2718783465968840, sku: "example-sku", created_at: updatedAt, updated_at: updatedAt, requires_shipping: true, cost: null, country_code_of_origin: null, tracked: true, admin_graphql_api_id: "gid://shopify/InventoryItem/2718783465968840", ...fields };
    case "products/create":
    case "products/update":
      return {
        id: 7880321196742929,
        title: "Example T-Shirt",
        body_html: "An example T-Shirt",
        vendor: "Acme",
        product_type: "Shirts",
        status: "active",
        created_at: updatedAt,
        updated_at: updatedAt,
        variants: [
          { id: 6426670414727139, product_id: 7880321196742929, title: "Small", price: "19.99", sku: "example-shirt-s", inventory_item_id: 2718783465968840, inventory_quantity: 75, updated_at: updatedAt },
          { id: 7576504846442039, product_id: 7880321196742929, title: "Medium", price: "19.99", sku: "example-shirt-m", inventory_item_id: 2718783465968841, inventory_quantity: 50, updated_at: updatedAt },
        ],
        admin_graphql_api_id: "gid://shopify/Product/7880321196742929",
        ...fields,
      };
    case "products/delete":
      return { id: 7880321196742929, ...fields };
    case "orders/create":
    case "orders/updated":
    case "orders/paid":
    case "orders/cancelled":
      return {
        id: 8209829119461545,
        admin_graphql_api_id: "gid://shopify/Order/8209829119461545",
        email: "ada@example.com",
        phone: "+44 7700 900000",
        cart_token: "cart-68778783ad298f1c80c3bafcddeea02f",
        checkout_token: "bd5a8aa1ecd019dd3520ff791ee3a24c",
        created_at: updatedAt,
        updated_at: updatedAt,
        cancelled_at: topic === "orders/cancelled" ? updatedAt : null,
        currency: "USD",
        total_price: "39.98",
        financial_status: topic === "orders/paid" ? "paid" : "pending",
        fulfillment_status: null,
        browser_ip: "203.0.113.7",
        customer: { id: 1153106273147239, email: "ada@example.com", first_name: "Ada", last_name: "Lovelace", phone: "+44 7700 900000", default_address: ADDRESS },
        billing_address: ADDRESS,
        shipping_address: ADDRESS,
        payment_details: { credit_card_bin: "424242", credit_card_number: "•••• •••• •••• 4242", credit_card_company: "Visa" },
        line_items: [{ id: 8665503117664390, variant_id: 6426670414727139, product_id: 7880321196742929, sku: "example-shirt-s", title: "Example T-Shirt", quantity: 2, price: "19.99" }],
        ...fields,
      };
    case "refunds/create":
      return {
        id: 509562969,
        order_id: 8209829119461545,
        created_at: updatedAt,
        processed_at: updatedAt,
        note: "Customer changed their mind",
        transactions: [{ id: 179259969, kind: "refund", amount: "19.99", gateway: "bogus", payment_details: { credit_card_number: "•••• •••• •••• 4242", credit_card_company: "Visa" } }],
        refund_line_items: [
          { id: 104689539, line_item_id: 8665503117664390, location_id: 24826418, quantity: 1, restock_type: "return", line_item: { id: 8665503117664390, variant_id: 6426670414727139, sku: "example-shirt-s", quantity: 2 } },
        ],
        ...fields,
      };
    case "locations/create":
    case "locations/update":
      return { id: 24826418, name: "Main warehouse", address1: "1 Dock Road", city: "Ottawa", country_code: "CA", active: true, created_at: updatedAt, updated_at: updatedAt, admin_graphql_api_id: "gid://shopify/Location/24826418", ...fields };
    case "locations/delete":
      return { id: 24826418, ...fields };
    case "app/uninstalled":
      return { id: 548380009, name: "Super Toys", email: "super@supertoys.com", domain: null, myshopify_domain: "super-toys.myshopify.com", updated_at: updatedAt, ...fields };
    case "app/scopes_update":
      return { id: 1, previous: ["read_products"], current: ["read_products", "write_inventory"], updated_at: updatedAt, ...fields };
    case "customers/data_request":
      return { shop_id: 954889, shop_domain: "example.myshopify.com", orders_requested: [299938, 280263, 220458], customer: { id: 191167, email: "john@example.com", phone: "555-625-1199" }, data_request: { id: 9999 }, ...fields };
    case "customers/redact":
      return { shop_id: 954889, shop_domain: "example.myshopify.com", customer: { id: 191167, email: "john@example.com", phone: "555-625-1199" }, orders_to_redact: [299938, 280263, 220458], ...fields };
    case "shop/redact":
      return { shop_id: 954889, shop_domain: "example.myshopify.com", ...fields };
    default:
      throw new Error(`no sample payload for ${topic}`);
  }
}

export interface DeliveryResult {
  status: number;
  attempts: number;
  /** Every attempt's status (0 = no answer within Shopify's timeout or connection refused). */
  statuses: number[];
}

/**
 * Sends one delivery and, like Shopify, sends it again on anything but a 2xx (or no answer within
 * 5 s), following the retry schedule. `timeScale` compresses the waits (0.001: hours become seconds).
 */
export async function deliverWithRetries(
  url: string,
  delivery: SignedDelivery,
  options: { schedule?: readonly number[]; timeScale?: number; timeoutMs?: number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<DeliveryResult> {
  const schedule = options.schedule ?? SHOPIFY_RETRY_SCHEDULE_MS;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const statuses: number[] = [];
  for (let attempt = 0; attempt <= schedule.length; attempt++) {
    if (attempt > 0) await sleep(schedule[attempt - 1]! * (options.timeScale ?? 1));
    let status = 0;
    try {
      const response = await fetch(url, { method: "POST", headers: delivery.headers, body: delivery.body, signal: AbortSignal.timeout(options.timeoutMs ?? 5000) });
      status = response.status;
      await response.arrayBuffer();
    } catch {
      status = 0;
    }
    statuses.push(status);
    if (status >= 200 && status < 300) return { status, attempts: attempt + 1, statuses };
  }
  return { status: statuses.at(-1)!, attempts: statuses.length, statuses };
}
