// The process entry of Lockstep: `npm start`, and `npm run demo` (with --demo).
// It owns start-up (configuration, migrations, seed) and shutdown (close the database, exit 0).
import { randomBytes } from "node:crypto";
import { loadConfig } from "../app/config/config.server";
import { ConfigError } from "../app/config/errors";
import { DEMO_SHOP_DOMAIN, seedDemoShop } from "../app/demo/seed.server";
import { DEMO_ADMIN_ACCESS_TOKEN, startDemoStore, startDemoTraffic } from "../app/demo/traffic.server";
import { ensureDemoErpDestination } from "../app/demo/erpDestination.server";
import { DEMO_AMAZON_SELLER, ensureDemoAmazonDestination } from "../app/demo/amazonDestination.server";
import { ensureDemoGoogleFeed } from "../app/demo/googleFeed.server";
import { startErpSimulator } from "../simulators/erp";
import { startSellingPartnerSimulator } from "../simulators/marketplace/sellingPartner";
import { Session } from "@shopify/shopify-api";
import { PrismaSessionStorage } from "../app/shops/sessionStorage.server";
import { prepareDemoEnvironment } from "./demoEnvironment";
import { stopOnSignals } from "../app/shutdown.server";
import { startLockstep } from "./app";

async function main(): Promise<void> {
  const demo = process.argv.includes("--demo");
  const demoSecrets = demo ? prepareDemoEnvironment(process.env) : undefined;
  const loaded = loadConfig();
  // Signals are caught before any await: a stop during start-up still closes the database once it is open.
  let started!: (running: { close(): Promise<void> }) => void;
  const ready = new Promise<{ close(): Promise<void> }>((resolve) => (started = resolve));
  stopOnSignals({ deadlineMs: loaded.shutdownTimeoutMs, stop: async () => (await ready).close() });
  // The live demo's shop is a simulated Shopify store: Lockstep's own Admin API calls go there too.
  const demoStore = demo && loaded.demo.traffic ? await startDemoStore() : undefined;
  const config = demoStore
    ? { ...loaded, outbound: { ...loaded.outbound, shopifyAdminBaseUrl: loaded.outbound.shopifyAdminBaseUrl ?? demoStore.url } }
    : loaded;
  // The demo shop's delayed half pushes to a simulated ERP on a loopback port.
  const demoErpSecret = `whsec_${randomBytes(24).toString("base64")}`;
  const demoErp = demo ? await startErpSimulator({ signingSecret: demoErpSecret }) : undefined;
  let demoErpDestination: string | undefined;
  // …and its Amazon listings feeds to a simulated Selling Partner API.
  const demoAmazonToken = `Atza|demo-${randomBytes(12).toString("hex")}`;
  const demoAmazon = demo ? await startSellingPartnerSimulator({ sellerId: DEMO_AMAZON_SELLER, accessToken: demoAmazonToken }) : undefined;
  let demoAmazonDestination: string | undefined;
  let demoGoogleFeed: { feedId: string; token: string } | undefined;
  const running = await startLockstep({
    config,
    beforeListen: demo
      ? async ({ db }) => {
          const { shop, seeded } = await seedDemoShop(db.prisma, { apiToken: config.demo.apiToken!, sql: db.sql });
          if (seeded) console.log(`Seeded the demo shop ${DEMO_SHOP_DOMAIN}`);
          demoErpDestination = await ensureDemoErpDestination(db, { shopId: shop.id, encryptionKey: config.encryptionKey, erpUrl: demoErp!.url, signingSecret: demoErpSecret });
          demoAmazonDestination = await ensureDemoAmazonDestination(db, { shopId: shop.id, encryptionKey: config.encryptionKey, endpoint: demoAmazon!.url, accessToken: demoAmazonToken });
          demoGoogleFeed = await ensureDemoGoogleFeed(db, { shopId: shop.id, encryptionKey: config.encryptionKey });
          // With an offline session Lockstep calls the shop's Admin API; a quiet demo must call nobody.
          const sessions = new PrismaSessionStorage(db.prisma, config.encryptionKey);
          if (demoStore) {
            await sessions.storeSession(
              new Session({ id: `offline_${DEMO_SHOP_DOMAIN}`, shop: DEMO_SHOP_DOMAIN, state: "", isOnline: false, scope: "read_products,write_products,read_inventory,write_inventory", accessToken: DEMO_ADMIN_ACCESS_TOKEN }),
            );
          } else {
            await sessions.deleteSession(`offline_${DEMO_SHOP_DOMAIN}`);
          }
        }
      : undefined,
  });

  const database = config.databaseUrl ? "PostgreSQL" : `embedded PGlite in ${config.dataDir}`;
  console.log(`Lockstep (${config.mode} mode, ${database}) listening on ${running.url}`);
  if (demo) {
    console.log(`  Admin:       ${running.url}/app  (log in with the password below)`);
    for (const line of demoSecrets!.describe(process.env)) console.log(`  ${line}`);
    console.log(`  Simulated ERP: ${demoErp!.url} receives catalog, prices and stock every minute; runs and signed manifests: npm run destinations -- runs ${demoErpDestination}`);
    console.log(`  Simulated Amazon: ${demoAmazon!.url} gets JSON_LISTINGS_FEED feeds (prices, stock) at start, then every 2 minutes; runs: npm run destinations -- runs ${demoAmazonDestination}`);
    console.log(`    a listing: curl -H 'x-amz-access-token: ${demoAmazonToken}' '${demoAmazon!.url}/listings/2021-08-01/items/${DEMO_AMAZON_SELLER}/<sku>?marketplaceIds=ATVPDKIKX0DER'`);
    const feedBase = `${running.url}/feeds/${demoGoogleFeed!.feedId}/${demoGoogleFeed!.token}`;
    console.log(`  Google feed (XML): ${feedBase}/products.xml`);
    console.log(`  Google feed (TSV): ${feedBase}/products.tsv   (rebuilt every 5 min; runs: npm run destinations -- runs ${demoGoogleFeed!.feedId})`);
  }
  let stopTraffic: (() => Promise<void>) | undefined;
  if (demoStore) {
    const traffic = startDemoTraffic({ simulator: demoStore, baseUrl: running.url, webhookSecret: config.shopifyApiSecret, apiToken: config.demo.apiToken! });
    stopTraffic = async () => {
      await traffic.stop();
      await demoStore.close();
    };
    console.log(`  Simulated traffic: a Shopify store at ${demoStore.url} sends signed webhooks; a flash sale in 15 s, then every 45 s (LOCKSTEP_DEMO_TRAFFIC=off for a quiet shop)`);
  }
  started({
    async close() {
      await stopTraffic?.();
      await running.close();
      await demoErp?.close();
      await demoAmazon?.close();
    },
  });
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error("Lockstep failed to start:", error instanceof Error ? (error.stack ?? error.message) : error);
  }
  process.exit(1);
});
