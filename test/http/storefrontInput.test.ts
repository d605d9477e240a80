import { describe, expect, it } from "vitest";
import { call, proxyUrl, useStockServer } from "./stockServer";
import { heldUnits, stockServices } from "../reservations/stockFixture";

// Text the database refuses (NUL) or that has no place in a key or SKU (control characters), and
// numbers beyond a column's range: a 400 at the edge naming the field, never a 500, nothing held.
const get = useStockServer();

const CONTROL = ["\u0000", "\u0007", "\n", "\u001b[31m", "\u007f", "\u0085"];
const encodedCursorOf = (sku: string) => Buffer.from(sku, "utf8").toString("base64url");

describe("/api/v1 and /proxy input", () => {
  it("refuses control characters in every text field of a reservation with 400 invalid_text, holding nothing", async () => {
    const { url, token, shop, clock } = get();
    const bodies = CONTROL.flatMap((bad) => [
      { field: "key", json: { key: `cart${bad}1`, lines: [{ sku: "A", quantity: 1 }] } },
      { field: "lines.0.sku", json: { key: "cart-1", lines: [{ sku: `A${bad}`, quantity: 1 }] } },
      { field: "location", json: { key: "cart-1", lines: [{ sku: "A", quantity: 1 }], location: `gid${bad}` } },
    ]);
    const proxy = proxyUrl(url, "/proxy/reservations", { shop: shop.domain, timestamp: String(Math.floor(clock.now() / 1000)), logged_in_customer_id: "" });
    for (const { field, json } of bodies) {
      const api = await call(`${url}/api/v1/reservations`, { method: "POST", token, json });
      expect(api, JSON.stringify(json)).toMatchObject({ status: 400, body: { error: { code: "invalid_text", field } } });
      const viaProxy = await call(proxy, { method: "POST", json });
      expect(viaProxy, JSON.stringify(json)).toMatchObject({ status: 400, body: { error: { code: "invalid_text", field } } });
    }
    expect((await heldUnits(get().db, shop.shopId)).get("A") ?? 0).toBe(0);
  });

  it("refuses control characters in availability queries (sku, location, cursor) with 400", async () => {
    const { url, token, shop, clock } = get();
    for (const bad of CONTROL) {
      const query = [`sku=${encodeURIComponent(`A${bad}`)}`, `location=${encodeURIComponent(bad)}`, `cursor=${encodedCursorOf(`A${bad}`)}`];
      for (const q of query) {
        const api = await call(`${url}/api/v1/availability?${q}`, { token });
        expect(api, q).toMatchObject({ status: 400, body: { error: { code: "invalid_text" } } });
      }
      const [name, value] = ["sku", `A${bad}`];
      const viaProxy = await call(proxyUrl(url, "/proxy/availability", { shop: shop.domain, timestamp: String(Math.floor(clock.now() / 1000)), [name]: value }));
      expect(viaProxy).toMatchObject({ status: 400, body: { error: { code: "invalid_text" } } });
    }
  });

  it("refuses control characters in release reasons and order ids", async () => {
    const { url, token } = get();
    const created = await call(`${url}/api/v1/reservations`, { method: "POST", token, json: { key: "cart-reason", lines: [{ sku: "A", quantity: 1 }] } });
    const id = created.body.id as string;
    const reason = await call(`${url}/api/v1/reservations/${id}/release`, { method: "POST", token, json: { reason: "paid\u0000" } });
    expect(reason).toMatchObject({ status: 400, body: { error: { code: "invalid_text", field: "reason" } } });
    const order = await call(`${url}/api/v1/reservations/${id}/commit`, { method: "POST", token, json: { orderId: "\u0000" } });
    expect(order).toMatchObject({ status: 400, body: { error: { code: "invalid_text", field: "orderId" } } });
    expect((await call(`${url}/api/v1/reservations/${id}`, { token })).body.status).toBe("active");
    await call(`${url}/api/v1/reservations/${id}/release`, { method: "POST", token });
  });

  it("answers 400 to numbers beyond their range, never 500", async () => {
    const { url, token } = get();
    const tooBig = [2 ** 31, 2 ** 53, 1e300, -1, 0.5];
    for (const n of tooBig) {
      const quantity = await call(`${url}/api/v1/reservations`, { method: "POST", token, json: { key: "k", lines: [{ sku: "A", quantity: n }] } });
      expect(quantity, String(n)).toMatchObject({ status: 400, body: { error: { code: "invalid_lines" } } });
      const ttl = await call(`${url}/api/v1/reservations`, { method: "POST", token, json: { key: "k", lines: [{ sku: "A", quantity: 1 }], ttlSeconds: n } });
      expect(ttl, String(n)).toMatchObject({ status: 400, body: { error: { code: "invalid_ttl" } } });
      const limit = await call(`${url}/api/v1/availability?limit=${n}`, { token });
      expect(limit, String(n)).toMatchObject({ status: 400, body: { error: { code: "invalid_limit" } } });
    }
    // JSON's own overflow: 1e400 parses as Infinity.
    const infinite = await call(`${url}/api/v1/reservations`, { method: "POST", token, body: '{"key":"k","lines":[{"sku":"A","quantity":1e400}]}', headers: { "content-type": "application/json" } });
    expect(infinite.status).toBe(400);
    // A bundle of a million units each: 10,000 of it is more units than a stock column holds.
    await stockServices(get().db, get().clock).settings.setBundleComponents(get().shop.shopId, "C", [{ sku: "A", quantity: 1_000_000 }]);
    const overflow = await call(`${url}/api/v1/reservations`, { method: "POST", token, json: { key: "k-bundle", lines: [{ sku: "C", quantity: 10_000 }] } });
    expect(overflow).toMatchObject({ status: 400, body: { error: { code: "quantity_out_of_range" } } });
    const extend = await call(`${url}/api/v1/reservations/00000000-0000-4000-8000-000000000000/extend`, { method: "POST", token, json: { ttlSeconds: 2 ** 40 } });
    expect(extend).toMatchObject({ status: 400, body: { error: { code: "invalid_ttl" } } });
  });
});
