import { TokenBucket } from "../../app/outbound/tokenBucket";
import { type ChangeFeed, type SimulatorClock } from "../changes";
import { SimMetafields } from "./metafields";
import { SimValidations } from "./validations";

export const QUANTITY_NAMES = [
  "available",
  "on_hand",
  "committed",
  "reserved",
  "incoming",
  "safety_stock",
  "damaged",
  "quality_control",
] as const;
export type QuantityName = (typeof QUANTITY_NAMES)[number];
// Quantities that are part of on_hand without being available.
const UNAVAILABLE: QuantityName[] = ["committed", "reserved", "safety_stock", "damaged", "quality_control"];

export interface SimLocation {
  id: number;
  name: string;
  isActive: boolean;
}

export interface SimProduct {
  id: number;
  title: string;
  handle: string;
  /** Feed attributes as Shopify holds them: HTML description, vendor, main image. */
  bodyHtml: string;
  vendor: string;
  imageSrc: string | null;
  updatedAt: string;
  variantIds: number[];
}

export interface SimVariant {
  id: number;
  productId: number;
  sku: string;
  title: string;
  price: string;
  compareAtPrice: string | null;
  /** GTIN / UPC / EAN, Shopify's `barcode`. */
  barcode: string | null;
  inventoryItemId: number;
  updatedAt: string;
}

export interface SimLevel {
  inventoryItemId: number;
  locationId: number;
  quantities: Record<QuantityName, number>;
  updatedAt: string;
}

export interface BucketSettings {
  maximumAvailable: number;
  restoreRate: number;
}

export interface ShopStats {
  requests: number;
  throttled: number;
  maxCostExceeded: number;
  invalid: number;
  /** Points actually spent (actualQueryCost summed). */
  costSpent: number;
  firstRequestAt?: number;
  lastRequestAt?: number;
  /** Idempotent replays answered from the stored result instead of applying again. */
  idempotentReplays: number;
  appliedInventoryChanges: number;
}

export interface StoredOutcome {
  fingerprint: string;
  succeeded: boolean;
  result: unknown;
}

export interface SimBulkOperation {
  id: number;
  query: string;
  createdAt: number;
  completesAt: number;
  lines: string[];
  objectCount: number;
  /** Set when the operation ends FAILED instead of COMPLETED. */
  errorCode?: string;
}

export interface SimWebhookSubscription {
  id: number;
  topic: string;
  uri: string;
  createdAt: number;
}

let nextId = 1000;
export function newId(): number {
  return ++nextId;
}

export function gid(type: string, id: number): string {
  return `gid://shopify/${type}/${id}`;
}

export function parseGid(value: unknown, type: string): number | undefined {
  if (typeof value !== "string") return undefined;
  const match = new RegExp(`^gid://shopify/${type}/(\\d+)(\\?.*)?$`).exec(value);
  return match ? Number(match[1]) : undefined;
}

/** One simulated shop: its catalog, inventory, cost bucket and what it has seen. */
export class ShopifyShop {
  readonly locations = new Map<number, SimLocation>();
  readonly products = new Map<number, SimProduct>();
  readonly variants = new Map<number, SimVariant>();
  readonly variantByItem = new Map<number, number>();
  readonly levels = new Map<string, SimLevel>();
  readonly idempotency = new Map<string, StoredOutcome>();
  readonly bulkOperations = new Map<number, SimBulkOperation>();
  /** Shop-specific webhook subscriptions made through the Admin API (the TOML's are not listed, as on Shopify). */
  readonly webhookSubscriptions: SimWebhookSubscription[] = [];
  /** Files of the shop's published (MAIN) theme, by filename (e.g. `templates/product.json`). */
  readonly mainThemeFiles = new Map<string, string>();
  readonly bucket: TokenBucket;
  /** Metafields and checkout validations, served by their own models (metafields.ts, validations.ts). */
  readonly metafields: SimMetafields;
  readonly validations: SimValidations;
  stats: ShopStats = emptyStats();

  constructor(
    readonly domain: string,
    readonly accessToken: string,
    bucket: BucketSettings,
    private readonly clock: SimulatorClock,
    private readonly feed: ChangeFeed,
    apps: { appId: string; deployedFunctions: string[]; timeZone: string } = { appId: "1", deployedFunctions: [], timeZone: "America/New_York" },
  ) {
    this.bucket = new TokenBucket({ capacity: bucket.maximumAvailable, refillPerSecond: bucket.restoreRate }, clock);
    this.timeZone = apps.timeZone;
    this.metafields = new SimMetafields({ appId: apps.appId, ownerExists: (id) => this.ownerExists(id), now: () => clock.now() });
    this.validations = new SimValidations(this.metafields, apps.deployedFunctions);
  }

  readonly timeZone: string;

  /** Whether a GID names something in this shop (a metafield owner). */
  ownerExists(id: string): boolean {
    const product = parseGid(id, "Product");
    if (product !== undefined) return this.products.has(product);
    const variant = parseGid(id, "ProductVariant");
    if (variant !== undefined) return this.variants.has(variant);
    return id.startsWith("gid://shopify/Shop/") || this.validations.isValidation(id);
  }

  resetStats(): void {
    this.stats = emptyStats();
  }

  nowIso(): string {
    return new Date(this.clock.now()).toISOString();
  }

  addLocation(name: string, id = newId()): SimLocation {
    const location = { id, name, isActive: true };
    this.locations.set(location.id, location);
    return location;
  }

  /** Ids may be given so the simulated shop matches a seeded database (e.g. the demo's). */
  addProduct(
    title: string,
    variants: Array<{ sku: string; price: string; available?: Record<number, number>; id?: number; inventoryItemId?: number; title?: string; barcode?: string | null; compareAtPrice?: string | null }>,
    id = newId(),
    attributes: { bodyHtml?: string; vendor?: string; imageSrc?: string | null } = {},
  ): SimProduct {
    const handle = title.toLowerCase().replace(/[^a-z0-9]+/g, "-");
    const product: SimProduct = {
      id,
      title,
      handle,
      bodyHtml: attributes.bodyHtml ?? `<p>${title}</p>`,
      vendor: attributes.vendor ?? "Simulated Vendor",
      imageSrc: attributes.imageSrc === undefined ? `https://cdn.shopify.example/${handle}.jpg` : attributes.imageSrc,
      updatedAt: this.nowIso(),
      variantIds: [],
    };
    this.products.set(product.id, product);
    variants.forEach((input, index) => {
      const variant: SimVariant = {
        id: input.id ?? newId(),
        productId: product.id,
        sku: input.sku,
        title: input.title ?? `${title} #${index + 1}`,
        price: input.price,
        compareAtPrice: input.compareAtPrice ?? null,
        barcode: input.barcode ?? null,
        inventoryItemId: input.inventoryItemId ?? newId(),
        updatedAt: this.nowIso(),
      };
      this.variants.set(variant.id, variant);
      this.variantByItem.set(variant.inventoryItemId, variant.id);
      product.variantIds.push(variant.id);
      for (const location of this.locations.values()) {
        const available = input.available?.[location.id] ?? 0;
        const quantities = Object.fromEntries(QUANTITY_NAMES.map((name) => [name, 0])) as Record<QuantityName, number>;
        quantities.available = available;
        quantities.on_hand = available;
        this.levels.set(levelKey(variant.inventoryItemId, location.id), {
          inventoryItemId: variant.inventoryItemId,
          locationId: location.id,
          quantities,
          updatedAt: this.nowIso(),
        });
      }
    });
    return product;
  }

  level(inventoryItemId: number, locationId: number): SimLevel | undefined {
    return this.levels.get(levelKey(inventoryItemId, locationId));
  }

  variantBySku(sku: string): SimVariant | undefined {
    for (const variant of this.variants.values()) if (variant.sku === sku) return variant;
    return undefined;
  }

  /** Applies a delta to one quantity the way Shopify keeps its states consistent. */
  applyDelta(level: SimLevel, name: QuantityName, delta: number): void {
    if (delta === 0) return;
    level.quantities[name] += delta;
    if (name === "available") level.quantities.on_hand += delta;
    else if (name === "on_hand") level.quantities.available += delta;
    else if (UNAVAILABLE.includes(name) && name !== "committed") level.quantities.on_hand += delta;
    level.updatedAt = this.nowIso();
    this.stats.appliedInventoryChanges++;
  }

  /** Tells listeners an inventory level changed, with the body of `inventory_levels/update`. */
  emitLevelChanged(level: SimLevel): void {
    this.feed.emit({
      kind: "inventory_levels/update",
      shop: this.domain,
      occurredAt: level.updatedAt,
      payload: {
        inventory_item_id: level.inventoryItemId,
        location_id: level.locationId,
        available: level.quantities.available,
        updated_at: level.updatedAt,
        admin_graphql_api_id: `gid://shopify/InventoryLevel/${level.inventoryItemId}?inventory_item_id=${level.inventoryItemId}`,
      },
    });
  }

  /** Tells listeners a product changed, with the body of `products/update`. */
  emitProductChanged(product: SimProduct): void {
    this.feed.emit({
      kind: "products/update",
      shop: this.domain,
      occurredAt: product.updatedAt,
      payload: {
        id: product.id,
        admin_graphql_api_id: gid("Product", product.id),
        title: product.title,
        handle: product.handle,
        body_html: product.bodyHtml,
        vendor: product.vendor,
        image: product.imageSrc ? { src: product.imageSrc } : null,
        updated_at: product.updatedAt,
        variants: product.variantIds.map((id) => {
          const variant = this.variants.get(id)!;
          return {
            id: variant.id,
            admin_graphql_api_id: gid("ProductVariant", variant.id),
            product_id: product.id,
            sku: variant.sku,
            title: variant.title,
            price: variant.price,
            compare_at_price: variant.compareAtPrice,
            barcode: variant.barcode,
            inventory_item_id: variant.inventoryItemId,
            inventory_quantity: this.totalAvailable(variant.inventoryItemId),
            updated_at: variant.updatedAt,
          };
        }),
      },
    });
  }

  /** A shopper's order: stock moves from available to committed, as Shopify does at checkout. */
  placeOrder(lines: Array<{ sku: string; quantity: number; locationId?: number }>): { orderId: number } {
    const orderId = newId();
    // The stock moves as part of creating the order: the level carries the order's own time.
    const now = this.nowIso();
    const firstLocation = [...this.locations.keys()][0]!;
    const touched: SimLevel[] = [];
    const orderLines = lines.map((line) => {
      const variant = this.variantBySku(line.sku);
      if (!variant) throw new Error(`unknown sku ${line.sku}`);
      const level = this.level(variant.inventoryItemId, line.locationId ?? firstLocation)!;
      level.quantities.available -= line.quantity;
      level.quantities.committed += line.quantity;
      level.updatedAt = now;
      touched.push(level);
      return { variant_id: variant.id, product_id: variant.productId, sku: variant.sku, quantity: line.quantity, price: variant.price };
    });
    this.feed.emit({
      kind: "orders/create",
      shop: this.domain,
      occurredAt: now,
      payload: { id: orderId, admin_graphql_api_id: gid("Order", orderId), created_at: now, updated_at: now, line_items: orderLines },
    });
    for (const level of touched) this.emitLevelChanged(level);
    return { orderId };
  }

  totalAvailable(inventoryItemId: number): number {
    let total = 0;
    for (const location of this.locations.keys()) total += this.level(inventoryItemId, location)?.quantities.available ?? 0;
    return total;
  }
}

export function levelKey(inventoryItemId: number, locationId: number): string {
  return `${inventoryItemId}@${locationId}`;
}

function emptyStats(): ShopStats {
  return { requests: 0, throttled: 0, maxCostExceeded: 0, invalid: 0, costSpent: 0, idempotentReplays: 0, appliedInventoryChanges: 0 };
}
