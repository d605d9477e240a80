import { mkdirSync } from "node:fs";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ShopifySimulator, startShopifySimulator } from "../../simulators/shopify/server";
import { launchBrowser } from "../helpers/browser";
import { requireAdminBuild } from "../helpers/build";
import { SHOPIFY_HOSTS, usePlatformHosts } from "../helpers/platformHosts";
import { EMBEDDED_ENV, useTestServer } from "../helpers/server";
import { sessionToken } from "../helpers/sessionToken";

const SHOP = "browser-install.myshopify.com";
const HOST = Buffer.from("admin.shopify.com/store/browser-install").toString("base64url");
export const SETUP_GUIDE_SCREENSHOT = "test-results/setup-guide.png";

// App Bridge as the admin's iframe gets it, reduced to what the app uses: `shopify.idToken()`, and
// fetch to the app's own origin carrying `Authorization: Bearer <session token>`.
const APP_BRIDGE_STUB = `
  window.__bearerRequests = [];
  window.shopify = { idToken: () => window.__lockstepSessionToken(), config: { apiKey: document.currentScript?.dataset.apiKey } };
  const appFetch = window.fetch.bind(window);
  window.fetch = async (input, init = {}) => {
    const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url, location.href);
    if (url.origin !== location.origin) return appFetch(input, init);
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
    headers.set("Authorization", "Bearer " + (await window.shopify.idToken()));
    const response = await appFetch(input, { ...init, headers });
    window.__bearerRequests.push({ path: url.pathname, status: response.status });
    return response;
  };
`;

let browser: Browser;
let sim: ShopifySimulator;
beforeAll(async () => {
  requireAdminBuild();
  browser = await launchBrowser();
  sim = await startShopifySimulator({
    app: { apiKey: EMBEDDED_ENV.SHOPIFY_API_KEY, apiSecret: EMBEDDED_ENV.SHOPIFY_API_SECRET, scopes: EMBEDDED_ENV.SCOPES },
    shops: [{ domain: SHOP, seed: { products: 4, variantsPerProduct: 2, locations: ["Main"] } }],
  });
});
afterAll(async () => {
  await browser?.close();
  await sim?.close();
});
usePlatformHosts(() => [{ host: SHOPIFY_HOSTS, to: sim.url }]);
const server = useTestServer({ env: EMBEDDED_ENV });

const token = () => sessionToken({ shop: SHOP, apiKey: EMBEDDED_ENV.SHOPIFY_API_KEY, secret: EMBEDDED_ENV.SHOPIFY_API_SECRET });

describe("the embedded admin in a real browser, App Bridge stubbed", () => {
  it("installs on first load, shows the setup guide through session-token fetches, and keeps the embedded parameters when navigating", async () => {
    const page = await browser.newPage({ userAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36", viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.exposeFunction("__lockstepSessionToken", token);
    await page.route("https://cdn.shopify.com/shopifycloud/app-bridge.js", (route) => route.fulfill({ contentType: "text/javascript", body: APP_BRIDGE_STUB }));
    await page.route(/^https:\/\/(?!cdn\.shopify\.com\/shopifycloud\/app-bridge\.js)/, (route) => route.abort());

    await page.goto(`${server().url}/app?embedded=1&shop=${SHOP}&host=${HOST}&id_token=${token()}`);
    await page.getByRole("heading", { name: "Dashboard" }).waitFor();
    const guide = page.getByTestId("setup-guide");
    await guide.waitFor();
    // The catalog read started at install finishes and the guide ticks it while the page is open.
    await page.locator('[data-step="catalog"][data-done="true"]').waitFor({ timeout: 30_000 });
    expect(await guide.getByText(/of 6 tasks complete/).isVisible()).toBe(true);
    expect(await guide.getByText("Checkout validation on").isVisible()).toBe(true);
    const bearer = await page.evaluate(() => (window as unknown as { __bearerRequests: Array<{ path: string; status: number }> }).__bearerRequests);
    expect(bearer.some((request) => request.path.startsWith("/app/setup-guide") && request.status === 200)).toBe(true);
    mkdirSync("test-results", { recursive: true });
    await guide.screenshot({ path: SETUP_GUIDE_SCREENSHOT });

    await page.getByRole("link", { name: "Reservations" }).first().click();
    await page.waitForURL(/\/app\/reservations\?/);
    await page.getByRole("heading", { name: "Reservations" }).first().waitFor();
    const url = new URL(page.url());
    expect(url.searchParams.get("embedded")).toBe("1");
    expect(url.searchParams.get("shop")).toBe(SHOP);
    expect(url.searchParams.get("host")).toBe(HOST);
    expect(url.searchParams.has("id_token")).toBe(false);
    const after = await page.evaluate(() => (window as unknown as { __bearerRequests: Array<{ path: string; status: number }> }).__bearerRequests);
    expect(after.some((request) => request.path.startsWith("/app/reservations") && request.status === 200)).toBe(true);
    expect(after.every((request) => request.status < 400)).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
