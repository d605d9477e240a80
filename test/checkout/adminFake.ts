import { execute, parse, validate } from "graphql";
import { SHOPIFY_API_VERSION } from "../../app/config/config.server";
import { createShopifyAdminClient, type ShopifyAdminClient } from "../../app/platforms/shopify/adminClient.server";
import { createLimiterRegistry, type LimiterRegistry } from "../../app/outbound/limiterRegistry.server";
import { type Clock } from "../../app/config/clock";
import { CHECKOUT_FUNCTION_HANDLE } from "../../app/checkout/checkoutClock.server";
import { type RunningServer, listen, readBody, sendJson } from "../../simulators/http";
import { SimMetafields, metafieldRootResolvers } from "../../simulators/shopify/metafields";
import { loadAdminSchema } from "../../simulators/shopify/schema";
import { type SimValidation, SimValidations, validationRootResolvers } from "../../simulators/shopify/validations";

export interface AdminFake {
  client: ShopifyAdminClient;
  registry: LimiterRegistry;
  metafields: SimMetafields;
  validations: SimValidation[];
  validationStore: SimValidations;
  /** Every operation received, in order, with its variables. */
  received: Array<{ operationName: string; variables: Record<string, unknown> }>;
  /** The next `times` requests fail with HTTP `status` before reaching the schema. */
  failNext(status: number, times?: number): void;
  /** Serves the same shop over HTTP (for code that builds its own client): resolves to the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** The offline token the fake shop accepts. */
export const ACCESS_TOKEN = "shpat_fake";

const THROTTLE_STATUS = { maximumAvailable: 2_000, currentlyAvailable: 1_990, restoreRate: 100 };

/**
 * A shop's Admin GraphQL endpoint behind the real Admin client (its limiter, cost budget and
 * retries): every document is validated against Shopify's 2026-10 schema and executed, with
 * `metafieldsSet` served by the simulator's metafield model.
 */
export function startAdminFake(
  options: { domain?: string; variants?: number[]; timeZone?: string; now?: () => number; clock?: Clock; deployedFunctions?: string[] } = {},
): AdminFake {
  const schema = loadAdminSchema(SHOPIFY_API_VERSION);
  const domain = options.domain ?? "fake-shop.myshopify.com";
  const owners = new Set((options.variants ?? []).map((id) => `gid://shopify/ProductVariant/${id}`));
  const metafields: SimMetafields = new SimMetafields({
    appId: "424242",
    ownerExists: (id) => owners.has(id) || validations.isValidation(id),
    now: options.now ?? Date.now,
  });
  const validations = new SimValidations(metafields, options.deployedFunctions ?? [CHECKOUT_FUNCTION_HANDLE]);
  const received: AdminFake["received"] = [];
  const failures: number[] = [];
  const servers: RunningServer[] = [];

  const root = {
    ...metafieldRootResolvers(metafields),
    ...validationRootResolvers(validations),
    shop: () => ({ ianaTimezone: options.timeZone ?? "America/New_York" }),
  };

  const fakeFetch: typeof fetch = async (_url, init) => {
    const status = failures.shift();
    if (status !== undefined) return Response.json({ errors: `HTTP ${status}` }, { status });
    const body = JSON.parse(String(init?.body)) as { query: string; variables?: Record<string, unknown>; operationName?: string };
    const document = parse(body.query);
    const errors = validate(schema, document);
    const extensions = { cost: { requestedQueryCost: 10, actualQueryCost: 10, throttleStatus: THROTTLE_STATUS } };
    if (errors.length > 0) return Response.json({ errors: errors.map((error) => error.toJSON()), extensions });
    const operation = document.definitions[0] as { name?: { value: string } };
    received.push({ operationName: operation.name?.value ?? "", variables: body.variables ?? {} });
    const result = await execute({ schema, document, rootValue: root, variableValues: body.variables });
    return Response.json({ ...(result.errors ? { errors: result.errors.map((error) => error.toJSON()) } : {}), data: result.data ?? null, extensions });
  };

  const registry = createLimiterRegistry({ prefix: `storefront-test-${domain}` });
  const client = createShopifyAdminClient({
    shop: domain,
    accessToken: ACCESS_TOKEN,
    registry,
    endpoint: `http://127.0.0.1/${domain}/admin/api/${SHOPIFY_API_VERSION}/graphql.json`,
    fetch: fakeFetch,
    ...(options.clock ? { clock: options.clock } : {}),
    random: () => 0,
  });
  return {
    client,
    registry,
    metafields,
    validations: validations.all,
    validationStore: validations,
    received,
    failNext: (status, times = 1) => {
      for (let i = 0; i < times; i++) failures.push(status);
    },
    async listen() {
      const server = await listen(async (request, response) => {
        if (request.url !== `/${encodeURIComponent(domain)}/admin/api/${SHOPIFY_API_VERSION}/graphql.json`) return sendJson(response, 404, { errors: "Not Found" });
        if (request.headers["x-shopify-access-token"] !== ACCESS_TOKEN) return sendJson(response, 401, { errors: "[API] Invalid API key or access token" });
        const answer = await fakeFetch(request.url ?? "/", { method: "POST", body: await readBody(request) });
        sendJson(response, answer.status, await answer.json());
      }, 0);
      servers.push(server);
      return server.url;
    },
    close: async () => {
      await Promise.all(servers.map((server) => server.close()));
      await registry.close();
    },
  };
}
