import { createHmac } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { canonicalJson } from "../../app/batching/manifest";
import { type DestinationSimulator } from "../../simulators/destination/endpoint";
import { startErpSimulator } from "../../simulators/erp/index";

const secret = "whsec_" + Buffer.from("erp-simulator-test-secret").toString("base64");
let sim: DestinationSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

function priceItems(count: number, from = 1) {
  return Array.from({ length: count }, (_, k) => ({ sku: `SKU-${from + k}`, price: `${from + k}.00`, currency: "EUR", version: "2026-01-01T00:00:00.000Z" }));
}

async function postBatch(url: string, items: unknown[], { key = `batch-${Math.random()}`, signWith = secret, tamper = false } = {}) {
  const body = JSON.stringify({ batchId: key, runId: "1", kind: "price", items });
  const timestamp = new Date();
  const signature = new Webhook(signWith).sign(key, timestamp, body);
  const response = await fetch(`${url}/batches/price`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "idempotency-key": key,
      "webhook-id": key,
      "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
      "webhook-signature": signature,
    },
    body: tamper ? body.replace("EUR", "USD") : body,
  });
  return { status: response.status, retryAfter: response.headers.get("retry-after"), body: (await response.json()) as Record<string, unknown> };
}

describe("the ERP simulator as a receiver of the pipeline's batches", () => {
  it("applies a signed batch, answers per item and serves what it holds per SKU", async () => {
    sim = await startErpSimulator({ signingSecret: secret, limits: { ratePerSecond: 100, burst: 100 } });
    const answer = await postBatch(sim.url, priceItems(3));
    expect(answer).toMatchObject({ status: 200, body: { results: [{ sku: "SKU-1", status: "accepted" }, { sku: "SKU-2", status: "accepted" }, { sku: "SKU-3", status: "accepted" }] } });
    const readBack = await (await fetch(`${sim.url}/items/price?sku=SKU-2&sku=SKU-9`)).json();
    expect(readBack).toEqual({ items: [{ sku: "SKU-2", price: "2.00", currency: "EUR", version: "2026-01-01T00:00:00.000Z" }] });
    expect((await fetch(`${sim.url}/health`)).status).toBe(200);
  });

  it("refuses a batch whose Standard Webhooks signature does not verify, applying nothing", async () => {
    sim = await startErpSimulator({ signingSecret: secret, limits: { ratePerSecond: 100, burst: 100 } });
    const wrongSecret = "whsec_" + Buffer.from("somebody-else").toString("base64");
    expect(await postBatch(sim.url, priceItems(1), { signWith: wrongSecret })).toMatchObject({ status: 401, body: { error: { code: "invalid_signature" } } });
    expect(await postBatch(sim.url, priceItems(1), { tamper: true })).toMatchObject({ status: 401 });
    const unsigned = await fetch(`${sim.url}/batches/price`, { method: "POST", body: JSON.stringify({ items: priceItems(1) }) });
    expect(unsigned.status).toBe(401);
    expect(sim.appliedCount("price", "SKU-1")).toBe(0);
    expect(sim.stats().badSignatures).toBe(3);
  });

  it("answers a repeated Idempotency-Key with the first answer and applies nothing twice", async () => {
    sim = await startErpSimulator({ signingSecret: secret, limits: { ratePerSecond: 100, burst: 100 } });
    sim.rejectItems({ "SKU-2": "unknown item" });
    const first = await postBatch(sim.url, priceItems(3), { key: "run-1-chunk-0" });
    sim.clearRejections();
    const again = await postBatch(sim.url, priceItems(3), { key: "run-1-chunk-0" });
    expect(again.body).toEqual(first.body);
    expect(sim.appliedCount("price", "SKU-1")).toBe(1);
    expect(sim.appliedCount("price", "SKU-2")).toBe(0);
    expect(sim.stats().duplicates).toBe(1);
  });

  it("answers part of a batch rejected with the reason when told to, and applies the rest", async () => {
    sim = await startErpSimulator({ signingSecret: secret, limits: { ratePerSecond: 100, burst: 100 } });
    sim.rejectItems({ "SKU-2": "price below cost" });
    const answer = await postBatch(sim.url, priceItems(3));
    expect(answer.body).toEqual({ results: [{ sku: "SKU-1", status: "accepted" }, { sku: "SKU-2", status: "rejected", reason: "price below cost" }, { sku: "SKU-3", status: "accepted" }] });
    expect(sim.held("price", "SKU-2")).toBeUndefined();
    expect(sim.held("price", "SKU-3")).toMatchObject({ price: "3.00" });
  });

  it("refuses a batch above its size (413) and a body that is not a batch (400)", async () => {
    sim = await startErpSimulator({ signingSecret: secret, maxBatchSize: 100, limits: { ratePerSecond: 100, burst: 100 } });
    expect(await postBatch(sim.url, priceItems(101))).toMatchObject({ status: 413, body: { error: { code: "batch_too_large" } } });
    expect(await postBatch(sim.url, [{ price: "1.00" }])).toMatchObject({ status: 400, body: { error: { code: "invalid_batch" } } });
    expect(await postBatch(sim.url, priceItems(100))).toMatchObject({ status: 200 });
    expect(sim.appliedCount("price", "SKU-101")).toBe(0);
  });

  it("answers 429 with Retry-After beyond its concurrency limit and beyond its request rate", async () => {
    sim = await startErpSimulator({ signingSecret: secret, maxConcurrent: 2, latencyMs: 1_500, limits: { ratePerSecond: 100, burst: 100, retryAfterSeconds: 3 } });
    const answers = await Promise.all([1, 2, 3, 4].map((n) => postBatch(sim!.url, priceItems(1, n))));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(2);
    expect(answers.filter((a) => a.status === 429).map((a) => [a.retryAfter, (a.body.error as { code: string }).code])).toEqual([
      ["3", "concurrency_limit_exceeded"],
      ["3", "concurrency_limit_exceeded"],
    ]);
    await sim.close();
    sim = await startErpSimulator({ signingSecret: secret, limits: { ratePerSecond: 0.001, burst: 2, retryAfterSeconds: 5 } });
    const rated = [await postBatch(sim.url, priceItems(1)), await postBatch(sim.url, priceItems(1)), await postBatch(sim.url, priceItems(1))];
    expect(rated.map((a) => [a.status, a.retryAfter])).toEqual([[200, null], [200, null], [429, "5"]]);
  });

  it("keeps the run manifests it is sent and checks their HMAC", async () => {
    sim = await startErpSimulator({ signingSecret: secret, limits: { ratePerSecond: 100, burst: 100 } });
    const manifest = { runId: "4", counts: { sent: 3 }, files: [] };
    const signature = `sha256=${createHmac("sha256", secret).update(canonicalJson(manifest)).digest("hex")}`;
    const post = (body: unknown) => fetch(`${sim!.url}/manifests`, { method: "POST", body: JSON.stringify(body) });
    expect((await postSigned(sim.url, "/manifests", { manifest, signature })).status).toBe(200);
    expect((await postSigned(sim.url, "/manifests", { manifest, signature: "sha256=00" })).status).toBe(400);
    expect((await post({ manifest, signature })).status).toBe(401);
    expect(sim.manifests.map((m) => m.verified)).toEqual([true, false]);
  });
});

async function postSigned(url: string, path: string, payload: unknown) {
  const body = JSON.stringify(payload);
  const id = `msg-${Math.random()}`;
  const timestamp = new Date();
  return fetch(`${url}${path}`, {
    method: "POST",
    headers: { "webhook-id": id, "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)), "webhook-signature": new Webhook(secret).sign(id, timestamp, body) },
    body,
  });
}
