/**
 * bench/feeds/amazon: 100,000 items (prices, then stock) cut into JSON_LISTINGS_FEED documents, and
 * the same 100,000 prices sent end to end to the Selling Partner simulator.
 *
 *   npx tsx bench/feeds/amazon.ts            # 100,000 items
 *   npx tsx bench/feeds/amazon.ts 250000     # another size
 *
 * Chunking: each item → its PATCH message (`messageOf`) → `FeedChunker` (documents of ≤ 25,000
 * messages and ≤ 10 MiB, byte-counted as they grow). Baseline, measured in the same run on the same
 * items: the same messages built as plain objects and `JSON.stringify`d 25,000 at a time (no byte
 * limit kept). Ratio = baseline time ÷ chunker time (100 %: as fast as the bare serialiser). Each
 * side runs 3 times, the median is printed.
 *
 * End to end: `amazonListingsAdapter.publish` for the 100,000 prices against the simulator on
 * 127.0.0.1 (usage plans opened up, processing immediate, polled every 10 ms): createFeedDocument →
 * upload → createFeed → getFeed → report → per-SKU results; reported as items/s and as a ratio to
 * the chunking alone.
 */
import type { Destination, ItemResult, PriceItem, PushedItem, StockItem } from "../../app/batching/types";
import { amazonListingsAdapter, type AmazonListingsOptions, FeedChunker, messageOf } from "../../app/feeds/amazonListings.server";
import { createLimiterRegistry } from "../../app/outbound/limiterRegistry.server";
import { startSellingPartnerSimulator } from "../../simulators/marketplace/sellingPartner";

const ITEMS = Number(process.argv[2] ?? 100_000);
const RUNS = 3;
const SELLER = "A1BENCHSELLER";
const FAST = { ratePerSecond: 1_000, burst: 1_000 };
const PLANS = { createFeedDocument: FAST, createFeed: FAST, getFeed: FAST, getFeedDocument: FAST, searchListingsItems: FAST, getListingsItem: FAST };

const adapter = amazonListingsAdapter({ registry: createLimiterRegistry() });
const settings = adapter.parseOptions({ sellerId: SELLER, pollIntervalMs: 10, usagePlans: PLANS, listingFeedWindow: { max: 1_000, windowMs: 1_000 } }) as AmazonListingsOptions;

const base = { shopId: "bench", version: "2026-12-01T00:00:00.000Z", occurredAt: "2026-12-01T00:00:00.000Z", changeId: "1" };
const prices: PriceItem[] = Array.from({ length: ITEMS }, (_, i) => ({ ...base, kind: "price", sku: `BENCH-${String(i).padStart(7, "0")}`, variantId: `v${i}`, price: `${(i % 9_000) + 1}.9900`, currency: "USD" }));
const stock: StockItem[] = Array.from({ length: ITEMS }, (_, i) => ({ ...base, kind: "stock", sku: `BENCH-${String(i).padStart(7, "0")}`, variantId: `v${i}`, available: i % 250, locations: [] }));

async function chunked(items: PushedItem[]): Promise<{ ms: number; documents: number; bytes: number; largest: number }> {
  let documents = 0;
  let bytes = 0;
  let largest = 0;
  const chunker = new FeedChunker({ sellerId: SELLER, issueLocale: settings.issueLocale, maxMessages: settings.maxMessagesPerFeed, maxBytes: settings.maxFeedBytes }, (document) => {
    documents++;
    bytes += document.bytes;
    largest = Math.max(largest, document.bytes);
  });
  const started = performance.now();
  for (const item of items) await chunker.add(item.sku, messageOf(item, settings));
  await chunker.flush();
  return { ms: performance.now() - started, documents, bytes, largest };
}

/** The bare way: the same messages as objects, one JSON.stringify per 25,000, nothing counted. */
function bare(items: PushedItem[]): { ms: number; bytes: number } {
  const started = performance.now();
  let bytes = 0;
  for (let start = 0; start < items.length; start += settings.maxMessagesPerFeed) {
    const messages = items.slice(start, start + settings.maxMessagesPerFeed).map((item, index) => ({ messageId: index + 1, ...messageOf(item, settings) }));
    bytes += Buffer.byteLength(JSON.stringify({ header: { sellerId: SELLER, version: "2.0", issueLocale: settings.issueLocale }, messages }));
  }
  return { ms: performance.now() - started, bytes };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function measure(label: string, items: PushedItem[]) {
  const ours: Array<Awaited<ReturnType<typeof chunked>>> = [];
  const baseline: Array<ReturnType<typeof bare>> = [];
  for (let run = 0; run < RUNS; run++) {
    ours.push(await chunked(items));
    baseline.push(bare(items));
  }
  const oursMs = median(ours.map((result) => result.ms));
  const bareMs = median(baseline.map((result) => result.ms));
  const last = ours.at(-1)!;
  console.log(
    `${label.padEnd(7)} ${ITEMS.toLocaleString("en")} items → ${last.documents} documents (${(last.bytes / 1_048_576).toFixed(1)} MiB, largest ${(last.largest / 1_048_576).toFixed(2)} MiB): ` +
      `${Math.round(ITEMS / (oursMs / 1000)).toLocaleString("en")} items/s; bare JSON.stringify ${Math.round(ITEMS / (bareMs / 1000)).toLocaleString("en")} items/s; ratio ${Math.round((bareMs / oursMs) * 100)} %`,
  );
  return oursMs;
}

const priceMs = await measure("prices", prices);
await measure("stock", stock);

// End to end against the simulator.
const sim = await startSellingPartnerSimulator({ sellerId: SELLER, processingDelayMs: 0, usagePlans: PLANS, listingFeedWindow: { max: 1_000, windowMs: 1_000 } });
const registry = createLimiterRegistry();
const flow = amazonListingsAdapter({ registry });
const destination = {
  id: "bench",
  shopId: "bench",
  name: "bench",
  kind: "amazon_listings",
  endpoint: sim.url,
  credentials: {},
  receives: ["price"],
  options: settings,
  cadence: "* * * * *",
  sizeThreshold: null,
  limits: { requestsPerSecond: 100, concurrency: 2, batchSize: 1_000 },
  mode: "live",
  signingSecret: "whsec_bench",
  varianceThreshold: 0.001,
} as unknown as Destination;
const outcomes = new Map<string, number>();
async function* pages() {
  for (let start = 0; start < prices.length; start += 1_000) yield prices.slice(start, start + 1_000);
}
const started = performance.now();
await flow.publish(
  {
    runId: "1",
    destination,
    kind: "price",
    attempt: 1,
    signal: new AbortController().signal,
    now: () => new Date(),
    async report(results: ItemResult[]) {
      for (const result of results) outcomes.set(result.outcome, (outcomes.get(result.outcome) ?? 0) + 1);
    },
  },
  pages(),
);
const flowMs = performance.now() - started;
console.log(
  `flow    ${ITEMS.toLocaleString("en")} prices through createFeedDocument → upload → createFeed → getFeed → report: ${sim.feeds().length} feeds, ` +
    `${Math.round(ITEMS / (flowMs / 1000)).toLocaleString("en")} items/s (${[...outcomes].map(([outcome, count]) => `${count} ${outcome}`).join(", ")}); chunking alone is ${Math.round((priceMs / flowMs) * 100)} % of it; 429s: ${sim.stats().tooManyRequests}`,
);
console.log(`peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB; load average ${(await import("node:os")).loadavg().map((value) => value.toFixed(1)).join(" ")}`);
await registry.close();
await sim.close();
