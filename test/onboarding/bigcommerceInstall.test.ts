import { beforeAll, describe, expect, it, vi } from "vitest";
import { getBackfill } from "../../app/backfill/backfill.server";
import { isSealedCredential } from "../../app/shops/credentials.server";
import { type BigCommerceSimulator, startBigCommerceSimulator } from "../../simulators/bigcommerce/server";
import { signedPayloadJwt } from "../../simulators/webhooks/bigcommerce";
import { requireAdminBuild } from "../helpers/build";
import { usePlatformHosts } from "../helpers/platformHosts";
import { BROWSER_HEADERS, EMBEDDED_ENV, useTestServer } from "../helpers/server";

const CLIENT_ID = "bc-install-client";
const CLIENT_SECRET = "bc-install-secret-of-the-app";
const STORE = "firstbc1";
const SCOPE = "store_v2_products_read_only store_inventory store_v2_information_read_only";

let sim: BigCommerceSimulator;
beforeAll(async () => {
  requireAdminBuild();
  sim = await startBigCommerceSimulator({ app: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }, stores: [{ storeHash: STORE, accessToken: "bc_token_firstbc1", seed: { products: 5, variantsPerProduct: 2 } }] });
  return () => sim.close();
});
// BigCommerce's login and API hosts lead to the simulator: Lockstep runs with its production URLs.
usePlatformHosts(() => [{ host: /^(login|api)\.bigcommerce\.com$/, to: sim.url }]);
const server = useTestServer({ env: { ...EMBEDDED_ENV, BIGCOMMERCE_CLIENT_ID: CLIENT_ID, BIGCOMMERCE_CLIENT_SECRET: CLIENT_SECRET } });
const db = () => server().context.db;

/** BigCommerce sends the merchant's browser to the install callback with a one-time code. */
async function installFromMarketplace(): Promise<Response> {
  const callback = `${server().url}/auth/bigcommerce/callback`;
  const code = sim.installCode(STORE, SCOPE, callback);
  return fetch(`${callback}?code=${code}&scope=${encodeURIComponent(SCOPE)}&context=stores/${STORE}`, { headers: BROWSER_HEADERS });
}

describe("a BigCommerce store's install, end to end against the simulated BigCommerce", () => {
  it("exchanges the code, subscribes the hooks, reads the catalog, and `load` opens the admin for that store", async () => {
    const install = await installFromMarketplace();
    expect(install.status).toBe(200);
    const answer = (await install.json()) as { shop: { id: string; domain: string }; hooks: { created: number }; backfill: string };
    expect(answer).toMatchObject({ shop: { domain: `stores/${STORE}` }, backfill: "started" });
    expect(answer.hooks.created).toBeGreaterThan(0);
    expect(sim.store(STORE).hooks.hooks.size).toBe(answer.hooks.created);

    const [row] = await db().sql.query<{ access_token_sealed: string }>(`SELECT access_token_sealed FROM shop WHERE id = $1`, [answer.shop.id]);
    expect(isSealedCredential(row!.access_token_sealed)).toBe(true);
    const backfill = await vi.waitFor(
      async () => {
        const current = await getBackfill(db().sql, answer.shop.id);
        expect(current?.state).toBe("done");
        return current!;
      },
      { timeout: 30_000, interval: 50 },
    );
    expect(backfill.variants).toBe(10);

    const jwt = signedPayloadJwt({ clientSecret: CLIENT_SECRET, clientId: CLIENT_ID, storeHash: STORE, userId: 77 });
    const load = await fetch(`${server().url}/auth/bigcommerce/load?signed_payload_jwt=${jwt}`, { headers: BROWSER_HEADERS, redirect: "manual" });
    expect(load.status).toBe(302);
    const cookie = load.headers.get("set-cookie")!.split(";")[0]!;
    const dashboard = await fetch(`${server().url}${load.headers.get("location")}`, { headers: { ...BROWSER_HEADERS, cookie } });
    expect(dashboard.status).toBe(200);
    const html = await dashboard.text();
    expect(html).toContain(`stores/${STORE}`);
    expect(html).toContain("BC-0001-1");
  });

  it("a second install of the same store repairs it: same shop, no duplicate hooks", async () => {
    const before = sim.store(STORE).hooks.hooks.size;
    const again = await installFromMarketplace();
    expect(again.status).toBe(200);
    const answer = (await again.json()) as { hooks: { created: number; unchanged: number } };
    expect(answer.hooks.created).toBe(0);
    expect(sim.store(STORE).hooks.hooks.size).toBe(before);
    expect(await db().sql.query(`SELECT 1 FROM shop WHERE domain = $1`, [`stores/${STORE}`])).toHaveLength(1);
  });

  it("refuses a used or made-up code with a clear 502 and installs nothing", async () => {
    const response = await fetch(`${server().url}/auth/bigcommerce/callback?code=bc_code_made_up&scope=${encodeURIComponent(SCOPE)}&context=stores/nobody1`, { headers: BROWSER_HEADERS });
    expect(response.status).toBe(502);
    expect(await response.text()).toMatch(/refused the install code/);
    expect(await db().sql.query(`SELECT 1 FROM shop WHERE domain = 'stores/nobody1'`)).toEqual([]);
  });
});
