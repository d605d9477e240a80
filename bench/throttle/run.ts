/**
 * bench/throttle: how much of a platform's allowance Lockstep's outbound layer uses, and how often
 * it is throttled, beside a naive client that just retries when told to slow down. Both run
 * against the simulators in this repository (the same ones the tests and the demo use).
 *
 *   npm run bench:throttle
 *
 * Time is scaled, not faked: the Shopify bucket is 1,000 points restored at 500 points/s and the
 * BigCommerce quota 50 requests per 2 s window, so each run lasts seconds while every mechanism
 * (leaky bucket, THROTTLED with HTTP 200, quota headers, 429) is the real one.
 */
import { createLimiterRegistry } from "../../app/outbound/limiterRegistry.server";
import { createBigCommerceClient } from "../../app/platforms/bigcommerce/client.server";
import { createShopifyAdminClient } from "../../app/platforms/shopify/adminClient.server";
import { productVariantsPage } from "../../app/platforms/shopify/documents/catalog";
import { startBigCommerceSimulator } from "../../simulators/bigcommerce/server";
import { startShopifySimulator } from "../../simulators/shopify/server";

const SHOPIFY_BUCKET = { maximumAvailable: 1_000, restoreRate: 500 };
const SHOPIFY_REQUESTS = 40;
const SHOPIFY_PAGE = 50; // 2 + 50 × 3 + 1 = 153 points a request
const BIGCOMMERCE_QUOTA = { requests: 50, windowMs: 2_000 };
const BIGCOMMERCE_REQUESTS = 250;
const NAIVE_CONCURRENCY = 8;
const NAIVE_RETRY_MS = 100;

interface ShopifyRun {
  requests: number;
  throttled: number;
  seconds: number;
  pointsSpent: number;
  /** Points restored during the run that were spent (what the bucket gave beyond its initial content). */
  restoreUsedShare: number;
}

interface BigCommerceRun {
  requests: number;
  tooManyRequests: number;
  seconds: number;
  served: number;
  windows: number;
  /** Requests served ÷ (quota × windows the run opened): a window left partly unused costs a whole extra window. */
  quotaUsedShare: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function shopifyRun(label: string, naive: boolean): Promise<ShopifyRun> {
  const domain = `bench-${label}.myshopify.com`;
  const sim = await startShopifySimulator({
    shops: [{ domain, accessToken: "shpat_bench", bucket: SHOPIFY_BUCKET, seed: { products: SHOPIFY_PAGE, variantsPerProduct: 1 } }],
  });
  const registry = createLimiterRegistry();
  const started = performance.now();
  try {
    if (naive) {
      let next = 0;
      const worker = async () => {
        while (next < SHOPIFY_REQUESTS) {
          next++;
          for (;;) {
            const response = await fetch(sim.endpointFor(domain), {
              method: "POST",
              headers: { "Content-Type": "application/json", "X-Shopify-Access-Token": "shpat_bench" },
              body: JSON.stringify({ query: productVariantsPage.document, variables: { first: SHOPIFY_PAGE } }),
            });
            const body = (await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
            if (!body.errors?.some((error) => error.extensions?.code === "THROTTLED")) break;
            await sleep(NAIVE_RETRY_MS);
          }
        }
      };
      await Promise.all(Array.from({ length: NAIVE_CONCURRENCY }, worker));
    } else {
      const client = createShopifyAdminClient({ shop: domain, accessToken: "shpat_bench", registry, endpoint: sim.endpointFor(domain) });
      await Promise.all(Array.from({ length: SHOPIFY_REQUESTS }, () => client.request(productVariantsPage, { first: SHOPIFY_PAGE })));
    }
    const seconds = (performance.now() - started) / 1000;
    const stats = sim.stats(domain);
    const drained = SHOPIFY_BUCKET.maximumAvailable - sim.shop(domain).bucket.available();
    return {
      requests: stats.requests,
      throttled: stats.throttled,
      seconds,
      pointsSpent: stats.costSpent,
      restoreUsedShare: (stats.costSpent - drained) / (SHOPIFY_BUCKET.restoreRate * seconds),
    };
  } finally {
    await registry.close();
    await sim.close();
  }
}

async function bigCommerceRun(label: string, naive: boolean): Promise<BigCommerceRun> {
  const storeHash = `bench${label}`;
  const sim = await startBigCommerceSimulator({ stores: [{ storeHash, accessToken: "bench", quota: BIGCOMMERCE_QUOTA, seed: { products: 20 } }] });
  const registry = createLimiterRegistry();
  const client = createBigCommerceClient({ storeHash, accessToken: "bench", registry, baseUrl: sim.url });
  const started = performance.now();
  try {
    if (naive) {
      let next = 0;
      const worker = async () => {
        while (next < BIGCOMMERCE_REQUESTS) {
          next++;
          for (;;) {
            const response = await fetch(`${sim.url}/stores/${storeHash}/v3/catalog/products`, { headers: { "X-Auth-Token": "bench" } });
            await response.arrayBuffer();
            if (response.status !== 429) break;
            await sleep(NAIVE_RETRY_MS);
          }
        }
      };
      await Promise.all(Array.from({ length: NAIVE_CONCURRENCY }, worker));
    } else {
      await Promise.all(Array.from({ length: BIGCOMMERCE_REQUESTS }, () => client.request("GET", "/v3/catalog/products")));
    }
    const seconds = (performance.now() - started) / 1000;
    const stats = sim.stats(storeHash);
    if (process.argv.includes("--verbose")) console.log(`  (${label}: requests used per window ${stats.usedPerWindow.join(", ")})`);
    return {
      requests: stats.requests,
      tooManyRequests: stats.tooManyRequests,
      seconds,
      served: stats.served,
      windows: stats.windowsStarted,
      quotaUsedShare: stats.served / (BIGCOMMERCE_QUOTA.requests * stats.windowsStarted),
    };
  } finally {
    client.close();
    await registry.close();
    await sim.close();
  }
}

const percent = (share: number) => `${(share * 100).toFixed(1)} %`;
const ratio = (a: number, b: number) => (b === 0 ? (a === 0 ? "1.00×" : "∞") : `${(a / b).toFixed(2)}×`);

async function main() {
  const benchStarted = performance.now();
  const only = process.argv.find((arg) => arg.startsWith("--only="))?.slice("--only=".length);
  console.log(`bench/throttle — Shopify bucket ${SHOPIFY_BUCKET.maximumAvailable} points at ${SHOPIFY_BUCKET.restoreRate}/s, ${SHOPIFY_REQUESTS} queries of 153 points;`);
  console.log(`                 BigCommerce quota ${BIGCOMMERCE_QUOTA.requests} requests / ${BIGCOMMERCE_QUOTA.windowMs} ms, ${BIGCOMMERCE_REQUESTS} requests\n`);

  if (only !== "bigcommerce") await shopifyBench();
  if (only !== "shopify") await bigCommerceBench();
  console.log(`total ${((performance.now() - benchStarted) / 1000).toFixed(1)} s`);
}

let targetsMet = true;

async function shopifyBench() {
  const shopifyLockstep = await shopifyRun("lockstep", false);
  const shopifyNaive = await shopifyRun("naive", true);
  console.log("Shopify Admin GraphQL (cost bucket)");
  console.log("  client     requests  THROTTLED  seconds  points  restore rate used");
  for (const [name, run] of [["lockstep", shopifyLockstep], ["naive", shopifyNaive]] as const) {
    console.log(
      `  ${name.padEnd(9)}  ${String(run.requests).padStart(8)}  ${String(run.throttled).padStart(9)}  ${run.seconds.toFixed(2).padStart(7)}  ${String(run.pointsSpent).padStart(6)}  ${percent(run.restoreUsedShare).padStart(17)}`,
    );
  }
  console.log(
    `  lockstep ÷ naive: restore used ${ratio(shopifyLockstep.restoreUsedShare, shopifyNaive.restoreUsedShare)}, requests sent ${ratio(shopifyLockstep.requests, shopifyNaive.requests)}, THROTTLED ${shopifyLockstep.throttled} vs ${shopifyNaive.throttled}`,
  );
  const met = shopifyLockstep.throttled === 0 && shopifyLockstep.restoreUsedShare >= 0.95;
  console.log(`  target (≥ 95 % of the restore rate, zero THROTTLED): ${met ? "met" : "NOT met"}\n`);
  targetsMet &&= met;
}

async function bigCommerceBench() {
  const bcLockstep = await bigCommerceRun("lockstep", false);
  const bcNaive = await bigCommerceRun("naive", true);
  console.log("BigCommerce REST (shared quota)");
  console.log("  client     requests  429s  seconds  windows  quota used");
  for (const [name, run] of [["lockstep", bcLockstep], ["naive", bcNaive]] as const) {
    console.log(
      `  ${name.padEnd(9)}  ${String(run.requests).padStart(8)}  ${String(run.tooManyRequests).padStart(4)}  ${run.seconds.toFixed(2).padStart(7)}  ${String(run.windows).padStart(7)}  ${percent(run.quotaUsedShare).padStart(10)}`,
    );
  }
  console.log(
    `  lockstep ÷ naive: quota used ${ratio(bcLockstep.quotaUsedShare, bcNaive.quotaUsedShare)}, requests sent ${ratio(bcLockstep.requests, bcNaive.requests)}, 429s ${bcLockstep.tooManyRequests} vs ${bcNaive.tooManyRequests}`,
  );
  const met = bcLockstep.tooManyRequests === 0 && bcLockstep.quotaUsedShare >= 0.95;
  console.log(`  target (≥ 95 % of the quota, zero 429): ${met ? "met" : "NOT met"}\n`);
  targetsMet &&= met;
}

await main();
if (!targetsMet) process.exitCode = 1;
