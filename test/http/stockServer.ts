import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll } from "vitest";
import type { Database } from "../../app/db/database.server";
import { registerAppProxy, signAppProxyParams } from "../../app/http/appProxy.server";
import { Router } from "../../app/http/router.server";
import { registerStorefrontApi } from "../../app/http/storefrontApi.server";
import { issueApiToken } from "../../app/shops/shops.server";
import { createTestDatabase } from "../helpers/database";
import { seedStockShop, type StockShop, stockServices } from "../reservations/stockFixture";
import { manualClock } from "../helpers/clock";

export const PROXY_SECRET = "proxy-test-secret";
export const PREVIOUS_SECRET = "proxy-previous-secret";

export interface StockServer {
  url: string;
  db: Database;
  clock: ReturnType<typeof manualClock>;
  shop: StockShop;
  token: string;
  other: StockShop;
  otherToken: string;
}

/** The storefront edges on node:http with two shops (each with its API token), a manual clock and a low rate limit. */
export function useStockServer(
  options: {
    ratePerSecond?: number;
    shopperRatePerSecond?: number;
    /** Where the stock services (availability, reservations, settings) read and write, when not the shops' database. */
    stockDatabase?: () => Promise<Database>;
  } = {},
): () => StockServer {
  let server: http.Server | undefined;
  let state: StockServer | undefined;
  let stockDb: Database | undefined;
  beforeAll(async () => {
    const db = await createTestDatabase();
    const clock = manualClock();
    stockDb = options.stockDatabase ? await options.stockDatabase() : undefined;
    const services = stockServices(stockDb ?? db, clock);
    const shop = await seedStockShop(db, [{ sku: "A", stock: [3, 1] }, { sku: "B", stock: [1, 0] }, { sku: "C", stock: [0, 0] }], clock.date());
    const other = await seedStockShop(db, [{ sku: "A", stock: [9, 9] }], clock.date());
    const token = await issueApiToken(db.prisma, shop.shopId);
    const otherToken = await issueApiToken(db.prisma, other.shopId);
    const router = new Router();
    const deps = { services, prisma: db.prisma, clock };
    registerStorefrontApi(router, { ...deps, ratePerSecond: options.ratePerSecond ?? 1000 });
    registerAppProxy(router, { ...deps, secrets: [PROXY_SECRET, PREVIOUS_SECRET], ratePerSecond: options.ratePerSecond ?? 1000, shopperRatePerSecond: options.shopperRatePerSecond ?? 1000 });
    server = http.createServer((req, res) => {
      if (!router.handle(req, res)) {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    state = { url: `http://127.0.0.1:${port}`, db, clock, shop, token, other, otherToken };
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await stockDb?.close();
    await state?.db.close();
  });
  return () => {
    if (!state) throw new Error("the stock server starts in beforeAll");
    return state;
  };
}

export async function call(url: string, init: RequestInit & { token?: string; json?: unknown } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  if (init.json !== undefined) headers.set("content-type", "application/json");
  const response = await fetch(url, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** An app proxy URL signed as Shopify signs it (`secret`: the app's, unless a test wants another). */
export function proxyUrl(base: string, path: string, params: Record<string, string | string[]>, secret = PROXY_SECRET): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) for (const v of [value].flat()) query.append(name, v);
  return `${base}${path}?${signAppProxyParams(query, secret).toString()}`;
}
