import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrismaClient } from "../../app/generated/prisma/client";
import { Router } from "../../app/http/router.server";
import { registerStorefrontApi } from "../../app/http/storefrontApi.server";
import { issueApiToken } from "../../app/shops/shops.server";
import { useTestDatabase } from "../helpers/database";
import { seedStockShop, stockServices } from "../reservations/stockFixture";
import { manualClock } from "../helpers/clock";

// A flood of bogus API tokens must not take PGlite's one connection from everyone else: a client
// may cause only so many token lookups, and a bogus token sent again is refused from memory.
const database = useTestDatabase();
const clock = manualClock();
const LOOKUPS_PER_SECOND = 5;
let lookups = 0;
let url = "";
let token = "";
let server: http.Server;

beforeAll(async () => {
  const db = database();
  const shop = await seedStockShop(db, [{ sku: "A", stock: [3, 1] }], clock.date());
  token = await issueApiToken(db.prisma, shop.shopId);
  // Counts every token lookup the edge makes in the database.
  const counted = db.prisma.$extends({
    query: {
      shop: {
        findUnique({ args, query }) {
          lookups++;
          return query(args);
        },
      },
    },
  }) as unknown as PrismaClient; // the extension only observes: it is the same client to the edge
  const router = new Router();
  registerStorefrontApi(router, { services: stockServices(db, clock), prisma: counted, clock, ratePerSecond: 1000, unauthenticatedPerSecond: LOOKUPS_PER_SECOND });
  server = http.createServer((req, res) => {
    if (!router.handle(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** GET /api/v1/availability from `localAddress` (every 127.x address is a different client to the server). */
function availability(bearer: string, localAddress: string): Promise<{ status: number; retryAfter?: string; code?: string }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: "127.0.0.1", port, path: "/api/v1/availability?sku=A", localAddress, headers: { authorization: `Bearer ${bearer}` } }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (text += chunk));
      response.on("end", () => {
        const body = JSON.parse(text) as { error?: { code: string } };
        resolve({ status: response.statusCode!, retryAfter: response.headers["retry-after"], code: body.error?.code });
      });
    });
    request.on("error", reject);
    request.end();
  });
}

describe("unauthenticated API token attempts", () => {
  it("a flood of bogus tokens from one client makes a bounded number of lookups, then gets 429 with Retry-After", async () => {
    const before = lookups;
    const answers = [];
    for (let i = 0; i < 100; i++) answers.push(await availability(`lst_bogus_token_number_${i}_padding`, "127.0.0.2"));
    // The burst allowance (twice the rate) is looked up and refused; the rest never reach the database.
    expect(lookups - before).toBe(LOOKUPS_PER_SECOND * 2);
    expect(answers.filter((a) => a.status === 401)).toHaveLength(LOOKUPS_PER_SECOND * 2);
    const limited = answers.filter((a) => a.status === 429);
    expect(limited).toHaveLength(100 - LOOKUPS_PER_SECOND * 2);
    expect(limited.every((a) => a.code === "rate_limited" && Number(a.retryAfter) >= 1)).toBe(true);
  });

  it("a valid token from another client still works during the flood", async () => {
    expect((await availability(token, "127.0.0.3")).status).toBe(200);
  });

  it("remembers a bogus token: sent again and again it is looked up once", async () => {
    const before = lookups;
    for (let i = 0; i < 50; i++) expect((await availability("lst_the_same_bogus_token_again", "127.0.0.4")).status).toBe(401);
    expect(lookups - before).toBe(1);
  });

  it("lets the flooding client look tokens up again as its allowance refills", async () => {
    expect((await availability("lst_bogus_after_the_wait_padding", "127.0.0.2")).status).toBe(429);
    clock.advance(1000);
    expect((await availability(token, "127.0.0.2")).status).toBe(200);
  });
});
