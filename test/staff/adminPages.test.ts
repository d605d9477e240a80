import { describe, expect, it } from "vitest";
import { DEMO_SHOP_DOMAIN } from "../../app/demo/seed.server";
import { findShopByDomain } from "../../app/shops/shops.server";
import { BROWSER_HEADERS, useDemoAdmin } from "../helpers/server";

const { server, cookie } = useDemoAdmin();

async function demoShopId(): Promise<string> {
  return (await findShopByDomain(server().context.db.prisma, "shopify", DEMO_SHOP_DOMAIN))!.id;
}

async function postSettings(fields: Record<string, string>) {
  const body = new URLSearchParams({
    availabilityMode: "pooled",
    staleAction: "cap",
    defaultSafetyStock: "0",
    oversellThreshold: "0",
    cacheTtlSeconds: "30",
    staleAfterSeconds: "900",
    staleCapQuantity: "1",
    lowStockThreshold: "3",
    reservationTtlSeconds: "900",
    proxyMaxQuantity: "10",
    proxyMaxStockPercent: "50",
    proxyMaxHoldSeconds: "900",
    proxyExactStockUpTo: "5",
    ...fields,
  });
  return fetch(`${server().url}/app/settings`, { method: "POST", headers: { ...BROWSER_HEADERS, cookie: cookie(), "content-type": "application/x-www-form-urlencoded" }, body });
}

describe("the reservations page", () => {
  it("lists the active holds and the held units by item", async () => {
    const reservations = server().context.stock.reservations;
    await reservations.reserve(await demoShopId(), { key: "cart-admin-page", lines: [{ sku: "TENT-UL-2P", quantity: 2 }], ttlSeconds: 600 });
    const response = await fetch(`${server().url}/app/reservations`, { headers: { ...BROWSER_HEADERS, cookie: cookie() } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain("cart-admin-page");
    expect(html).toContain("2 × TENT-UL-2P");
    expect(html).toContain("Ultralight Tent 2P");
  });

  it("is behind the login", async () => {
    const response = await fetch(`${server().url}/app/reservations`, { headers: BROWSER_HEADERS, redirect: "manual" });
    expect(response.status).toBe(302);
  });
});

describe("the dashboard's outbound calls", () => {
  it("lists the shop's own limiter and the destinations with their requests and throttles", async () => {
    const metrics = server().context.outbound.metrics.for("destination:erp-main");
    metrics.requests = 17;
    metrics.throttles = 2;
    metrics.circuitState = "open";
    server().context.outbound.metrics.for(`shopify:${DEMO_SHOP_DOMAIN}`).requests = 5;
    server().context.outbound.metrics.for("shopify:another-merchant.myshopify.com").requests = 9;
    const page = await (await fetch(`${server().url}/app`, { headers: { ...BROWSER_HEADERS, cookie: cookie() } })).text();
    expect(page).toContain("Outbound calls");
    expect(page).toMatch(/destination:erp-main.*?17.*?2.*?open/s);
    expect(page).toContain(`shopify:${DEMO_SHOP_DOMAIN}`);
    // Another merchant's store is none of this shop's staff's business.
    expect(page).not.toContain("another-merchant");
  });
});

describe("the dashboard's catalog read", () => {
  it("starts a backfill and shows its outcome (the demo shop has no Shopify session, so it fails and says why)", async () => {
    const before = await (await fetch(`${server().url}/app`, { headers: { ...BROWSER_HEADERS, cookie: cookie() } })).text();
    expect(before).toContain("Not read yet");
    const started = await fetch(`${server().url}/app?index`, { method: "POST", headers: { ...BROWSER_HEADERS, cookie: cookie(), "content-type": "application/x-www-form-urlencoded" }, body: "" });
    expect(started.status).toBe(200);
    let page = "";
    for (let attempt = 0; attempt < 100 && !/failed:/.test(page); attempt += 1) {
      page = await (await fetch(`${server().url}/app`, { headers: { ...BROWSER_HEADERS, cookie: cookie() } })).text();
      if (!/failed:/.test(page)) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(page).toMatch(/failed: 0 variants/);
    expect(page).toMatch(/session/i);
  });
});

describe("the settings page", () => {
  it("shows the shop's policy and saves a change", async () => {
    const page = await fetch(`${server().url}/app/settings`, { headers: { ...BROWSER_HEADERS, cookie: cookie() } });
    expect(await page.text()).toContain("Availability across locations");
    const response = await postSettings({ defaultSafetyStock: "2", staleAction: "hide_low_stock" });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("Saved.");
    const policy = await server().context.stock.settings.getPolicy(await demoShopId());
    expect(policy).toMatchObject({ defaultSafetyStock: 2, staleAction: "hide_low_stock" });
  });

  it("refuses a cache longer than 30 s and a non-number, and keeps the policy", async () => {
    const tooLong = await postSettings({ cacheTtlSeconds: "120" });
    expect(tooLong.status).toBe(400);
    const notANumber = await postSettings({ oversellThreshold: "lots" });
    expect(notANumber.status).toBe(400);
    expect(await notANumber.text()).toContain("Oversell threshold: enter a whole number");
    const policy = await server().context.stock.settings.getPolicy(await demoShopId());
    expect(policy.cacheTtlSeconds).toBe(30);
    expect(policy.oversellThreshold).toBe(0);
  });

  it("saves the caps on shoppers' holds through the online store, and refuses a share above 100 %", async () => {
    const page = await fetch(`${server().url}/app/settings`, { headers: { ...BROWSER_HEADERS, cookie: cookie() } });
    expect(await page.text()).toContain("Online store hold: share of stock (%)");
    expect((await postSettings({ proxyMaxQuantity: "3", proxyMaxStockPercent: "25", proxyMaxHoldSeconds: "300", proxyExactStockUpTo: "2" })).status).toBe(200);
    expect(await server().context.stock.settings.getPolicy(await demoShopId())).toMatchObject({
      proxyMaxQuantity: 3,
      proxyMaxStockPercent: 25,
      proxyMaxHoldSeconds: 300,
      proxyExactStockUpTo: 2,
    });
    expect((await postSettings({ proxyMaxStockPercent: "101" })).status).toBe(400);
    expect((await server().context.stock.settings.getPolicy(await demoShopId())).proxyMaxStockPercent).toBe(25);
  });

  it("refuses numbers beyond what the column holds and control characters with a 400 shown to staff, never a 500", async () => {
    const tooBig = await postSettings({ lowStockThreshold: "99999999999" });
    expect(tooBig.status).toBe(400);
    expect(await tooBig.text()).toContain("lowStockThreshold must be a whole number from 0 to 2147483647");
    const huge = await postSettings({ reservationTtlSeconds: "9".repeat(400) });
    expect(huge.status).toBe(400);
    for (const field of ["oversellThreshold", "availabilityMode", "staleAction"]) {
      expect((await postSettings({ [field]: "5\u0000\u0007" })).status, field).toBeLessThan(500);
    }
    const nul = await postSettings({ oversellThreshold: "5\u0000" });
    expect(nul.status).toBe(400);
    const policy = await server().context.stock.settings.getPolicy(await demoShopId());
    expect(policy).toMatchObject({ lowStockThreshold: 3, reservationTtlSeconds: 900, oversellThreshold: 0 });
  });
});

describe("the settings page's API token", () => {
  const availability = (token: string) =>
    fetch(`${server().url}/api/v1/availability?sku=TENT-UL-2P`, { headers: { authorization: `Bearer ${token}` } }).then(async (response) => {
      await response.arrayBuffer();
      return response.status;
    });
  const replaceToken = async (): Promise<{ status: number; token: string | undefined; html: string }> => {
    const response = await fetch(`${server().url}/app/settings`, {
      method: "POST",
      headers: { ...BROWSER_HEADERS, cookie: cookie(), "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ intent: "api-token" }),
    });
    const html = await response.text();
    return { status: response.status, token: html.match(/lst_[A-Za-z0-9_-]{32}/)?.[0], html };
  };

  it("shows a new token once, which the storefront API takes, and a replaced token stops working at once", async () => {
    const seeded = "lst_test_token_0123456789abcdef";
    expect(await availability(seeded)).toBe(200);
    const before = await (await fetch(`${server().url}/app/settings`, { headers: { ...BROWSER_HEADERS, cookie: cookie() } })).text();
    expect(before).toContain("Current token: lst_test…");
    expect(before).toContain("Standalone demo: the simulated storefront");
    expect(before).not.toContain(seeded);

    const first = await replaceToken();
    expect(first.status).toBe(200);
    expect(first.html).toContain("Copy the new token now");
    expect(first.token).toBeDefined();
    // The seeded token was remembered by the API a moment ago: replacing it still stops it at once.
    expect(await availability(seeded)).toBe(401);
    expect(await availability(first.token!)).toBe(200);

    const second = await replaceToken();
    expect(second.token).toBeDefined();
    expect(second.token).not.toBe(first.token);
    expect(await availability(first.token!)).toBe(401);
    expect(await availability(second.token!)).toBe(200);
    const after = await (await fetch(`${server().url}/app/settings`, { headers: { ...BROWSER_HEADERS, cookie: cookie() } })).text();
    expect(after).toContain(`Current token: ${second.token!.slice(0, 8)}…`);
    expect(after).not.toContain(second.token!);
  });

  it("is behind the login: a visitor cannot replace it", async () => {
    const tokenHash = async () => (await server().context.db.prisma.shop.findUnique({ where: { id: await demoShopId() } }))!.apiTokenHash;
    const before = await tokenHash();
    const response = await fetch(`${server().url}/app/settings`, {
      method: "POST",
      headers: { ...BROWSER_HEADERS, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ intent: "api-token" }),
      redirect: "manual",
    });
    expect(response.status).toBe(302);
    expect(await response.text()).not.toMatch(/lst_[A-Za-z0-9_-]{32}/);
    expect(await tokenHash()).toBe(before);
  });
});
