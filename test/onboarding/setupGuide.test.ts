import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dismissGuide, hasThemeBlock, readSetupGuide, type SetupGuideDeps } from "../../app/onboarding/setupGuide.server";
import { undismissSetupGuide } from "../../app/onboarding/sql/dismissSetupGuide";
import { createLimiterRegistry } from "../../app/outbound/limiterRegistry.server";
import { createShopifyAdminClient } from "../../app/platforms/shopify/adminClient.server";
import { installShop, issueApiToken } from "../../app/shops/shops.server";
import { CHECKOUT_FUNCTION_HANDLE } from "../../app/checkout/checkoutClock.server";
import { type ShopifySimulator, startShopifySimulator } from "../../simulators/shopify/server";
import { useTestDatabase } from "../helpers/database";

const DOMAIN = "guide.myshopify.com";
const BLOCK_TEMPLATE = (disabled = false) =>
  `/* written by the theme editor */ {"sections":{"main":{"type":"main-product","blocks":{"title":{"type":"title"},"lockstep":{"type":"shopify://apps/lockstep-sync/blocks/availability/0b2e1c","disabled":${disabled}}}}}}`;

const database = useTestDatabase();
const registry = createLimiterRegistry();
let sim: ShopifySimulator;
let shop: { id: string; platform: string; domain: string };
let shopifyReachable = true;

beforeAll(async () => {
  sim = await startShopifySimulator({ shops: [{ domain: DOMAIN, accessToken: "shpat_guide", deployedFunctions: [CHECKOUT_FUNCTION_HANDLE] }] });
  shop = await installShop(database().prisma, { platform: "shopify", domain: DOMAIN });
});
afterAll(async () => {
  await registry.close();
  await sim.close();
});

const deps = (): SetupGuideDeps => ({
  sql: database().sql,
  shopifyClient: async () => {
    if (!shopifyReachable) throw new Error("connect ECONNREFUSED");
    return createShopifyAdminClient({ shop: DOMAIN, accessToken: "shpat_guide", registry, endpoint: sim.endpointFor(DOMAIN) });
  },
});

const stepsDone = async () => Object.fromEntries((await readSetupGuide(deps(), shop)).steps.map((step) => [step.id, step.done]));

describe("the setup guide ticks its steps from real state", () => {
  it("starts with nothing done and every step explained", async () => {
    const guide = await readSetupGuide(deps(), shop);
    expect(guide.steps.map((step) => step.id)).toEqual(["catalog", "policy", "checkout", "themeBlock", "apiToken", "destination"]);
    expect(guide.done).toBe(0);
    expect(guide.visible).toBe(true);
    expect(guide.steps.every((step) => step.detail.length > 0 && !step.unknown)).toBe(true);
  });

  it("shows the catalog being read with live counts, then done", async () => {
    await database().sql.query(`INSERT INTO catalog_backfill (shop_id, state, variants, levels, locations) VALUES ($1, 'running', 120, 240, 2)`, [shop.id]);
    const running = (await readSetupGuide(deps(), shop)).steps[0]!;
    expect(running).toMatchObject({ done: false, inProgress: true, detail: expect.stringContaining("120 variants and 240 stock levels so far") });
    await database().sql.query(`UPDATE catalog_backfill SET state = 'done', variants = 300, levels = 600, finished_at = now() WHERE shop_id = $1`, [shop.id]);
    expect((await readSetupGuide(deps(), shop)).steps[0]).toMatchObject({ done: true, inProgress: false, detail: expect.stringContaining("300 variants") });
  });

  it("ticks the policy, the API token and a destination from Lockstep's tables", async () => {
    await database().sql.query(`INSERT INTO inventory_policy (shop_id) VALUES ($1)`, [shop.id]);
    await issueApiToken(database().prisma, shop.id);
    await database().sql.query(
      `INSERT INTO destination (id, shop_id, name, kind, endpoint, signing_secret_sealed, receives) VALUES (gen_random_uuid(), $1, 'ERP', 'erp_http', 'https://erp.example.com', 'x', '{stock}')`,
      [shop.id],
    );
    expect(await stepsDone()).toMatchObject({ policy: true, apiToken: true, destination: true, checkout: false, themeBlock: false });
  });

  it("asks Shopify whether the checkout validation is on and the theme block is in the product template", async () => {
    sim.shop(DOMAIN).validations.create({ functionHandle: CHECKOUT_FUNCTION_HANDLE, enable: true });
    sim.shop(DOMAIN).mainThemeFiles.set("templates/product.json", BLOCK_TEMPLATE());
    const guide = await readSetupGuide(deps(), shop);
    expect(guide.done).toBe(6);
    expect(guide.steps.every((step) => step.done)).toBe(true);
  });

  it("is dismissable, and comes back when a step done at dismissal breaks", async () => {
    await dismissGuide(deps(), shop, new Date());
    expect(await readSetupGuide(deps(), shop)).toMatchObject({ visible: false, dismissed: true, broken: [] });
    // The merchant removes the block from the theme (the editor keeps it, disabled).
    sim.shop(DOMAIN).mainThemeFiles.set("templates/product.json", BLOCK_TEMPLATE(true));
    expect(await readSetupGuide(deps(), shop)).toMatchObject({ visible: true, dismissed: true, broken: ["themeBlock"] });
    sim.shop(DOMAIN).mainThemeFiles.set("templates/product.json", BLOCK_TEMPLATE());
    expect((await readSetupGuide(deps(), shop)).visible).toBe(false);
  });

  it("does not come back, nor tick anything, when Shopify cannot be asked", async () => {
    shopifyReachable = false;
    try {
      const guide = await readSetupGuide(deps(), shop);
      expect(guide.steps.find((step) => step.id === "checkout")).toMatchObject({ done: false, unknown: true, detail: expect.stringContaining("ECONNREFUSED") });
      expect(guide.visible).toBe(false);
    } finally {
      shopifyReachable = true;
    }
  });

  it("can be shown again on request", async () => {
    await undismissSetupGuide(database().sql, shop.id);
    expect(await readSetupGuide(deps(), shop)).toMatchObject({ visible: true, dismissed: false });
  });

  it("has no Shopify-only steps for a BigCommerce store", async () => {
    const store = await installShop(database().prisma, { platform: "bigcommerce", domain: "stores/guide1" });
    const guide = await readSetupGuide(deps(), store);
    expect(guide.steps.map((step) => step.id)).toEqual(["catalog", "policy", "apiToken", "destination"]);
  });
});

describe("hasThemeBlock", () => {
  it("finds an enabled block of this app only", () => {
    expect(hasThemeBlock(BLOCK_TEMPLATE(), "lockstep-sync")).toBe(true);
    expect(hasThemeBlock(BLOCK_TEMPLATE(true), "lockstep-sync")).toBe(false);
    expect(hasThemeBlock(BLOCK_TEMPLATE(), "another-app")).toBe(false);
    expect(hasThemeBlock("not json", "lockstep-sync")).toBe(false);
  });
});
