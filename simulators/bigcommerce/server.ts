import { randomBytes } from "node:crypto";
import { type IncomingMessage, type ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import { ChangeFeed, type ChangeListener, type SimulatorClock, realClock } from "../changes";
import { listen, readBody, sendJson } from "../http";
import { SimulatedHooks } from "./hooks";
import { SimulatedPriceLists } from "./priceLists";

export interface BigCommerceQuota {
  /** Requests per window, shared by every app on the store (150 on Standard/Plus, 450 on Pro). */
  requests: number;
  windowMs: number;
}

export interface BigCommerceStoreOptions {
  storeHash: string;
  accessToken?: string;
  quota?: Partial<BigCommerceQuota>;
  seed?: { products?: number; variantsPerProduct?: number; onHand?: number; locations?: string[] };
}

export interface BigCommerceSimulatorOptions {
  port?: number;
  stores?: BigCommerceStoreOptions[];
  clock?: SimulatorClock;
  /** The app whose install codes `POST /oauth2/token` (login.bigcommerce.com) exchanges. */
  app?: { clientId: string; clientSecret: string };
}

interface Variant {
  id: number;
  product_id: number;
  sku: string;
  price: number;
  dateModified: string;
  gtin?: string;
  mpn?: string;
  /** BigCommerce's `retail_price` (MSRP): the regular price a storefront shows struck through. */
  retailPrice?: number;
}

interface Product {
  id: number;
  name: string;
  sku: string;
  price: number;
  dateModified: string;
  variantIds: number[];
  /** Feed attributes as BigCommerce holds them. */
  description: string;
  customUrl: string;
  imageUrl: string;
  condition: "New" | "Used" | "Refurbished";
  /** A brand of the store's `brands` (0: none, as BigCommerce says it). */
  brandId: number;
}

interface Order {
  id: number;
  statusId: number;
  status: string;
  cartId?: string;
  customerId: number;
  dateCreated: string;
  dateModified: string;
  lines: Array<{ id: number; productId: number; variantId: number; sku: string; quantity: number; price: number }>;
  refunds: Array<{ id: number; created: string; items: Array<{ lineItemId: number; quantity: number }> }>;
}

export interface BigCommerceStats {
  requests: number;
  /** Answers 429 (Too Many Requests). */
  tooManyRequests: number;
  /** Requests served inside the quota. */
  served: number;
  /** Requests the simulated other apps made from the shared quota. */
  otherApps: number;
  windowsStarted: number;
  /** Requests served (ours and other apps') in each window, oldest first. */
  usedPerWindow: number[];
  firstRequestAt?: number;
  lastRequestAt?: number;
}

export type BigCommerceFault = "http500" | "drop-after-apply";

/** One simulated store: catalog, inventory per location, its shared request quota. */
export class BigCommerceStore {
  readonly products = new Map<number, Product>();
  readonly variants = new Map<number, Variant>();
  readonly locations = new Map<number, { id: number; code: string; label: string }>();
  /** on hand and safety stock per `${variantId}@${locationId}` */
  readonly inventory = new Map<string, { onHand: number; safetyStock: number }>();
  readonly orders = new Map<number, Order>();
  /** The catalog's brands (`/v3/catalog/brands`); a product names one by `brand_id`. */
  readonly brands = new Map<number, { id: number; name: string }>();
  readonly hooks: SimulatedHooks;
  /** Price lists and their records (`/v3/pricelists`): `priceLists.add(name)` makes one as the merchant would. */
  readonly priceLists: SimulatedPriceLists;
  readonly quota: BigCommerceQuota;
  stats: BigCommerceStats = emptyStats();
  private windowStartedAt?: number;
  private used = 0;
  private nextId = 100;
  private tokenRevoked = false;

  constructor(
    readonly storeHash: string,
    readonly accessToken: string,
    quota: BigCommerceQuota,
    private readonly clock: SimulatorClock,
    private readonly feed: ChangeFeed,
  ) {
    this.quota = quota;
    this.hooks = new SimulatedHooks(storeHash);
    this.priceLists = new SimulatedPriceLists({
      variant: (id) => this.variants.get(id),
      variantBySku: (sku) => [...this.variants.values()].find((variant) => variant.sku === sku),
      nowIso: () => this.nowIso(),
    });
  }

  /** Whether `token` opens this store's API: the app's token, until an uninstall revokes it. */
  acceptsToken(token: string | string[] | undefined): boolean {
    return !this.tokenRevoked && token === this.accessToken;
  }

  /** The merchant uninstalled the app: BigCommerce refuses its token from now on. */
  revokeAccessToken(): void {
    this.tokenRevoked = true;
  }

  /** The merchant installed the app (again): its token opens the API. */
  restoreAccessToken(): void {
    this.tokenRevoked = false;
  }

  resetStats(): void {
    this.stats = emptyStats();
  }

  addLocation(label: string) {
    const id = this.locations.size + 1;
    const location = { id, code: `LOC-${id}`, label };
    this.locations.set(id, location);
    return location;
  }

  /** Adds a brand to the catalog (or finds it by name): its id for `addProduct`'s `brandId`. */
  addBrand(name: string): number {
    const existing = [...this.brands.values()].find((brand) => brand.name === name);
    if (existing) return existing.id;
    const brand = { id: ++this.nextId, name };
    this.brands.set(brand.id, brand);
    return brand.id;
  }

  addProduct(
    name: string,
    variants: Array<{ sku: string; price: number; onHand?: number; gtin?: string; mpn?: string; retailPrice?: number }>,
    attributes: { description?: string; condition?: Product["condition"]; brandId?: number } = {},
  ): Product {
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "-");
    const product: Product = {
      id: ++this.nextId,
      name,
      sku: variants[0]?.sku ?? "",
      price: variants[0]?.price ?? 0,
      dateModified: this.nowIso(),
      variantIds: [],
      description: attributes.description ?? `<p>${name}</p>`,
      customUrl: `/${slug}/`,
      imageUrl: `https://cdn11.bigcommerce.example/${slug}.jpg`,
      condition: attributes.condition ?? "New",
      brandId: attributes.brandId ?? 0,
    };
    this.products.set(product.id, product);
    for (const input of variants) {
      const variant: Variant = { id: ++this.nextId, product_id: product.id, sku: input.sku, price: input.price, dateModified: this.nowIso(), gtin: input.gtin, mpn: input.mpn, retailPrice: input.retailPrice };
      this.variants.set(variant.id, variant);
      product.variantIds.push(variant.id);
      for (const location of this.locations.keys()) this.inventory.set(`${variant.id}@${location}`, { onHand: input.onHand ?? 0, safetyStock: 0 });
    }
    return product;
  }

  onHand(variantId: number, locationId: number): number | undefined {
    return this.inventory.get(`${variantId}@${locationId}`)?.onHand;
  }

  /** Spends `count` requests of the shared quota as another app on the store would. */
  consumeByOtherApps(count: number): void {
    for (let i = 0; i < count; i++) if (this.take()) this.stats.otherApps++;
  }

  /** Takes one request from the window; false when the quota is spent (answer 429). */
  take(): boolean {
    this.roll();
    if (this.used >= this.quota.requests) return false;
    this.used++;
    this.stats.usedPerWindow[this.stats.usedPerWindow.length - 1] = this.used;
    return true;
  }

  headers(): Record<string, string> {
    this.roll();
    const now = this.clock.now();
    const startedAt = this.windowStartedAt ?? now;
    return {
      "x-rate-limit-requests-quota": String(this.quota.requests),
      "x-rate-limit-requests-left": String(Math.max(0, this.quota.requests - this.used)),
      "x-rate-limit-time-reset-ms": String(Math.max(0, startedAt + this.quota.windowMs - now)),
      "x-rate-limit-time-window-ms": String(this.quota.windowMs),
    };
  }

  nowIso(): string {
    return new Date(this.clock.now()).toISOString();
  }

  emitInventoryChanged(variantId: number, locationId: number): void {
    const variant = this.variants.get(variantId)!;
    this.emitThin("store/sku/inventory/updated", {
      type: "sku",
      id: variantId,
      inventory: { product_id: variant.product_id, variant_id: variantId, location_id: locationId, method: "absolute" },
    });
  }

  /**
   * A shopper's order: BigCommerce takes the units off on-hand stock at the order's location
   * and reports the order and the inventory change (thin payloads, as it does).
   */
  placeOrder(input: { lines: Array<{ variantId: number; quantity: number }>; cartId?: string; customerId?: number; locationId?: number }): Order {
    const locationId = input.locationId ?? [...this.locations.keys()][0]!;
    const now = this.clock.now();
    const order: Order = {
      id: ++this.nextId,
      statusId: 11,
      status: "Awaiting Fulfillment",
      cartId: input.cartId,
      customerId: input.customerId ?? 0,
      dateCreated: rfc2822(now),
      dateModified: rfc2822(now),
      lines: input.lines.map((line) => {
        const variant = this.variants.get(line.variantId);
        if (!variant) throw new Error(`unknown variant ${line.variantId}`);
        return { id: ++this.nextId, productId: variant.product_id, variantId: variant.id, sku: variant.sku, quantity: line.quantity, price: variant.price };
      }),
      refunds: [],
    };
    this.orders.set(order.id, order);
    for (const line of order.lines) this.inventory.get(`${line.variantId}@${locationId}`)!.onHand -= line.quantity;
    this.emitThin("store/order/created", { type: "order", id: order.id });
    for (const line of order.lines) {
      this.emitThin("store/sku/inventory/order/updated", {
        type: "sku",
        id: line.variantId,
        inventory: { product_id: line.productId, variant_id: line.variantId, location_id: locationId, method: "relative", value: -line.quantity },
      });
    }
    return order;
  }

  setOrderStatus(orderId: number, statusId: number, status: string): void {
    const order = this.orders.get(orderId)!;
    const previous = order.statusId;
    order.statusId = statusId;
    order.status = status;
    order.dateModified = rfc2822(this.clock.now());
    this.emitThin("store/order/statusUpdated", { type: "order", id: orderId, status: { previous_status_id: previous, new_status_id: statusId } });
  }

  refundOrder(orderId: number, items: Array<{ lineItemId: number; quantity: number }>): number {
    const order = this.orders.get(orderId)!;
    const refund = { id: ++this.nextId, created: new Date(this.clock.now()).toISOString(), items };
    order.refunds.push(refund);
    this.emitThin("store/order/refund/created", { type: "order", id: orderId, refund: { refund_id: refund.id } });
    return refund.id;
  }

  private emitThin(scope: string, data: Record<string, unknown>): void {
    this.feed.emit({
      kind: scope,
      shop: this.storeHash,
      occurredAt: this.nowIso(),
      payload: { scope, store_id: this.storeHash, producer: `stores/${this.storeHash}`, created_at: Math.floor(this.clock.now() / 1000), data },
    });
  }

  private roll(): void {
    const now = this.clock.now();
    // A window opens with the first request after the previous one closed.
    if (this.windowStartedAt === undefined || now >= this.windowStartedAt + this.quota.windowMs) {
      this.windowStartedAt = now;
      this.used = 0;
      this.stats.windowsStarted++;
      this.stats.usedPerWindow.push(0);
    }
  }
}

export interface BigCommerceSimulator {
  url: string;
  addStore(options: BigCommerceStoreOptions): BigCommerceStore;
  /** A merchant installs the app: the one-time code BigCommerce sends to the app's install callback (10 minutes of life). */
  installCode(storeHash: string, scope: string, redirectUri: string): string;
  store(storeHash: string): BigCommerceStore;
  stats(storeHash: string): BigCommerceStats;
  injectFault(storeHash: string, fault: BigCommerceFault, times?: number): void;
  onChange(listener: ChangeListener): () => void;
  close(): Promise<void>;
}

/**
 * BigCommerce's REST API on 127.0.0.1 (`/stores/{hash}/v3/...`, orders under `/v2`): catalog,
 * inventory and order reads, absolute and relative adjustments (at most 2,000 items), price lists
 * and their records (priceLists.ts), simulated
 * orders and refunds reported as thin changes, and the shared request quota with
 * its `X-Rate-Limit-*` headers and 429s, as in BigCommerce's OpenAPI descriptions.
 */
export async function startBigCommerceSimulator(options: BigCommerceSimulatorOptions = {}): Promise<BigCommerceSimulator> {
  const clock = options.clock ?? realClock;
  const feed = new ChangeFeed();
  const stores = new Map<string, BigCommerceStore>();
  const faults = new Map<string, BigCommerceFault[]>();

  const addStore = (storeOptions: BigCommerceStoreOptions): BigCommerceStore => {
    const store = new BigCommerceStore(
      storeOptions.storeHash,
      storeOptions.accessToken ?? "bc_simulated_token",
      { requests: storeOptions.quota?.requests ?? 150, windowMs: storeOptions.quota?.windowMs ?? 30_000 },
      clock,
      feed,
    );
    const seed = storeOptions.seed ?? {};
    for (const label of seed.locations ?? ["Default location"]) store.addLocation(label);
    for (let p = 0; p < (seed.products ?? 0); p++) {
      store.addProduct(
        `Product ${p + 1}`,
        Array.from({ length: seed.variantsPerProduct ?? 1 }, (_, v) => ({
          sku: `BC-${String(p + 1).padStart(4, "0")}-${v + 1}`,
          price: 10 + ((p * 7 + v) % 90),
          onHand: seed.onHand ?? 10,
        })),
      );
    }
    stores.set(store.storeHash, store);
    return store;
  };

  const handle = async (store: BigCommerceStore, method: string, path: string, url: URL, request: IncomingMessage, response: ServerResponse) => {
    const stats = store.stats;
    stats.requests++;
    stats.firstRequestAt ??= clock.now();
    stats.lastRequestAt = clock.now();
    if (!store.take()) {
      stats.tooManyRequests++;
      return sendJson(response, 429, { status: 429, title: "Too many requests", type: "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes" }, store.headers());
    }
    stats.served++;
    const headers = store.headers();
    const fault = faults.get(store.storeHash)?.shift();
    if (fault === "http500") return sendJson(response, 500, { status: 500, title: "Internal Server Error" }, headers);
    const send = (status: number, body: unknown) => {
      if (fault === "drop-after-apply") {
        request.socket.destroy();
        return;
      }
      sendJson(response, status, body, headers);
    };
    const problem = (status: number, title: string) =>
      send(status, { status, title, type: "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes", errors: {} });

    const productBody = (product: Product, withVariants: boolean) => ({
      id: product.id,
      name: product.name,
      type: "physical",
      sku: product.sku,
      price: product.price,
      retail_price: 0,
      inventory_level: product.variantIds.reduce((sum, id) => sum + totalOnHand(store, id), 0),
      inventory_tracking: "variant",
      date_modified: product.dateModified,
      description: product.description,
      custom_url: { url: product.customUrl, is_customized: false },
      condition: product.condition,
      brand_id: product.brandId,
      ...(url.searchParams.get("include")?.split(",").includes("images") ? { images: [{ url_standard: product.imageUrl, is_thumbnail: true }] } : {}),
      ...(withVariants ? { variants: product.variantIds.map((id) => variantBody(store, store.variants.get(id)!)) } : {}),
    });
    const paged = <T>(items: T[]) => {
      const limit = Math.min(Number(url.searchParams.get("limit") ?? 50), 1000);
      const page = Math.max(1, Number(url.searchParams.get("page") ?? 1));
      const data = items.slice((page - 1) * limit, page * limit);
      const totalPages = Math.max(1, Math.ceil(items.length / limit));
      return {
        data,
        meta: {
          pagination: {
            total: items.length,
            count: data.length,
            per_page: limit,
            current_page: page,
            total_pages: totalPages,
            links: { current: `?limit=${limit}&page=${page}`, ...(page < totalPages ? { next: `?limit=${limit}&page=${page + 1}` } : {}) },
          },
        },
      };
    };
    const listFilter = (name: string) => url.searchParams.get(name)?.split(",").filter(Boolean);

    let match: RegExpExecArray | null;
    if (method === "GET" && path === "/v2/store") {
      return send(200, { id: store.storeHash, domain: `${store.storeHash}.mybigcommerce.com`, name: `Store ${store.storeHash}`, plan_level: "Standard" });
    }
    if (method === "GET" && path === "/v3/catalog/products") {
      const withVariants = (url.searchParams.get("include") ?? "").includes("variants");
      return send(200, paged([...store.products.values()].map((product) => productBody(product, withVariants))));
    }
    if (method === "GET" && path === "/v3/catalog/brands") {
      return send(200, paged([...store.brands.values()].map((brand) => ({ id: brand.id, name: brand.name, page_title: brand.name, meta_keywords: [], image_url: "", custom_url: { url: `/brands/${brand.name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}/`, is_customized: false } }))));
    }
    if (method === "GET" && (match = /^\/v3\/catalog\/brands\/(\d+)$/.exec(path))) {
      const brand = store.brands.get(Number(match[1]));
      if (!brand) return problem(404, "The requested brand was not found.");
      return send(200, { data: { id: brand.id, name: brand.name, page_title: brand.name, meta_keywords: [], image_url: "" }, meta: {} });
    }
    if (method === "GET" && (match = /^\/v3\/catalog\/products\/(\d+)$/.exec(path))) {
      const product = store.products.get(Number(match[1]));
      if (!product) return problem(404, "The requested product was not found.");
      return send(200, { data: productBody(product, (url.searchParams.get("include") ?? "").includes("variants")), meta: {} });
    }
    if (method === "GET" && (match = /^\/v3\/catalog\/products\/(\d+)\/variants$/.exec(path))) {
      const product = store.products.get(Number(match[1]));
      if (!product) return problem(404, "The requested product was not found.");
      return send(200, paged(product.variantIds.map((id) => variantBody(store, store.variants.get(id)!))));
    }
    if (method === "GET" && path === "/v3/catalog/variants") {
      const skus = listFilter("sku:in");
      const variants = [...store.variants.values()].filter((variant) => !skus || skus.includes(variant.sku));
      return send(200, paged(variants.map((variant) => variantBody(store, variant))));
    }
    if (method === "GET" && path === "/v3/inventory/locations") {
      return send(200, paged([...store.locations.values()].map((l) => ({ id: l.id, code: l.code, label: l.label, enabled: true, type_id: "PHYSICAL" }))));
    }
    if (method === "GET" && path === "/v3/inventory/items") {
      const variantIds = listFilter("variant_id:in")?.map(Number);
      const productIds = listFilter("product_id:in")?.map(Number);
      const skus = listFilter("sku:in");
      const locationIds = listFilter("location_id:in")?.map(Number);
      const variants = [...store.variants.values()].filter(
        (variant) =>
          (!variantIds || variantIds.includes(variant.id)) &&
          (!productIds || productIds.includes(variant.product_id)) &&
          (!skus || skus.includes(variant.sku)),
      );
      return send(
        200,
        paged(
          variants.map((variant) => ({
            identity: { sku: variant.sku, variant_id: variant.id, product_id: variant.product_id, sku_id: variant.id },
            locations: [...store.locations.values()]
              .filter((location) => !locationIds || locationIds.includes(location.id))
              .map((location) => {
                const level = store.inventory.get(`${variant.id}@${location.id}`)!;
                return {
                  location_id: location.id,
                  location_code: location.code,
                  location_name: location.label,
                  available_to_sell: Math.max(0, level.onHand - level.safetyStock),
                  total_inventory_onhand: level.onHand,
                  location_enabled: true,
                  settings: { safety_stock: level.safetyStock, is_in_stock: level.onHand > 0, warning_level: 0, bin_picking_number: "" },
                };
              }),
          })),
        ),
      );
    }
    if (method === "GET" && (match = /^\/v2\/orders\/(\d+)(\/products)?$/.exec(path))) {
      const order = store.orders.get(Number(match[1]));
      // The v2 API answers errors as a list.
      if (!order) return send(404, [{ status: 404, message: "The requested resource was not found." }]);
      if (match[2]) {
        return send(
          200,
          order.lines.map((line) => ({
            id: line.id,
            order_id: order.id,
            product_id: line.productId,
            variant_id: line.variantId,
            sku: line.sku,
            name: store.products.get(line.productId)?.name ?? "",
            quantity: line.quantity,
            price_inc_tax: line.price.toFixed(4),
            base_price: line.price.toFixed(4),
          })),
        );
      }
      const total = order.lines.reduce((sum, line) => sum + line.price * line.quantity, 0).toFixed(4);
      return send(200, {
        id: order.id,
        customer_id: order.customerId,
        date_created: order.dateCreated,
        date_modified: order.dateModified,
        status_id: order.statusId,
        status: order.status,
        cart_id: order.cartId ?? "",
        currency_code: "USD",
        total_inc_tax: total,
        total_ex_tax: total,
        payment_status: order.refunds.length > 0 ? "partially refunded" : "captured",
        items_total: order.lines.reduce((sum, line) => sum + line.quantity, 0),
      });
    }
    if (method === "GET" && (match = /^\/v3\/orders\/(\d+)\/payment_actions\/refunds$/.exec(path))) {
      const order = store.orders.get(Number(match[1]));
      if (!order) return problem(404, "Order not found");
      return send(200, {
        data: order.refunds.map((refund) => ({
          id: refund.id,
          order_id: order.id,
          created: refund.created,
          items: refund.items.map((item) => ({ item_type: "PRODUCT", item_id: item.lineItemId, quantity: item.quantity })),
        })),
        meta: {},
      });
    }
    const priceListAnswer = store.priceLists.handle(method, path, url.searchParams, async () => JSON.parse((await readBody(request)) || "null") as unknown);
    if (priceListAnswer) {
      const { status, body } = await priceListAnswer;
      return send(status, body);
    }
    const hookAnswer = store.hooks.handle(method, path, url.searchParams, async () => JSON.parse((await readBody(request)) || "{}") as Record<string, unknown>);
    if (hookAnswer) {
      const { status, body } = await hookAnswer;
      return send(status, body);
    }
    if (method === "PUT" && path === "/v3/catalog/variants") {
      // Batch variant update (price pushes): at most 50 variants, all known, prices not negative; all or nothing.
      let updates: Array<{ id?: unknown; price?: unknown }>;
      try {
        updates = JSON.parse(await readBody(request)) as typeof updates;
      } catch {
        return problem(400, "The request body is not valid JSON.");
      }
      if (!Array.isArray(updates) || updates.length === 0 || updates.length > 50) return problem(422, "Send 1 to 50 variants.");
      for (const update of updates) {
        const variant = store.variants.get(Number(update.id));
        if (!variant) return problem(422, `Variant ${String(update.id)} does not exist.`);
        if (update.price !== undefined && (typeof update.price !== "number" || update.price < 0)) return problem(422, `The price of variant ${variant.id} must be a number not below 0.`);
      }
      const modified = store.nowIso();
      const changed = updates.map((update) => {
        const variant = store.variants.get(Number(update.id))!;
        if (typeof update.price === "number") variant.price = update.price;
        variant.dateModified = modified;
        return variantBody(store, variant);
      });
      return send(200, { data: changed, meta: {} });
    }
    const absolute = method === "PUT" && path === "/v3/inventory/adjustments/absolute";
    const relative = method === "POST" && path === "/v3/inventory/adjustments/relative";
    if (absolute || relative) {
      let body: { reason?: string; items?: Array<Record<string, unknown>> };
      try {
        body = JSON.parse(await readBody(request)) as typeof body;
      } catch {
        return problem(400, "The request body is not valid JSON.");
      }
      if (!Array.isArray(body.items) || body.items.length === 0) return problem(422, "items is required");
      if (body.items.length > 2_000) return problem(422, "Limit of 2000 items for payload length exceeded.");
      const resolved: Array<{ key: string; variantId: number; locationId: number; quantity: number }> = [];
      for (const item of body.items) {
        const locationId = item.location_id;
        const quantity = item.quantity;
        if (typeof locationId !== "number" || !store.locations.has(locationId)) return problem(422, `Location ${String(locationId)} not found`);
        if (typeof quantity !== "number" || !Number.isInteger(quantity)) return problem(422, "quantity must be an integer");
        const identities = ["variant_id", "product_id", "sku"].filter((key) => item[key] !== undefined);
        if (identities.length !== 1) return problem(422, "each item needs exactly one of variant_id, product_id, sku");
        const variant =
          item.variant_id !== undefined
            ? store.variants.get(item.variant_id as number)
            : item.sku !== undefined
              ? [...store.variants.values()].find((v) => v.sku === item.sku)
              : undefined;
        if (item.product_id !== undefined) return problem(422, `[Item with product_id ${String(item.product_id)} is tracked by variant, please update stock by variant id]`);
        if (!variant) return problem(422, `Item ${JSON.stringify(item)} not found`);
        if (absolute && quantity < 0) return problem(422, "quantity must not be negative");
        resolved.push({ key: `${variant.id}@${locationId}`, variantId: variant.id, locationId, quantity });
      }
      for (const item of resolved) {
        const level = store.inventory.get(item.key)!;
        level.onHand = absolute ? item.quantity : level.onHand + item.quantity;
        store.variants.get(item.variantId)!.dateModified = store.nowIso();
      }
      for (const item of resolved) store.emitInventoryChanged(item.variantId, item.locationId);
      return send(200, { transaction_id: randomUUID() });
    }
    return problem(404, "Not Found");
  };

  // login.bigcommerce.com's token endpoint: one-time install codes for the store's access token.
  const installCodes = new Map<string, { storeHash: string; scope: string; redirectUri: string; expiresAt: number }>();
  const exchangeInstallCode = async (request: IncomingMessage, response: ServerResponse) => {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await readBody(request)) as Record<string, unknown>;
    } catch {
      return sendJson(response, 400, { error: "The request body is not JSON" });
    }
    if (!options.app || body.client_id !== options.app.clientId || body.client_secret !== options.app.clientSecret) {
      return sendJson(response, 401, { error: "Invalid client id or client secret" });
    }
    const code = installCodes.get(String(body.code ?? ""));
    installCodes.delete(String(body.code ?? ""));
    if (body.grant_type !== "authorization_code" || !code || code.expiresAt <= clock.now() || body.context !== `stores/${code.storeHash}` || body.redirect_uri !== code.redirectUri) {
      return sendJson(response, 400, { error: "Invalid authorization code, context or redirect_uri" });
    }
    const store = stores.get(code.storeHash)!;
    store.restoreAccessToken();
    sendJson(response, 200, { access_token: store.accessToken, scope: code.scope, user: { id: 9876, username: "owner", email: "owner@example.com" }, owner: { id: 9876, username: "owner", email: "owner@example.com" }, context: `stores/${code.storeHash}`, account_uuid: "00000000-0000-0000-0000-000000000000" });
  };

  const running = await listen(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://simulator");
    if (url.pathname === "/oauth2/token" && request.method === "POST") return exchangeInstallCode(request, response);
    const match = /^\/stores\/([^/]+)(\/v[23]\/.*)$/.exec(url.pathname);
    if (!match) return sendJson(response, 404, { status: 404, title: "Not Found" });
    const store = stores.get(match[1]!);
    if (!store) return sendJson(response, 404, { status: 404, title: "Store not found" });
    if (!store.acceptsToken(request.headers["x-auth-token"])) return sendJson(response, 401, { status: 401, title: "Unauthorized" });
    return handle(store, request.method ?? "GET", match[2]!, url, request, response);
  }, options.port ?? 0);

  for (const storeOptions of options.stores ?? []) addStore(storeOptions);

  return {
    url: running.url,
    addStore,
    installCode: (storeHash, scope, redirectUri) => {
      if (!stores.has(storeHash)) throw new Error(`no simulated store ${storeHash}`);
      const code = `bc_code_${randomBytes(8).toString("hex")}`;
      installCodes.set(code, { storeHash, scope, redirectUri, expiresAt: clock.now() + 600_000 });
      return code;
    },
    store: (storeHash) => {
      const store = stores.get(storeHash);
      if (!store) throw new Error(`no simulated store ${storeHash}`);
      return store;
    },
    stats: (storeHash) => {
      const stats = stores.get(storeHash)!.stats;
      return { ...stats, usedPerWindow: [...stats.usedPerWindow] };
    },
    injectFault: (storeHash, fault, times = 1) => {
      const queue = faults.get(storeHash) ?? [];
      for (let i = 0; i < times; i++) queue.push(fault);
      faults.set(storeHash, queue);
    },
    onChange: (listener) => feed.onChange(listener),
    close: running.close,
  };
}

function rfc2822(ms: number): string {
  return new Date(ms).toUTCString().replace("GMT", "+0000");
}

function totalOnHand(store: BigCommerceStore, variantId: number): number {
  let total = 0;
  for (const location of store.locations.keys()) total += store.onHand(variantId, location) ?? 0;
  return total;
}

function variantBody(store: BigCommerceStore, variant: Variant) {
  return {
    id: variant.id,
    product_id: variant.product_id,
    sku: variant.sku,
    sku_id: variant.id,
    price: variant.price,
    calculated_price: variant.price,
    retail_price: variant.retailPrice ?? 0,
    inventory_level: totalOnHand(store, variant.id),
    date_modified: variant.dateModified,
    gtin: variant.gtin ?? "",
    mpn: variant.mpn ?? "",
  };
}

function emptyStats(): BigCommerceStats {
  return { requests: 0, tooManyRequests: 0, served: 0, otherApps: 0, windowsStarted: 0, usedPerWindow: [] };
}
