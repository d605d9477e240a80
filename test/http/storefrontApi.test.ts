import { describe, expect, it } from "vitest";
import { call, useStockServer } from "./stockServer";

const get = useStockServer();

describe("/api/v1 availability and reservations", () => {
  it("refuses a request without a token, with a wrong token, and never shows one shop's reservation to another", async () => {
    const { url, token, otherToken } = get();
    const missing = await call(`${url}/api/v1/availability?sku=A`);
    expect(missing).toMatchObject({ status: 401, body: { error: { code: "missing_token" } } });
    const wrong = await call(`${url}/api/v1/availability?sku=A`, { token: "lst_not-a-token-of-any-shop-at-all" });
    expect(wrong).toMatchObject({ status: 401, body: { error: { code: "invalid_token" } } });

    const created = await call(`${url}/api/v1/reservations`, { method: "POST", token, json: { key: "cart-secret", lines: [{ sku: "B", quantity: 1 }] } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const elsewhere = await call(`${url}/api/v1/reservations/${id}`, { token: otherToken });
    expect(elsewhere).toMatchObject({ status: 404, body: { error: { code: "reservation_not_found" } } });
    const released = await call(`${url}/api/v1/reservations/${id}/release`, { method: "POST", token: otherToken });
    expect(released.status).toBe(404);
    expect((await call(`${url}/api/v1/reservations/${id}`, { token })).body.status).toBe("active");
    await call(`${url}/api/v1/reservations/${id}/release`, { method: "POST", token });
  });

  it("answers availability by SKU and lists every item a page at a time", async () => {
    const { url, token, clock } = get();
    const bySku = await call(`${url}/api/v1/availability?sku=A&sku=B,NOPE`, { token });
    expect(bySku).toEqual({
      status: 200,
      body: { items: [
        { sku: "A", available: 4, updatedAt: clock.date().toISOString(), stale: false },
        { sku: "B", available: 1, updatedAt: clock.date().toISOString(), stale: false },
      ] },
    });
    const first = await call(`${url}/api/v1/availability?limit=2`, { token });
    expect((first.body.items as { sku: string }[]).map((i) => i.sku)).toEqual(["A", "B"]);
    const second = await call(`${url}/api/v1/availability?limit=2&cursor=${first.body.nextCursor as string}`, { token });
    expect(second.body).toMatchObject({ items: [{ sku: "C", available: 0 }], nextCursor: null });
    expect((await call(`${url}/api/v1/availability?limit=0`, { token })).body).toMatchObject({ error: { code: "invalid_limit" } });
    expect((await call(`${url}/api/v1/availability?cursor=%%%`, { token })).status).toBe(400);
  });

  it("reserves (201), returns the same reservation for the same key (200), and refuses with shortages (409)", async () => {
    const { url, token } = get();
    const created = await call(`${url}/api/v1/reservations`, { method: "POST", token, json: { key: "cart-123", lines: [{ sku: "A", quantity: 2 }], ttlSeconds: 900 } });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual(["expiresAt", "id", "key", "lines", "status"]);
    expect(created.body).toMatchObject({ key: "cart-123", status: "active", lines: [{ sku: "A", quantity: 2 }] });
    const again = await call(`${url}/api/v1/reservations`, { method: "POST", token, json: { key: "cart-123", lines: [{ sku: "A", quantity: 3 }], ttlSeconds: 900 } });
    expect(again).toMatchObject({ status: 200, body: { id: created.body.id, lines: [{ sku: "A", quantity: 3 }] } });

    const short = await call(`${url}/api/v1/reservations`, { method: "POST", token, json: { key: "cart-456", lines: [{ sku: "A", quantity: 2 }, { sku: "C", quantity: 1 }] } });
    expect(short).toEqual({
      status: 409,
      body: { error: { code: "insufficient_stock", message: expect.any(String), shortages: [{ sku: "A", requested: 2, available: 1 }, { sku: "C", requested: 1, available: 0 }], requestId: expect.any(String) } },
    });
    await call(`${url}/api/v1/reservations/${created.body.id as string}/release`, { method: "POST", token });
  });

  it("extends, releases and commits by id, and says 404 / 409 when it cannot", async () => {
    const { url, token, clock } = get();
    const { body } = await call(`${url}/api/v1/reservations`, { method: "POST", token, json: { key: "cart-life", lines: [{ sku: "A", quantity: 1 }], ttlSeconds: 60 } });
    const id = body.id as string;
    const extended = await call(`${url}/api/v1/reservations/${id}/extend`, { method: "POST", token, json: { ttlSeconds: 600 } });
    expect(extended).toMatchObject({ status: 200, body: { id, expiresAt: new Date(clock.now() + 600_000).toISOString() } });
    const committed = await call(`${url}/api/v1/reservations/${id}/commit`, { method: "POST", token, json: { orderId: "order-1" } });
    expect(committed).toMatchObject({ status: 200, body: { status: "committed" } });
    const late = await call(`${url}/api/v1/reservations/${id}/extend`, { method: "POST", token });
    expect(late).toMatchObject({ status: 409, body: { error: { code: "reservation_not_active", status: "committed" } } });
    expect((await call(`${url}/api/v1/reservations/${id}`, { token })).body.status).toBe("committed");
    expect((await call(`${url}/api/v1/reservations/${id}/cancel`, { method: "POST", token })).status).toBe(404);
    expect((await call(`${url}/api/v1/reservations/00000000-0000-4000-8000-000000000000/release`, { method: "POST", token })).status).toBe(404);
  });

  it("answers 400 to bad bodies and 413 to huge ones, holding nothing", async () => {
    const { url, token } = get();
    const notJson = await call(`${url}/api/v1/reservations`, { method: "POST", token, body: "{nope", headers: { "content-type": "application/json" } });
    expect(notJson).toMatchObject({ status: 400, body: { error: { code: "invalid_json" } } });
    const noLines = await call(`${url}/api/v1/reservations`, { method: "POST", token, json: { key: "k" } });
    expect(noLines).toMatchObject({ status: 400, body: { error: { code: "invalid_lines" } } });
    const badQuantity = await call(`${url}/api/v1/reservations`, { method: "POST", token, json: { key: "k", lines: [{ sku: "A", quantity: "2" }] } });
    expect(badQuantity.status).toBe(400);
    const unknown = await call(`${url}/api/v1/reservations`, { method: "POST", token, json: { key: "k", lines: [{ sku: "ZZZ", quantity: 1 }] } });
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: "unknown_sku", skus: ["ZZZ"] } } });
    const huge = await call(`${url}/api/v1/reservations`, { method: "POST", token, json: { key: "k", lines: [{ sku: "A".repeat(70_000), quantity: 1 }] } });
    expect(huge).toMatchObject({ status: 413, body: { error: { code: "body_too_large" } } });
    // Nothing held by the bad requests: 4 in stock, less the unit committed to order-1 above, which
    // counts until the platform reports the order.
    const { body } = await call(`${url}/api/v1/availability?sku=A`, { token });
    expect((body.items as { available: number }[])[0]!.available).toBe(3);
  });
});

describe("/api/v1 rate limit", () => {
  const limited = useStockServer({ ratePerSecond: 2 });

  it("answers 429 once a shop's client goes past its limit, and serves it again as time passes", async () => {
    const { url, token, otherToken, clock } = limited();
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await call(`${url}/api/v1/availability?sku=A`, { token })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    const body = (await call(`${url}/api/v1/availability?sku=A`, { token })).body;
    expect(body).toMatchObject({ error: { code: "rate_limited" } });
    // Another shop has its own allowance.
    expect((await call(`${url}/api/v1/availability?sku=A`, { token: otherToken })).status).toBe(200);
    clock.advance(1_000);
    expect((await call(`${url}/api/v1/availability?sku=A`, { token })).status).toBe(200);
  });

  it("counts a request once whether its token is remembered and its answer cached or not", async () => {
    const { url, token, clock } = limited();
    clock.advance(60_000);
    const statuses = [];
    // Each SKU a first time (a cache miss after the token is remembered), then a cached one.
    for (const sku of ["A", "B", "C", "NOPE", "B"]) statuses.push((await call(`${url}/api/v1/availability?sku=${sku}`, { token })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
  });
});
