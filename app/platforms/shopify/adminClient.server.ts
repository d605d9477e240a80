import { ClientError, GraphQLClient } from "graphql-request";
import { SHOPIFY_API_VERSION } from "../../config/config.server";
import { type Clock, type Random, systemClock } from "../../config/clock";
import { rejectedError, throttledError, unavailableError } from "../../outbound/errors";
import { type LimiterRegistry } from "../../outbound/limiterRegistry.server";
import { type RetryPolicy, defaultRetryPolicy, parseRetryAfter } from "../../outbound/retryPolicy";
import { throttledCall } from "../../outbound/throttledCall.server";
import { type QueryCost, ShopifyCostBudget, shopifyCostBudget } from "./costBudget.server";
import { type ShopifyOperation } from "./operation";
import { estimateQueryCost } from "./queryCost";

export interface ShopifyAdminClientOptions {
  /** `my-shop.myshopify.com` */
  shop: string;
  accessToken: string;
  registry: LimiterRegistry;
  /** Defaults to the shop's Admin API endpoint for the targeted version; the simulator passes its own. */
  endpoint?: string;
  clock?: Clock;
  random?: Random;
  retry?: RetryPolicy;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface ShopifyResult<TData> {
  data: TData;
  cost?: QueryCost;
}

export interface ShopifyAdminClient {
  readonly shop: string;
  readonly budget: ShopifyCostBudget;
  request<TData, TVariables extends Record<string, unknown>>(
    operation: ShopifyOperation<TData, TVariables>,
    variables: TVariables,
  ): Promise<ShopifyResult<TData>>;
}

interface GraphQLErrorShape {
  message: string;
  extensions?: { code?: string };
}

export function shopifyAdminEndpoint(shop: string, apiVersion = SHOPIFY_API_VERSION): string {
  return `https://${shop}/admin/api/${apiVersion}/graphql.json`;
}

/** The key a shop's Admin API calls are limited (and reported) under. */
export function shopifyLimiterTarget(shop: string): string {
  return `shopify:${shop}`;
}

/**
 * The Admin GraphQL client of one shop: every request waits for its cost in the shop's bucket,
 * THROTTLED (HTTP 200 or 429) and 5xx answers are retried after the wait the bucket implies,
 * and the bucket is re-read from each answer.
 */
export function createShopifyAdminClient(options: ShopifyAdminClientOptions): ShopifyAdminClient {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const target = shopifyLimiterTarget(options.shop);
  const budget = shopifyCostBudget(options.registry, options.shop);
  const metrics = options.registry.metrics.for(target);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const graphql = new GraphQLClient(options.endpoint ?? shopifyAdminEndpoint(options.shop), {
    headers: { "X-Shopify-Access-Token": options.accessToken },
    errorPolicy: "all",
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  // What Shopify actually asked for each operation and page size: corrects our estimate upwards.
  const requestedCosts = new Map<string, number>();

  return {
    shop: options.shop,
    budget,
    async request(operation, variables) {
      const costKey = `${operation.name}:${String(variables.first ?? variables.last ?? "")}`;
      const weight = Math.max(estimateQueryCost(operation.ast, variables), requestedCosts.get(costKey) ?? 0);
      if (weight > budget.largestAffordableCost()) {
        throw rejectedError(target, `${operation.name} would cost ${weight} points, more than the shop's bucket holds`);
      }
      return budget.admit(() => throttledCall(
        { limiter: budget.limiter, metrics, retry: options.retry ?? defaultRetryPolicy, clock, random },
        weight,
        async () => {
          let response;
          try {
            response = await graphql.rawRequest<typeof operation.__data>({
              query: operation.document,
              variables,
              signal: AbortSignal.timeout(timeoutMs),
            });
          } catch (error) {
            throw httpFailure(target, error, clock.now());
          }
          const cost = (response.extensions as { cost?: QueryCost } | undefined)?.cost;
          if (cost) {
            await budget.sync(cost.throttleStatus, weight, cost.actualQueryCost);
            requestedCosts.set(costKey, cost.requestedQueryCost);
            metrics.costUsed += cost.actualQueryCost ?? 0;
          }
          const errors = (response.errors ?? []) as GraphQLErrorShape[];
          if (errors.some((error) => error.extensions?.code === "THROTTLED")) {
            const waitMs = cost ? ShopifyCostBudget.waitFor(cost.requestedQueryCost, cost.throttleStatus) : 1_000;
            throw throttledError(target, `${operation.name} throttled by Shopify`, waitMs, response.status);
          }
          if (errors.length > 0) {
            throw rejectedError(target, `${operation.name} failed: ${errors.map((error) => error.message).join("; ")}`, response.status, {
              graphqlErrors: errors,
            });
          }
          return { data: response.data as NonNullable<typeof operation.__data>, cost };
        },
      ));
    },
  };
}

function httpFailure(target: string, error: unknown, nowMs: number): unknown {
  if (!(error instanceof ClientError)) return error;
  const status = error.response.status;
  const headers = error.response.headers as Headers | undefined;
  const retryAfterMs = parseRetryAfter(headers?.get("retry-after"), nowMs);
  if (status === 429) return throttledError(target, "Shopify answered 429", retryAfterMs ?? 1_000, status);
  if (status >= 500) return unavailableError(target, `Shopify answered ${status}`, retryAfterMs, status);
  return rejectedError(target, `Shopify answered ${status}`, status);
}
