import { type IncomingMessage, type ServerResponse } from "node:http";
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLError,
  type GraphQLFieldResolver,
  type OperationDefinitionNode,
  defaultFieldResolver,
  execute,
  Kind,
  parse,
  validate,
} from "graphql";
import { ChangeFeed, type ChangeListener, type SimulatorClock, realClock } from "../changes";
import { listen, readBody, sendJson } from "../http";
import { queryCost } from "./cost";
import { type SimulatedApp, SimulatedOAuth } from "./oauth";
import { type ExecutionContext, rootResolvers } from "./resolvers";
import { loadAdminSchema } from "./schema";
import { type BucketSettings, ShopifyShop, type ShopStats } from "./store";

export const SIMULATED_API_VERSION = "2026-10";
// Shopify refuses any single query above 1,000 points whatever the bucket.
const MAX_SINGLE_QUERY_COST = 1_000;

/**
 * `concurrent-change`: just before the request runs, someone else (a POS sale, another app)
 * changes every inventory level of the shop by +1. `bulk-failed`: a bulk operation started by the
 * request ends FAILED (errorCode INTERNAL_SERVER_ERROR, no result file).
 */
export type ShopifyFault = "http500" | "http429" | "drop-after-apply" | "throttle" | "concurrent-change" | "bulk-failed";

/** Generated catalog: `products` × `variantsPerProduct` with SKUs SKU-0001-1…, `available` each. */
export interface ShopifySeed {
  locations?: string[];
  products?: number;
  variantsPerProduct?: number;
  available?: number;
}

/** A given catalog with its ids, so the simulated shop matches a database seeded with the same. */
export interface ShopifyCatalog {
  locations: Array<{ id: number; name: string }>;
  products: Array<{
    id: number;
    title: string;
    /** Feed attributes (description HTML, vendor, image); defaults derived from the title. */
    bodyHtml?: string;
    vendor?: string;
    imageSrc?: string;
    variants: Array<{ id: number; inventoryItemId: number; sku: string; title: string; price: string; available: number[]; barcode?: string }>;
  }>;
}

export interface ShopifyShopOptions {
  domain: string;
  accessToken?: string;
  /** Defaults to a Standard plan: 100 points/s restored into a 2,000-point bucket. */
  bucket?: Partial<BucketSettings>;
  seed?: ShopifySeed;
  catalog?: ShopifyCatalog;
  /** Handles of the app's deployed cart and checkout validation Functions (for validationCreate). */
  deployedFunctions?: string[];
  /** The app's id: `$app:` metafield namespaces become `app--{appId}--…`. */
  appId?: string;
  timeZone?: string;
}

export interface ShopifySimulatorOptions {
  port?: number;
  shops?: ShopifyShopOptions[];
  clock?: SimulatorClock;
  /** How long a bulk operation stays RUNNING before its file is ready. */
  bulkDurationMs?: number;
  /** The app whose session tokens the token endpoint exchanges (without it, only each shop's fixed `accessToken` works). */
  app?: SimulatedApp;
}

export interface ShopifySimulator {
  url: string;
  /** The Admin GraphQL endpoint of one shop (what `createShopifyAdminClient` takes as `endpoint`). */
  endpointFor(domain: string): string;
  addShop(options: ShopifyShopOptions): ShopifyShop;
  shop(domain: string): ShopifyShop;
  stats(domain: string): ShopStats;
  /** The next `times` requests of `domain` fail this way. */
  injectFault(domain: string, fault: ShopifyFault, times?: number): void;
  onChange(listener: ChangeListener): () => void;
  /** The token endpoint's model: issued tokens and what it answered (present when `app` was given). */
  oauth: SimulatedOAuth | undefined;
  /** The merchant uninstalls the app: the shop's issued tokens stop working and its API subscriptions go. */
  uninstallApp(domain: string): void;
  close(): Promise<void>;
}

/**
 * A Shopify Admin GraphQL endpoint on 127.0.0.1: documents are validated and executed against
 * the real 2026-10 schema, each shop has a cost-based leaky bucket answered in
 * `extensions.cost`, and an empty bucket gives THROTTLED with HTTP 200, as Shopify does.
 */
export async function startShopifySimulator(options: ShopifySimulatorOptions = {}): Promise<ShopifySimulator> {
  const schema = loadAdminSchema(SIMULATED_API_VERSION);
  const clock = options.clock ?? realClock;
  const feed = new ChangeFeed();
  const shops = new Map<string, ShopifyShop>();
  const faults = new Map<string, ShopifyFault[]>();
  const validated = new Map<string, { document: DocumentNode; errors: readonly GraphQLError[] }>();
  const oauth = options.app ? new SimulatedOAuth(options.app, () => clock.now()) : undefined;
  let baseUrl = "";

  const addShop = (shopOptions: ShopifyShopOptions): ShopifyShop => {
    const shop = new ShopifyShop(
      shopOptions.domain,
      shopOptions.accessToken ?? "shpat_simulated",
      { maximumAvailable: shopOptions.bucket?.maximumAvailable ?? 2_000, restoreRate: shopOptions.bucket?.restoreRate ?? 100 },
      clock,
      feed,
      { appId: shopOptions.appId ?? "1", deployedFunctions: shopOptions.deployedFunctions ?? [], timeZone: shopOptions.timeZone ?? "America/New_York" },
    );
    if (shopOptions.catalog) seedCatalog(shop, shopOptions.catalog);
    else seedShop(shop, shopOptions.seed ?? {});
    shops.set(shop.domain, shop);
    return shop;
  };

  const parseAndValidate = (query: string) => {
    let entry = validated.get(query);
    if (!entry) {
      const document = parse(query);
      entry = { document, errors: validate(schema, document) };
      if (validated.size > 500) validated.clear();
      validated.set(query, entry);
    }
    return entry;
  };

  const runBulk = (shop: ShopifyShop) => (query: string) => {
    const document = parse(query);
    const context = executionContext(shop, true);
    const result = execute({ schema, document, rootValue: rootResolvers(context), contextValue: context, fieldResolver: resolver });
    const lines: string[] = [];
    for (const value of Object.values(result instanceof Promise ? {} : (result.data ?? {}))) flattenConnection(value, undefined, lines);
    return { lines, objectCount: lines.length };
  };

  const executionContext = (shop: ShopifyShop, bulk: boolean, failBulk = false): ExecutionContext => {
    const context: ExecutionContext = {
      shop,
      schema,
      bulk,
      failBulk,
      bulkDurationMs: options.bulkDurationMs ?? 0,
      now: () => clock.now(),
      bulkResultUrl: (id) => `${baseUrl}/bulk/${encodeURIComponent(shop.domain)}/${id}.jsonl`,
      runBulk: (query) => runBulk(shop)(query),
    };
    return context;
  };

  const handleGraphQL = async (shop: ShopifyShop, request: IncomingMessage, response: ServerResponse) => {
    const stats = shop.stats;
    stats.requests++;
    stats.firstRequestAt ??= clock.now();
    stats.lastRequestAt = clock.now();
    const fault = faults.get(shop.domain)?.shift();
    if (fault === "http500") return sendJson(response, 500, { errors: "Internal Server Error" });
    if (fault === "http429") return sendJson(response, 429, { errors: "Throttled" }, { "retry-after": "1" });

    let body: { query?: string; variables?: Record<string, unknown>; operationName?: string };
    try {
      body = JSON.parse(await readBody(request)) as typeof body;
    } catch {
      return sendJson(response, 400, { errors: "Bad Request: body is not JSON" });
    }
    if (typeof body.query !== "string") return sendJson(response, 400, { errors: "Bad Request: query missing" });
    const variables = body.variables ?? {};

    let entry;
    try {
      entry = parseAndValidate(body.query);
    } catch (error) {
      stats.invalid++;
      return sendJson(response, 200, { errors: [{ message: (error as Error).message, extensions: { code: "PARSE_ERROR" } }] });
    }
    if (entry.errors.length > 0) {
      stats.invalid++;
      return sendJson(response, 200, { errors: entry.errors.map((error) => error.toJSON()) });
    }
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of entry.document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    const operations = entry.document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    const operation = body.operationName ? operations.find((o) => o.name?.value === body.operationName) : operations[0];
    if (!operation) return sendJson(response, 200, { errors: [{ message: "operation not found" }] });

    const requested = queryCost(schema, operation, fragments, variables);
    const throttleStatus = () => ({
      maximumAvailable: shop.bucket.capacity,
      currentlyAvailable: Math.floor(shop.bucket.available()),
      restoreRate: shop.bucket.refillPerSecond,
    });
    if (requested > Math.min(MAX_SINGLE_QUERY_COST, shop.bucket.capacity)) {
      stats.maxCostExceeded++;
      return sendJson(response, 200, {
        errors: [{ message: `Query cost is ${requested}, which exceeds the single query max cost limit (${MAX_SINGLE_QUERY_COST}).`, extensions: { code: "MAX_COST_EXCEEDED", cost: requested, maxCost: MAX_SINGLE_QUERY_COST } }],
        extensions: { cost: { requestedQueryCost: requested, actualQueryCost: null, throttleStatus: throttleStatus() } },
      });
    }
    if (fault === "throttle" || !shop.bucket.tryTake(requested)) {
      stats.throttled++;
      return sendJson(response, 200, {
        errors: [{ message: "Throttled", extensions: { code: "THROTTLED", documentation: "https://shopify.dev/api/usage/rate-limits" } }],
        extensions: { cost: { requestedQueryCost: requested, actualQueryCost: null, throttleStatus: throttleStatus() } },
      });
    }

    if (fault === "concurrent-change") {
      for (const level of shop.levels.values()) {
        shop.applyDelta(level, "available", 1);
        shop.emitLevelChanged(level);
      }
    }
    const context = executionContext(shop, false, fault === "bulk-failed");
    const result = await execute({
      schema,
      document: entry.document,
      rootValue: rootResolvers(context),
      contextValue: context,
      variableValues: variables,
      operationName: body.operationName,
      fieldResolver: resolver,
    });
    const actual = Math.min(requested, queryCost(schema, operation, fragments, variables, result.data as Record<string, unknown> | null));
    shop.bucket.refund(requested - actual);
    stats.costSpent += actual;
    if (fault === "drop-after-apply") {
      // The change is made but the answer never arrives: the client must retry without applying twice.
      request.socket.destroy();
      return;
    }
    sendJson(response, 200, {
      ...(result.errors ? { errors: result.errors.map((error) => error.toJSON()) } : {}),
      data: result.data ?? null,
      extensions: { cost: { requestedQueryCost: requested, actualQueryCost: actual, throttleStatus: throttleStatus() } },
    });
  };

  const running = await listen(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://simulator");
    // Requests routed here from `https://{shop}/admin/...` (test/helpers/platformHosts.ts) name the shop in Host.
    const hostShop = /^([a-z0-9][a-z0-9-]*\.myshopify\.com)(:\d+)?$/.exec(request.headers.host ?? "")?.[1];
    if (hostShop && url.pathname === "/admin/oauth/access_token" && request.method === "POST") return answerTokenRequest(hostShop, request, response);
    if (hostShop && url.pathname.startsWith("/admin/")) url.pathname = `/${hostShop}${url.pathname}`;
    const graphqlPath = /^\/([^/]+)\/admin\/api\/([^/]+)\/graphql\.json$/.exec(url.pathname);
    if (graphqlPath && request.method === "POST") {
      const shop = shops.get(decodeURIComponent(graphqlPath[1]!));
      if (!shop) return sendJson(response, 404, { errors: "Not Found" });
      if (graphqlPath[2] !== SIMULATED_API_VERSION) return sendJson(response, 404, { errors: `API version ${graphqlPath[2]} is not simulated` });
      const token = String(request.headers["x-shopify-access-token"] ?? "");
      if (token !== shop.accessToken && !oauth?.accepts(shop.domain, token)) {
        return sendJson(response, 401, { errors: "[API] Invalid API key or access token (unrecognized login or wrong password)" });
      }
      return handleGraphQL(shop, request, response);
    }
    const bulkPath = /^\/bulk\/([^/]+)\/(\d+)\.jsonl$/.exec(url.pathname);
    if (bulkPath && request.method === "GET") {
      const operation = shops.get(decodeURIComponent(bulkPath[1]!))?.bulkOperations.get(Number(bulkPath[2]));
      if (!operation) return sendJson(response, 404, { errors: "Not Found" });
      const text = operation.lines.map((line) => `${line}\n`).join("");
      response.writeHead(200, { "content-type": "application/jsonl", "content-length": Buffer.byteLength(text) });
      response.end(text);
      return;
    }
    sendJson(response, 404, { errors: "Not Found" });
  }, options.port ?? 0);
  baseUrl = running.url;

  async function answerTokenRequest(domain: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!oauth || !shops.has(domain)) return sendJson(response, 404, { errors: "Not Found" });
    const text = await readBody(request);
    let body: Record<string, unknown>;
    try {
      body = String(request.headers["content-type"] ?? "").includes("application/x-www-form-urlencoded")
        ? Object.fromEntries(new URLSearchParams(text))
        : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      return sendJson(response, 400, { error: "invalid_request", error_description: "The request body is neither JSON nor a form." });
    }
    const answer = oauth.answer(domain, body ?? {});
    sendJson(response, answer.status, answer.body);
  }

  for (const shopOptions of options.shops ?? []) addShop(shopOptions);

  return {
    url: running.url,
    endpointFor: (domain) => `${running.url}/${encodeURIComponent(domain)}/admin/api/${SIMULATED_API_VERSION}/graphql.json`,
    addShop,
    shop: (domain) => {
      const shop = shops.get(domain);
      if (!shop) throw new Error(`no simulated shop ${domain}`);
      return shop;
    },
    stats: (domain) => ({ ...shops.get(domain)!.stats }),
    injectFault: (domain, fault, times = 1) => {
      const queue = faults.get(domain) ?? [];
      for (let i = 0; i < times; i++) queue.push(fault);
      faults.set(domain, queue);
    },
    onChange: (listener) => feed.onChange(listener),
    oauth,
    uninstallApp: (domain) => {
      oauth?.revokeShop(domain);
      shops.get(domain)?.webhookSubscriptions.splice(0);
    },
    close: running.close,
  };
}

// Root fields and lazily built objects are plain functions taking the field's arguments.
const resolver: GraphQLFieldResolver<unknown, unknown> = (source, args, context, info) => {
  const value = (source as Record<string, unknown> | null)?.[info.fieldName];
  if (typeof value === "function") return (value as (a: unknown, c: unknown, i: unknown) => unknown)(args, context, info);
  return defaultFieldResolver(source, args, context, info);
};

/**
 * Shopify's bulk JSONL: every node of a connection is its own line; nodes of a nested connection
 * are lifted out of their parent and carry `__parentId`, written after the parent.
 */
function flattenConnection(value: unknown, parentId: string | undefined, lines: string[]): void {
  const connection = value as { edges?: Array<{ node: Record<string, unknown> }>; nodes?: Array<Record<string, unknown>> } | null;
  const nodes = connection?.edges?.map((edge) => edge.node) ?? connection?.nodes ?? [];
  for (const node of nodes) {
    const line: Record<string, unknown> = structuredClone(node);
    const children: unknown[] = [];
    liftConnections(line, children);
    if (parentId) line.__parentId = parentId;
    lines.push(JSON.stringify(line));
    for (const child of children) flattenConnection(child, node.id as string, lines);
  }
}

function liftConnections(object: Record<string, unknown>, found: unknown[]): void {
  for (const [key, value] of Object.entries(object)) {
    if (!value || typeof value !== "object" || Array.isArray(value)) continue;
    if ("edges" in value || "nodes" in value) {
      found.push(value);
      delete object[key];
    } else liftConnections(value as Record<string, unknown>, found);
  }
}

function seedShop(shop: ShopifyShop, seed: ShopifySeed): void {
  const locations = (seed.locations ?? ["Main warehouse"]).map((name) => shop.addLocation(name));
  const products = seed.products ?? 0;
  for (let p = 0; p < products; p++) {
    const variants = Array.from({ length: seed.variantsPerProduct ?? 1 }, (_, v) => ({
      sku: `SKU-${String(p + 1).padStart(4, "0")}-${v + 1}`,
      price: (10 + ((p * 7 + v) % 90)).toFixed(2),
      available: Object.fromEntries(locations.map((location) => [location.id, seed.available ?? 10])),
    }));
    shop.addProduct(`Product ${p + 1}`, variants);
  }
}

function seedCatalog(shop: ShopifyShop, catalog: ShopifyCatalog): void {
  const locations = catalog.locations.map((location) => shop.addLocation(location.name, location.id));
  for (const product of catalog.products) {
    shop.addProduct(
      product.title,
      product.variants.map((variant) => ({
        id: variant.id,
        inventoryItemId: variant.inventoryItemId,
        sku: variant.sku,
        title: variant.title,
        price: variant.price,
        barcode: variant.barcode ?? null,
        available: Object.fromEntries(locations.map((location, index) => [location.id, variant.available[index] ?? 0])),
      })),
      product.id,
      { bodyHtml: product.bodyHtml, vendor: product.vendor, imageSrc: product.imageSrc },
    );
  }
}
