import { GraphQLError, type GraphQLResolveInfo, type GraphQLSchema, getDirectiveValues, parse, validate } from "graphql";
import { metafieldRootResolvers } from "./metafields";
import { validationRootResolvers } from "./validations";
import { webhookSubscriptionRootResolvers } from "./webhookSubscriptions";
import { QUANTITY_NAMES, type QuantityName, type ShopifyShop, type SimLevel, type SimProduct, type SimVariant, gid, newId, parseGid } from "./store";

export interface ExecutionContext {
  shop: ShopifyShop;
  schema: GraphQLSchema;
  /** Bulk operations read whole connections; normal queries must give a page size. */
  bulk: boolean;
  bulkDurationMs: number;
  /** Bulk operations started by this request end FAILED. */
  failBulk?: boolean;
  now: () => number;
  bulkResultUrl: (id: number) => string;
  runBulk: (query: string) => { lines: string[]; objectCount: number };
}

type Args = Record<string, unknown>;

const SET_REASONS = new Set([
  "correction",
  "cycle_count_available",
  "damaged",
  "movement_created",
  "movement_updated",
  "movement_received",
  "movement_canceled",
  "other",
  "promotion",
  "quality_control",
  "received",
  "reservation_created",
  "reservation_deleted",
  "reservation_updated",
  "restock",
  "safety_stock",
  "shrinkage",
]);

// Shopify caps a page at 250 nodes.
const MAX_PAGE = 250;

function connection<T>(items: T[], args: Args, context: ExecutionContext) {
  const first = typeof args.first === "number" ? args.first : undefined;
  const last = typeof args.last === "number" ? args.last : undefined;
  if (!context.bulk && first === undefined && last === undefined) {
    throw new GraphQLError("you must provide one of first or last");
  }
  if ((first ?? last ?? 0) > MAX_PAGE) throw new GraphQLError(`The maximum number of records that can be requested is ${MAX_PAGE}`);
  const start = typeof args.after === "string" ? Number(Buffer.from(args.after, "base64url").toString()) + 1 : 0;
  const end = first !== undefined ? start + first : items.length;
  const page = items.slice(start, end);
  const cursor = (index: number) => Buffer.from(String(start + index)).toString("base64url");
  return {
    nodes: page,
    edges: page.map((node, index) => ({ cursor: cursor(index), node })),
    pageInfo: {
      hasNextPage: end < items.length,
      hasPreviousPage: start > 0,
      startCursor: page.length > 0 ? cursor(0) : null,
      endCursor: page.length > 0 ? cursor(page.length - 1) : null,
    },
  };
}

export function locationObject(shop: ShopifyShop, id: number) {
  const location = shop.locations.get(id)!;
  return { __typename: "Location", id: gid("Location", id), name: location.name, isActive: location.isActive, legacyResourceId: String(id) };
}

function levelObject(shop: ShopifyShop, level: SimLevel, context: ExecutionContext) {
  return {
    __typename: "InventoryLevel",
    id: `gid://shopify/InventoryLevel/${level.locationId}?inventory_item_id=${level.inventoryItemId}`,
    isActive: true,
    updatedAt: level.updatedAt,
    location: () => locationObject(shop, level.locationId),
    item: () => itemObject(shop, shop.variants.get(shop.variantByItem.get(level.inventoryItemId)!)!, context),
    quantities: (args: Args) =>
      (args.names as string[]).map((name) => ({
        __typename: "InventoryQuantity",
        id: `gid://shopify/InventoryQuantity/${level.inventoryItemId}-${level.locationId}-${name}`,
        name,
        quantity: level.quantities[name as QuantityName] ?? 0,
        updatedAt: level.updatedAt,
      })),
  };
}

function itemObject(shop: ShopifyShop, variant: SimVariant, context: ExecutionContext) {
  const levels = () => [...shop.locations.keys()].map((locationId) => shop.level(variant.inventoryItemId, locationId)!).filter(Boolean);
  return {
    __typename: "InventoryItem",
    id: gid("InventoryItem", variant.inventoryItemId),
    sku: variant.sku,
    tracked: true,
    requiresShipping: true,
    variant: () => variantObject(shop, variant, context),
    inventoryLevel: (args: Args) => {
      const locationId = parseGid(args.locationId, "Location");
      const level = locationId === undefined ? undefined : shop.level(variant.inventoryItemId, locationId);
      return level ? levelObject(shop, level, context) : null;
    },
    inventoryLevels: (args: Args) => connection(levels().map((level) => levelObject(shop, level, context)), args, context),
  };
}

function variantObject(shop: ShopifyShop, variant: SimVariant, context: ExecutionContext) {
  return {
    __typename: "ProductVariant",
    id: gid("ProductVariant", variant.id),
    legacyResourceId: String(variant.id),
    sku: variant.sku,
    title: variant.title,
    displayName: variant.title,
    price: variant.price,
    compareAtPrice: variant.compareAtPrice,
    barcode: variant.barcode,
    metafield: (args: Args) => metafieldObject(shop, gid("ProductVariant", variant.id), args),
    updatedAt: variant.updatedAt,
    inventoryQuantity: shop.totalAvailable(variant.inventoryItemId),
    product: () => productObject(shop, shop.products.get(variant.productId)!, context),
    inventoryItem: () => itemObject(shop, variant, context),
  };
}

function metafieldObject(shop: ShopifyShop, ownerId: string, args: Args) {
  const metafield = shop.metafields.get(ownerId, (args.namespace as string | undefined) ?? "$app", args.key as string);
  return metafield ? { __typename: "Metafield", ...metafield } : null;
}

function productObject(shop: ShopifyShop, product: SimProduct, context: ExecutionContext) {
  return {
    __typename: "Product",
    id: gid("Product", product.id),
    legacyResourceId: String(product.id),
    title: product.title,
    handle: product.handle,
    vendor: product.vendor,
    descriptionHtml: product.bodyHtml,
    featuredMedia: product.imageSrc ? { __typename: "MediaImage", id: gid("MediaImage", product.id), mediaContentType: "IMAGE", status: "READY", preview: { image: { url: product.imageSrc } } } : null,
    metafield: (args: Args) => metafieldObject(shop, gid("Product", product.id), args),
    updatedAt: product.updatedAt,
    status: "ACTIVE",
    variants: (args: Args) =>
      connection(
        product.variantIds.map((id) => variantObject(shop, shop.variants.get(id)!, context)),
        args,
        context,
      ),
  };
}

function bulkOperationObject(context: ExecutionContext, id: number) {
  const operation = context.shop.bulkOperations.get(id);
  if (!operation) return null;
  const completed = context.now() >= operation.completesAt;
  return {
    __typename: "BulkOperation",
    id: gid("BulkOperation", id),
    status: completed ? (operation.errorCode ? "FAILED" : "COMPLETED") : "RUNNING",
    errorCode: completed ? (operation.errorCode ?? null) : null,
    createdAt: new Date(operation.createdAt).toISOString(),
    completedAt: completed ? new Date(operation.completesAt).toISOString() : null,
    objectCount: String(completed ? operation.objectCount : 0),
    rootObjectCount: String(completed ? operation.objectCount : 0),
    fileSize: completed ? String(operation.lines.join("\n").length) : null,
    url: completed && !operation.errorCode && operation.lines.length > 0 ? context.bulkResultUrl(id) : null,
    partialDataUrl: null,
    query: operation.query,
    type: "QUERY",
  };
}

function idempotencyKey(info: GraphQLResolveInfo, schema: GraphQLSchema): string | undefined {
  const directive = schema.getDirective("idempotent");
  if (!directive) return undefined;
  const values = getDirectiveValues(directive, info.fieldNodes[0]!, info.variableValues);
  return values?.key as string | undefined;
}

/**
 * Runs an inventory mutation at most once per idempotency key: a repeat with the same parameters
 * gets the stored answer, with other parameters a mismatch error, after a failure a
 * "previous attempt failed" error (Shopify's documented behaviour).
 */
function idempotent(
  context: ExecutionContext,
  info: GraphQLResolveInfo,
  args: Args,
  apply: () => { payload: Record<string, unknown>; succeeded: boolean },
  userError: (code: string, message: string) => Record<string, unknown>,
) {
  const key = idempotencyKey(info, context.schema);
  if (!key) {
    throw new GraphQLError(`The @idempotent directive is required for ${info.fieldName}`, {
      extensions: { code: "BAD_REQUEST" },
    });
  }
  const scopedKey = `${info.fieldName}:${key}`;
  const fingerprint = JSON.stringify(args);
  const stored = context.shop.idempotency.get(scopedKey);
  if (stored) {
    if (stored.fingerprint !== fingerprint) {
      return userError("IDEMPOTENCY_KEY_PARAMETER_MISMATCH", "The same idempotency key cannot be used with different operation parameters.");
    }
    if (!stored.succeeded) {
      return userError("IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED", "A previous request with this idempotency key failed. Retry with a new idempotency key.");
    }
    context.shop.stats.idempotentReplays++;
    return stored.result;
  }
  const { payload, succeeded } = apply();
  context.shop.idempotency.set(scopedKey, { fingerprint, succeeded, result: payload });
  return payload;
}

function inventoryUserErrors(errors: Array<{ code: string; message: string; field: Array<string | number> }>) {
  return errors.map((error) => ({ ...error, field: error.field.map(String) }));
}

function adjustmentGroup(context: ExecutionContext, reason: string, referenceDocumentUri: unknown, changes: Array<Record<string, unknown>>) {
  return {
    __typename: "InventoryAdjustmentGroup",
    id: gid("InventoryAdjustmentGroup", newId()),
    createdAt: new Date(context.now()).toISOString(),
    reason,
    referenceDocumentUri: (referenceDocumentUri as string | undefined) ?? null,
    changes: () => changes,
  };
}

function changeObject(context: ExecutionContext, level: SimLevel, name: string, delta: number) {
  const variant = context.shop.variants.get(context.shop.variantByItem.get(level.inventoryItemId)!)!;
  return {
    __typename: "InventoryChange",
    name,
    delta,
    quantityAfterChange: level.quantities[name as QuantityName],
    ledgerDocumentUri: null,
    item: () => itemObject(context.shop, variant, context),
    location: () => locationObject(context.shop, level.locationId),
  };
}

function findLevel(context: ExecutionContext, input: Record<string, unknown>, path: Array<string | number>) {
  const itemId = parseGid(input.inventoryItemId, "InventoryItem");
  const locationId = parseGid(input.locationId, "Location");
  if (itemId === undefined || !context.shop.variantByItem.has(itemId)) {
    return { error: { code: "INVALID_INVENTORY_ITEM", message: "The specified inventory item could not be found.", field: [...path, "inventoryItemId"] } };
  }
  const level = locationId === undefined ? undefined : context.shop.level(itemId, locationId);
  if (!level) return { error: { code: "INVALID_LOCATION", message: "The specified location could not be found.", field: [...path, "locationId"] } };
  return { level };
}

export function rootResolvers(context: ExecutionContext) {
  const { shop } = context;
  const variantsInOrder = () => [...shop.variants.values()];
  return {
    ...metafieldRootResolvers(shop.metafields),
    ...validationRootResolvers(shop.validations),
    ...webhookSubscriptionRootResolvers(shop, context.now),
    shop: () => ({
      __typename: "Shop",
      id: gid("Shop", 1),
      name: shop.domain.replace(".myshopify.com", ""),
      myshopifyDomain: shop.domain,
      ianaTimezone: shop.timeZone,
    }),
    locations: (args: Args) => connection([...shop.locations.keys()].map((id) => locationObject(shop, id)), args, context),
    location: (args: Args) => {
      const id = parseGid(args.id, "Location");
      return id !== undefined && shop.locations.has(id) ? locationObject(shop, id) : null;
    },
    products: (args: Args) => connection([...shop.products.values()].map((product) => productObject(shop, product, context)), args, context),
    product: (args: Args) => {
      const id = parseGid(args.id, "Product");
      const product = id === undefined ? undefined : shop.products.get(id);
      return product ? productObject(shop, product, context) : null;
    },
    productVariants: (args: Args) => {
      const query = typeof args.query === "string" ? args.query : "";
      const sku = /sku:(\S+)/.exec(query)?.[1]?.replace(/^"|"$/g, "");
      const matching = variantsInOrder().filter((variant) => sku === undefined || variant.sku === sku);
      return connection(
        matching.map((variant) => variantObject(shop, variant, context)),
        args,
        context,
      );
    },
    productVariant: (args: Args) => {
      const id = parseGid(args.id, "ProductVariant");
      const variant = id === undefined ? undefined : shop.variants.get(id);
      return variant ? variantObject(shop, variant, context) : null;
    },
    inventoryItem: (args: Args) => {
      const id = parseGid(args.id, "InventoryItem");
      const variantId = id === undefined ? undefined : shop.variantByItem.get(id);
      return variantId === undefined ? null : itemObject(shop, shop.variants.get(variantId)!, context);
    },
    bulkOperation: (args: Args) => {
      const id = parseGid(args.id, "BulkOperation");
      return id === undefined ? null : bulkOperationObject(context, id);
    },

    inventorySetQuantities: (args: Args, _context: unknown, info: GraphQLResolveInfo) => {
      const input = args.input as { name: string; reason: string; referenceDocumentUri?: string; quantities: Array<Record<string, unknown>> };
      const failed = (code: string, message: string, field: Array<string | number> = ["input"]) => ({
        inventoryAdjustmentGroup: null,
        userErrors: inventoryUserErrors([{ code, message, field }]),
      });
      return idempotent(
        context,
        info,
        args,
        () => {
          const fail = (code: string, message: string, field: Array<string | number>) => ({ payload: failed(code, message, field), succeeded: false });
          if (input.name !== "available" && input.name !== "on_hand") return fail("INVALID_NAME", "The quantity name must be either 'available' or 'on_hand'.", ["input", "name"]);
          if (!SET_REASONS.has(input.reason)) return fail("INVALID_REASON", "The specified reason is invalid.", ["input", "reason"]);
          const targets: Array<{ level: SimLevel; quantity: number }> = [];
          const seen = new Set<SimLevel>();
          for (const [index, quantity] of input.quantities.entries()) {
            const path = ["input", "quantities", index];
            if (!("changeFromQuantity" in quantity)) {
              return fail("INVALID_QUANTITY_NEGATIVE", "changeFromQuantity is mandatory: pass the expected quantity or null.", [...path, "changeFromQuantity"]);
            }
            const found = findLevel(context, quantity, path);
            if (found.error) return { payload: { inventoryAdjustmentGroup: null, userErrors: inventoryUserErrors([found.error]) }, succeeded: false };
            if (seen.has(found.level)) return fail("NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR", "The combination of inventoryItemId and locationId must be unique.", path);
            seen.add(found.level);
            const target = quantity.quantity as number;
            if (target < 0) return fail("INVALID_QUANTITY_NEGATIVE", "The quantity can't be negative.", [...path, "quantity"]);
            const expected = quantity.changeFromQuantity;
            if (expected !== null && expected !== found.level.quantities[input.name as QuantityName]) {
              return fail("CHANGE_FROM_QUANTITY_STALE", "The changeFromQuantity value does not match persisted value.", [...path, "changeFromQuantity"]);
            }
            targets.push({ level: found.level, quantity: target });
          }
          const changes = targets.map(({ level, quantity }) => {
            const delta = quantity - level.quantities[input.name as QuantityName];
            shop.applyDelta(level, input.name as QuantityName, delta);
            return changeObject(context, level, input.name, delta);
          });
          for (const { level } of targets) shop.emitLevelChanged(level);
          return {
            payload: { inventoryAdjustmentGroup: adjustmentGroup(context, input.reason, input.referenceDocumentUri, changes), userErrors: [] },
            succeeded: true,
          };
        },
        (code, message) => failed(code, message),
      );
    },

    inventoryAdjustQuantities: (args: Args, _context: unknown, info: GraphQLResolveInfo) => {
      const input = args.input as { name: string; reason: string; referenceDocumentUri?: string; changes: Array<Record<string, unknown>> };
      const failed = (code: string, message: string, field: Array<string | number> = ["input"]) => ({
        inventoryAdjustmentGroup: null,
        userErrors: inventoryUserErrors([{ code, message, field }]),
      });
      return idempotent(
        context,
        info,
        args,
        () => {
          const fail = (code: string, message: string, field: Array<string | number>) => ({ payload: failed(code, message, field), succeeded: false });
          if (!QUANTITY_NAMES.includes(input.name as QuantityName) || input.name === "committed") {
            return fail("INVALID_QUANTITY_NAME", "The specified quantity name is invalid.", ["input", "name"]);
          }
          if (!SET_REASONS.has(input.reason)) return fail("INVALID_REASON", "The specified reason is invalid.", ["input", "reason"]);
          const targets: Array<{ level: SimLevel; delta: number }> = [];
          for (const [index, change] of input.changes.entries()) {
            const path = ["input", "changes", index];
            if (!("changeFromQuantity" in change)) {
              return fail("ADJUST_QUANTITIES_FAILED", "changeFromQuantity is mandatory: pass the expected quantity or null.", [...path, "changeFromQuantity"]);
            }
            if (input.name !== "available" && !change.ledgerDocumentUri) {
              return fail("INVALID_QUANTITY_DOCUMENT", "A ledger document URI is required except when adjusting available.", [...path, "ledgerDocumentUri"]);
            }
            const found = findLevel(context, change, path);
            if (found.error) return { payload: { inventoryAdjustmentGroup: null, userErrors: inventoryUserErrors([found.error]) }, succeeded: false };
            const expected = change.changeFromQuantity;
            if (expected !== null && expected !== found.level.quantities[input.name as QuantityName]) {
              return fail("CHANGE_FROM_QUANTITY_STALE", "The changeFromQuantity argument no longer matches the persisted quantity.", [...path, "changeFromQuantity"]);
            }
            targets.push({ level: found.level, delta: change.delta as number });
          }
          const changes = targets.map(({ level, delta }) => {
            shop.applyDelta(level, input.name as QuantityName, delta);
            return changeObject(context, level, input.name, delta);
          });
          for (const { level } of targets) shop.emitLevelChanged(level);
          return {
            payload: { inventoryAdjustmentGroup: adjustmentGroup(context, input.reason, input.referenceDocumentUri, changes), userErrors: [] },
            succeeded: true,
          };
        },
        (code, message) => failed(code, message),
      );
    },

    productVariantsBulkUpdate: (args: Args) => {
      const productId = parseGid(args.productId, "Product");
      const product = productId === undefined ? undefined : shop.products.get(productId);
      const error = (code: string, message: string, field: string[]) => ({ product: null, productVariants: null, userErrors: [{ code, message, field }] });
      if (!product) return error("PRODUCT_DOES_NOT_EXIST", "Product does not exist", ["productId"]);
      const inputs = args.variants as Array<{ id?: string; price?: string; compareAtPrice?: string | null }>;
      const variants: SimVariant[] = [];
      for (const [index, input] of inputs.entries()) {
        const id = parseGid(input.id, "ProductVariant");
        const variant = id === undefined ? undefined : shop.variants.get(id);
        if (!variant || variant.productId !== product.id) {
          return error("PRODUCT_VARIANT_DOES_NOT_EXIST", "Product variant does not exist", ["variants", String(index), "id"]);
        }
        if (input.price !== undefined && Number(input.price) < 0) {
          return error("NEGATIVE_PRICE_VALUE", "Price must be greater than or equal to 0", ["variants", String(index), "price"]);
        }
        variants.push(variant);
      }
      const now = shop.nowIso();
      inputs.forEach((input, index) => {
        const variant = variants[index]!;
        if (input.price !== undefined) variant.price = input.price;
        if (input.compareAtPrice !== undefined) variant.compareAtPrice = input.compareAtPrice;
        variant.updatedAt = now;
      });
      product.updatedAt = now;
      shop.emitProductChanged(product);
      return {
        product: productObject(shop, product, context),
        productVariants: variants.map((variant) => variantObject(shop, variant, context)),
        userErrors: [],
      };
    },

    bulkOperationRunQuery: (args: Args) => {
      const query = args.query as string;
      const userError = (message: string) => ({ bulkOperation: null, userErrors: [{ code: "INVALID", message, field: ["query"] }] });
      let document;
      try {
        document = parse(query);
      } catch (error) {
        return userError(`Invalid bulk query: ${(error as Error).message}`);
      }
      const errors = validate(context.schema, document);
      if (errors.length > 0) return userError(`Invalid bulk query: ${errors.map((e) => e.message).join("; ")}`);
      const running = [...shop.bulkOperations.values()].filter((operation) => context.now() < operation.completesAt);
      // From 2026-01 a shop may run up to five bulk queries at once.
      if (running.length >= 5) return { bulkOperation: null, userErrors: [{ code: "LIMIT_REACHED", message: "A shop can run at most 5 bulk operations at once.", field: null }] };
      const { lines, objectCount } = context.runBulk(query);
      const id = newId();
      const createdAt = context.now();
      shop.bulkOperations.set(id, {
        id,
        query,
        createdAt,
        completesAt: createdAt + context.bulkDurationMs,
        lines,
        objectCount,
        ...(context.failBulk ? { errorCode: "INTERNAL_SERVER_ERROR" } : {}),
      });
      return { bulkOperation: { ...bulkOperationObject(context, id), status: "CREATED" }, userErrors: [] };
    },
  };
}
