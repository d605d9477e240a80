import { createHash, createHmac, generateKeyPairSync } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { parquetReadObjects } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeCsv } from "../../../app/batching/files/csv";
import { canonicalJson, signManifest } from "../../../app/batching/manifest";
import type { Destination, ItemResult, PriceItem, PublishRun, PushedItem, RunManifest } from "../../../app/batching/types";
import { connectSftp, sftpTarget } from "../../../app/destinations/sftp/connection.server";
import { fileColumns, sftpFilesAdapter, sftpFilesAdapterWith } from "../../../app/destinations/sftp/adapter.server";
import { createLimiterRegistry } from "../../../app/outbound/limiterRegistry.server";
import { uploadAtomically } from "../../../app/destinations/sftp/upload.server";
import { type SftpServer, startSftpServer } from "../../helpers/sftpServer";

let server: SftpServer;
beforeAll(async () => {
  server = await startSftpServer();
});
afterAll(async () => {
  await server?.stop();
});

let directories = 0;
async function destination(options: Record<string, unknown> = {}, credentials: Record<string, string> = {}): Promise<Destination> {
  const dir = path.join(server.root, `drop-${++directories}`);
  const { mkdir } = await import("node:fs/promises");
  await mkdir(dir);
  return {
    id: `dest-${directories}`,
    shopId: "shop-1",
    name: "Warehouse ERP drop",
    kind: "sftp_files",
    endpoint: `sftp://${server.host}:${server.port}${dir}`,
    credentials: { username: server.username, privateKey: server.privateKey, ...credentials },
    receives: ["price", "stock"],
    options,
    cadence: "*/15 * * * *",
    sizeThreshold: null,
    limits: { requestsPerSecond: 5, concurrency: 1, batchSize: 100 },
    mode: "live",
    signingSecret: "whsec_dGVzdC1zZWNyZXQ=",
    varianceThreshold: 0.001,
  };
}

const dirOf = (target: Destination) => new URL(target.endpoint).pathname;

function priceItem(i: number): PriceItem {
  return { kind: "price", shopId: "shop-1", sku: `SKU-${i}`, variantId: `v-${i}`, price: `${i}.90`, currency: "EUR", version: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), occurredAt: "2026-01-01T00:00:00.000Z", changeId: String(i) };
}

async function* pagesOf(count: number, pageSize = 500, failAfter?: number): AsyncGenerator<PushedItem[]> {
  for (let start = 1; start <= count; start += pageSize) {
    if (failAfter !== undefined && start > failAfter) throw new Error("the run's lease was lost");
    yield Array.from({ length: Math.min(pageSize, count - start + 1) }, (_, k) => priceItem(start + k));
  }
}

function publishRun(target: Destination, runId = "7", attempt = 1): PublishRun & { results: ItemResult[] } {
  const results: ItemResult[] = [];
  return {
    runId,
    destination: target,
    kind: "price",
    attempt,
    results,
    report: async (batch) => {
      results.push(...batch);
    },
    signal: new AbortController().signal,
    now: () => new Date("2026-01-01T00:15:00Z"),
  };
}

describe("files over SFTP (a real OpenSSH server)", () => {
  it("uploads a run's items as CSV files of at most rowsPerFile rows, whole and under their final names, every item accepted", async () => {
    const target = await destination({ format: "csv", rowsPerFile: 1_000, filePrefix: "shop1-" });
    const run = publishRun(target);
    const result = await sftpFilesAdapter.publish(run, pagesOf(2_500));
    expect(result.files.map((file) => [file.name, file.rows])).toEqual([
      ["shop1-price-run7-a1-p1.csv", 1_000],
      ["shop1-price-run7-a1-p2.csv", 1_000],
      ["shop1-price-run7-a1-p3.csv", 500],
    ]);
    expect((await readdir(dirOf(target))).sort()).toEqual(result.files.map((file) => file.name));
    const rows: Array<Record<string, string>> = [];
    for (const file of result.files) {
      const content = await readFile(path.join(dirOf(target), file.name));
      expect(file.sha256).toBe(createHash("sha256").update(content).digest("hex"));
      expect(file.bytes).toBe(content.length);
      rows.push(...(parse(content, { columns: true }) as Array<Record<string, string>>));
    }
    expect(rows).toEqual(Array.from({ length: 2_500 }, (_, k) => ({ sku: priceItem(k + 1).sku, price: priceItem(k + 1).price, currency: "EUR", version: priceItem(k + 1).version })));
    expect(run.results).toHaveLength(2_500);
    expect(new Set(run.results.map((r) => r.outcome))).toEqual(new Set(["accepted"]));
    expect(run.results[1_500]).toEqual({ kind: "price", sku: "SKU-1501", outcome: "accepted", batchId: "shop1-price-run7-a1-p2.csv" });
  });

  it("writes Parquet that reads back to the items", async () => {
    const target = await destination({ format: "parquet" });
    const result = await sftpFilesAdapter.publish(publishRun(target), pagesOf(1_200));
    expect(result.files).toHaveLength(1);
    const content = await readFile(path.join(dirOf(target), result.files[0]!.name));
    const read = await parquetReadObjects({ file: content.buffer.slice(content.byteOffset, content.byteOffset + content.byteLength) });
    expect(read).toHaveLength(1_200);
    expect(read[41]).toEqual({ sku: "SKU-42", price: "42.90", currency: "EUR", version: priceItem(42).version });
  });

  it("writes the signed manifest last, verifiable with nothing but HMAC-SHA256 and the secret", async () => {
    const target = await destination();
    const run = publishRun(target, "8");
    const { files } = await sftpFilesAdapter.publish(run, pagesOf(10));
    const manifest: RunManifest = {
      runId: "8", destinationId: target.id, shopId: target.shopId, kindOfDestination: "sftp_files", mode: "live", reason: "schedule",
      watermark: { from: "0", to: "10" }, counts: { changesIn: 10, itemsAfterCoalescing: 10, sent: 10, rejected: 0, failed: 0, shadowed: 0 }, files, createdAt: "2026-01-01T00:15:00.000Z",
    };
    await sftpFilesAdapter.publishManifest!(run, signManifest(manifest, target.signingSecret));
    const written = JSON.parse(await readFile(path.join(dirOf(target), "run8.manifest.json"), "utf8")) as { manifest: RunManifest; signature: string };
    expect(written.manifest).toEqual(manifest);
    const sortedKeys = (value: unknown): unknown =>
      Array.isArray(value) ? value.map(sortedKeys) : value && typeof value === "object" ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, sortedKeys(v)])) : value;
    expect(written.signature).toBe(`sha256=${createHmac("sha256", target.signingSecret).update(JSON.stringify(sortedKeys(written.manifest))).digest("hex")}`);
    expect(canonicalJson(written.manifest)).toBe(JSON.stringify(sortedKeys(manifest)));
  });

  it("leaves nothing under the final name when the run stops mid-file, and the items of that file go again", async () => {
    const target = await destination({ rowsPerFile: 1_000 });
    const run = publishRun(target);
    await expect(sftpFilesAdapter.publish(run, pagesOf(3_000, 500, 1_500))).rejects.toThrow(/lease was lost/);
    // The first file was whole and is in place; the second stopped half-way and is not there, nor its temporary file.
    expect(await readdir(dirOf(target))).toEqual(["price-run7-a1-p1.csv"]);
    expect(run.results.filter((r) => r.outcome === "accepted")).toHaveLength(1_000);
    const retried = run.results.filter((r) => r.outcome === "to_retry");
    expect(retried).toHaveLength(500);
    expect(retried[0]).toMatchObject({ sku: "SKU-1001", reason: "the run's lease was lost" });
  });

  it("a connection lost mid-upload leaves only a temporary file, which the next run removes", async () => {
    const target = await destination();
    const client = await connectSftp(sftpTarget(target.endpoint, target.credentials));
    async function* rows() {
      for (let i = 1; i <= 20_000; i++) {
        if (i === 10_000) {
          // The network goes away with half the file sent.
          (client as unknown as { client: { end(): void } }).client.end();
        }
        yield { sku: `SKU-${i}`, price: "1.00", currency: "EUR", version: "v" };
      }
    }
    await expect(uploadAtomically(client, dirOf(target), "prices.csv", (sink) => writeCsv(rows(), fileColumns.price, sink))).rejects.toThrow();
    await client.end().catch(() => undefined);
    const left = await readdir(dirOf(target));
    expect(left).not.toContain("prices.csv");
    expect(left.every((name) => name.startsWith(".prices.csv.") && name.endsWith(".part"))).toBe(true);
    await sftpFilesAdapter.publish(publishRun(target), pagesOf(5));
    expect(await readdir(dirOf(target))).toEqual(["price-run7-a1-p1.csv"]);
  });

  it("reads back what the drop holds: each SKU's state in the newest file still there, as the adapter compares it", async () => {
    for (const format of ["csv", "parquet"]) {
      const target = await destination({ format, rowsPerFile: 10 });
      await sftpFilesAdapter.publish(publishRun(target, "7"), pagesOf(30));
      async function* repriced(): AsyncGenerator<PushedItem[]> {
        yield [{ ...priceItem(1), price: "0.99" }, { ...priceItem(2), price: "1.99" }];
      }
      await sftpFilesAdapter.publish(publishRun(target, "8"), repriced());
      const held = await sftpFilesAdapter.readBack(target, "price", ["SKU-1", "SKU-6", "SKU-99"]);
      expect(held).toEqual([
        { kind: "price", sku: "SKU-1", state: sftpFilesAdapter.stateOf({ ...priceItem(1), price: "0.99" }) },
        { kind: "price", sku: "SKU-6", state: sftpFilesAdapter.stateOf(priceItem(6)) },
        { kind: "price", sku: "SKU-99", state: undefined },
      ]);
    }
  });

  it("refuses to rename a file whose bytes on the server differ from what was sent", async () => {
    const target = await destination();
    const client = await connectSftp(sftpTarget(target.endpoint, target.credentials));
    try {
      const upload = uploadAtomically(client, dirOf(target), "prices.csv", async (sink) => {
        const written = await writeCsv([{ sku: "A", price: "1.00", currency: "EUR", version: "v" }], fileColumns.price, sink);
        return { ...written, sha256: "0".repeat(64) };
      });
      await expect(upload).rejects.toMatchObject({ code: "checksum_mismatch" });
    } finally {
      await client.end();
    }
    expect(await readdir(dirOf(target))).toEqual([]);
  });

  it("tests the connection: logged in and writable, or the reason it is not", async () => {
    const target = await destination();
    expect(await sftpFilesAdapter.testConnection(target)).toMatchObject({ ok: true });
    expect(await readdir(dirOf(target))).toEqual([]);
    const stranger = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs1", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
    expect(await sftpFilesAdapter.testConnection({ ...target, credentials: { username: server.username, privateKey: stranger.privateKey } })).toMatchObject({ ok: false, message: expect.stringMatching(/cannot open SFTP/) });
    expect(await sftpFilesAdapter.testConnection({ ...target, credentials: { ...target.credentials, hostKeySha256: "SHA256:bm90LXRoZS1zZXJ2ZXJzLWtleQ" } })).toMatchObject({ ok: false });
    expect(await sftpFilesAdapter.testConnection({ ...target, endpoint: `sftp://${server.host}:${server.port}/no/such/dir` })).toMatchObject({ ok: false });
  });

  it("opens every session through app/outbound: the destination's limiter counts it, its circuit opens on a server that keeps failing", async () => {
    const registry = createLimiterRegistry();
    try {
      const gated = sftpFilesAdapterWith({ registry, breaker: { failureThreshold: 2, openMs: 60_000 } });
      const target = await destination();
      expect(await gated.testConnection(target)).toMatchObject({ ok: true });
      expect(registry.metrics.for(`destination:${target.id}`).snapshot().requests).toBe(1);
      const down = { ...target, endpoint: `sftp://${server.host}:9${dirOf(target)}` };
      expect(await gated.testConnection(down)).toMatchObject({ ok: false, message: expect.stringMatching(/cannot open SFTP/) });
      expect(await gated.testConnection(down)).toMatchObject({ ok: false, message: expect.stringMatching(/cannot open SFTP/) });
      // Open: refused at once, not even the healthy server is called until the circuit's probe.
      expect(await gated.testConnection(target)).toMatchObject({ ok: false, message: expect.stringMatching(/keeps failing: calls are paused/) });
      expect(registry.metrics.for(`destination:${target.id}`).snapshot().requests).toBe(3);
    } finally {
      await registry.close();
    }
  });

  it("refuses bad endpoints, credentials and options with a code naming the problem", () => {
    expect(() => sftpTarget("https://example.com/x", { username: "u", password: "p" })).toThrow(expect.objectContaining({ code: "invalid_endpoint" }));
    expect(() => sftpTarget("sftp://host/x", { username: "u" })).toThrow(expect.objectContaining({ code: "invalid_credentials" }));
    expect(() => sftpFilesAdapter.parseOptions({ format: "xlsx" })).toThrow(expect.objectContaining({ code: "invalid_options", message: expect.stringMatching(/options\.format/) }));
    expect(() => sftpFilesAdapter.parseOptions({ filePrefix: "../etc/" })).toThrow(expect.objectContaining({ code: "invalid_options" }));
    expect(sftpFilesAdapter.parseOptions({})).toEqual({ format: "csv", rowsPerFile: 25_000, filePrefix: "" });
  });

  it("rejects items the file cannot carry, with the reason", () => {
    expect(sftpFilesAdapter.validate({ ...priceItem(1), price: "" }, {} as Destination)).toEqual(['price "" is not a decimal amount']);
    expect(sftpFilesAdapter.validate({ ...priceItem(1), sku: "#123" }, {} as Destination)).toHaveLength(1);
    expect(sftpFilesAdapter.validate(priceItem(1), {} as Destination)).toEqual([]);
    expect(existsSync(server.root)).toBe(true);
  });
});
