import { describe, expect, it } from "vitest";
import { openDatabase } from "../../app/db/database.server";
import { proxyUrl, useStockServer } from "./stockServer";

// The shops (and their API tokens) are in a working database, but availability and reservations
// point at a PostgreSQL server that refuses connections: the storefront is told to come back
// (503 with Retry-After), never a 500.
const get = useStockServer({ stockDatabase: () => openDatabase({ databaseUrl: "postgresql://postgres@127.0.0.1:1/unreachable", poolSize: 1 }) });

describe("storefront edges while the database is unreachable", () => {
  it("answer 503 with Retry-After on /api/v1 and /proxy", async () => {
    const { url, token, shop, clock } = get();
    const timestamp = String(Math.floor(clock.now() / 1000));
    const answers = [
      // A page of availability (a lookup by SKU goes through the cache, whose failed load is app/availability's to own).
      await fetch(`${url}/api/v1/availability?limit=5`, { headers: { authorization: `Bearer ${token}` } }),
      await fetch(`${url}/api/v1/reservations`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ key: "cart-1", lines: [{ sku: "A", quantity: 1 }] }),
      }),
      await fetch(proxyUrl(url, "/proxy/availability", { shop: shop.domain, timestamp })),
      await fetch(proxyUrl(url, "/proxy/reservations", { shop: shop.domain, timestamp }), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ key: "cart-1", lines: [{ sku: "A", quantity: 1 }] }),
      }),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(503);
      expect(answer.headers.get("retry-after")).toBe("1");
      expect(await answer.json()).toMatchObject({ error: { code: "storefront_unavailable" } });
    }
  });
});
