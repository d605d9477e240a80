import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { adapterRegistry } from "../../app/batching/adapters";
import { requestRun, testConnection } from "../../app/batching/destinations.server";
import { runDueDestination } from "../../app/batching/runs.server";
import { erpHttpAdapter } from "../../app/destinations/erpHttp.server";
import { createLimiterRegistry, type LimiterRegistry } from "../../app/outbound/limiterRegistry.server";
import type { DestinationSimulator } from "../../simulators/destination/endpoint";
import { startErpSimulator } from "../../simulators/erp";
import { applyInTransaction, createTestDestination, ENCRYPTION_KEY, pipelineDeps, priceChange, seedShop } from "../batching/pipelineFixture";
import { createTestDatabase, type TestDatabase } from "../helpers/database";

// The ERP JSON over HTTP kind against the ERP simulator, through app/outbound (limiter, retries, breaker).
let db: TestDatabase;
let erp: DestinationSimulator;
let registry: LimiterRegistry;
const SECRET = "whsec_ZXJwLXNpZ25pbmctc2VjcmV0LWZvci10ZXN0cw==";
/** Every request the adapter made, as it left (headers and exact body). */
const outgoing: Array<{ url: string; headers: Record<string, string>; body: string }> = [];
const recordingFetch: typeof fetch = async (input, init) => {
  outgoing.push({ url: String(input), headers: Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v])), body: String(init?.body ?? "") });
  return fetch(input, init);
};

beforeAll(async () => {
  db = await createTestDatabase();
  erp = await startErpSimulator({ limits: { ratePerSecond: 1000, burst: 1000, retryAfterSeconds: 0 }, signingSecret: SECRET, maxBatchSize: 100, maxConcurrent: 2 });
  registry = createLimiterRegistry();
});
afterAll(async () => {
  await registry.close();
  await erp.close();
  await db.close();
});
beforeEach(async () => {
  outgoing.length = 0;
  await db.sql.query(`UPDATE destination SET enabled = false`);
});

const adapter = () => erpHttpAdapter({ registry, fetch: recordingFetch, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 } });
const batchesOf = (runId: string) => erp.received.filter((request) => request.path.startsWith("/batches/") && (request.body as { runId: string }).runId === runId);

async function erpDestination(count: number, extra: Record<string, unknown> = {}) {
  const shop = await seedShop(db, count);
  const destination = await createTestDestination(db, adapter(), shop.shopId, {
    endpoint: erp.url,
    signingSecret: SECRET,
    credentials: { token: "erp-token" },
    limits: { batchSize: 10, concurrency: 2, requestsPerSecond: 1000 },
    ...extra,
  });
  await applyInTransaction(db, Array.from({ length: count }, (_, i) => priceChange(shop.shopId, i + 1, "4.20", new Date(Date.UTC(2026, 11, 1)))));
  return { shop, destination };
}

async function run(destinationId: string) {
  await requestRun(db.sql, undefined, destinationId, "sync_now");
  return runDueDestination(pipelineDeps(db, adapter(), { now: new Date() }));
}

it("sends chunks of the destination's batch size, each with an Idempotency-Key and Standard Webhooks headers any library verifies", async () => {
  const { destination } = await erpDestination(25);
  const outcome = await run(destination.id);
  expect(outcome?.status).toBe("succeeded");
  const batches = batchesOf(outcome!.runId);
  expect(batches.map((batch) => (batch.body as { items: unknown[] }).items.length).sort()).toEqual([10, 10, 5]);
  expect(batches.every((batch) => batch.path === "/batches/price" && batch.idempotencyKey?.startsWith("b_"))).toBe(true);
  const sent = outgoing.filter((request) => request.url.includes("/batches/"));
  expect(sent).toHaveLength(3);
  for (const request of sent) {
    expect(request.headers["idempotency-key"]).toBe(request.headers["webhook-id"]);
    expect(request.headers.authorization).toBe("Bearer erp-token");
    expect(() => new Webhook(SECRET).verify(request.body, request.headers)).not.toThrow();
    expect(() => new Webhook("whsec_b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA==").verify(request.body, request.headers)).toThrow();
  }
  expect((batches[0]!.body as { items: Array<Record<string, unknown>> }).items[0]).toMatchObject({ price: "4.2000", currency: "USD" });
  // The signed manifest went last, and the ERP's own check of its HMAC passed.
  expect(erp.manifests.at(-1)).toMatchObject({ manifest: { runId: outcome!.runId }, signature: outcome!.signed!.signature, verified: true });
  expect(erp.stats().badSignatures).toBe(0);
  // Read back, the ERP holds what was sent.
  expect(outcome?.variance).toBe(0);
  expect(erp.held("price", "SKU-25")).toMatchObject({ price: "4.2000" });
});

it("waits out a 429 and sends the chunk again under the same key", async () => {
  const { destination } = await erpDestination(5);
  erp.injectFault("http429");
  const outcome = await run(destination.id);
  expect(outcome?.status).toBe("succeeded");
  expect(batchesOf(outcome!.runId)).toHaveLength(1);
  const keys = outgoing.filter((request) => request.url.includes("/batches/")).map((request) => request.headers["idempotency-key"]);
  expect(keys).toHaveLength(2);
  expect(keys[0]).toBe(keys[1]);
});

it("a chunk whose answer was lost after the ERP applied it is recognised when resent: applied once", async () => {
  const { destination } = await erpDestination(10);
  const duplicatesBefore = erp.stats().duplicates;
  erp.injectFault("drop-after-apply");
  const outcome = await run(destination.id);
  expect(outcome?.status).toBe("succeeded");
  expect(batchesOf(outcome!.runId)).toHaveLength(1);
  expect(erp.stats().duplicates).toBe(duplicatesBefore + 1);
});

it("a run that fails part-way (ERP down) resumes later without resending accepted chunks", async () => {
  const { destination } = await erpDestination(30, { limits: { batchSize: 10, concurrency: 1, requestsPerSecond: 1000 } });
  const appliedBefore = Array.from({ length: 30 }, (_, i) => erp.appliedCount("price", `SKU-${i + 1}`));
  // First chunk goes through, then the ERP is down for the rest of the attempt.
  let chunks = 0;
  const off = erp.onChange(() => {
    if (++chunks === 1) erp.setDown(true);
  });
  const failed = await run(destination.id);
  off();
  erp.setDown(false);
  expect(failed?.status).toBe("failed");
  expect(batchesOf(failed!.runId)).toHaveLength(1);
  const resumed = await run(destination.id);
  expect(resumed).toMatchObject({ runId: failed!.runId, status: "succeeded" });
  const skus = batchesOf(failed!.runId).flatMap((batch) => (batch.body as { items: Array<{ sku: string }> }).items.map((item) => item.sku));
  expect(skus).toHaveLength(30);
  expect(new Set(skus).size).toBe(30);
  // The simulator's count is per SKU over all tests (shops share SKUs): each went up by one.
  expect(Array.from({ length: 30 }, (_, i) => erp.appliedCount("price", `SKU-${i + 1}`) - appliedBefore[i]!)).toEqual(Array(30).fill(1));
});

it("rejects every item of a chunk the ERP refuses (4xx) with its answer, and goes on with the rest", async () => {
  const { destination } = await erpDestination(20, { limits: { batchSize: 10, concurrency: 1, requestsPerSecond: 1000 } });
  erp.injectFault("http400");
  const outcome = await run(destination.id);
  expect(outcome?.status).toBe("partial");
  expect(outcome?.signed?.manifest.counts).toMatchObject({ sent: 10, rejected: 10, failed: 0 });
  const reasons = await db.sql.query<{ reason: string }>(`SELECT DISTINCT reason FROM run_item WHERE run_id = $1::bigint AND outcome = 'rejected'`, [outcome!.runId]);
  expect(reasons[0]!.reason).toContain("400");
});

it("records the ERP's per-item rejects with its reasons and the rest as accepted", async () => {
  const { destination } = await erpDestination(5);
  erp.rejectItems({ "SKU-2": "unknown item in the ERP" });
  try {
    const outcome = await run(destination.id);
    expect(outcome?.status).toBe("partial");
    const items = await db.sql.query<{ sku: string; outcome: string; reason: string | null }>(`SELECT sku, outcome, reason FROM run_item WHERE run_id = $1::bigint ORDER BY sku`, [outcome!.runId]);
    expect(items.find((item) => item.sku === "SKU-2")).toEqual({ sku: "SKU-2", outcome: "rejected", reason: "unknown item in the ERP" });
    expect(items.filter((item) => item.outcome === "accepted")).toHaveLength(4);
  } finally {
    erp.clearRejections();
  }
});

it("tests the connection through the outbound client", async () => {
  const { destination } = await erpDestination(1);
  const deps = { sql: db.sql, encryptionKey: ENCRYPTION_KEY, adapters: adapterRegistry([adapter()]) };
  expect(await testConnection(deps, destination.id)).toMatchObject({ ok: true });
  const nowhere = await createTestDestination(db, adapter(), destination.shopId, { name: "Gone ERP", endpoint: "http://127.0.0.1:9" });
  const check = await testConnection(deps, nowhere.id);
  expect(check.ok).toBe(false);
  expect(check.message).toContain("failed");
});
