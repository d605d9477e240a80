import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { claimPipelineLease, releasePipelineLease } from "../../../app/batching/sql/pipelineLease";
import { sftpTarget } from "../../../app/destinations/sftp/connection.server";
import { adapterRegistry } from "../../../app/batching/adapters";
import { createDestination } from "../../../app/batching/destinations.server";
import { sftpFilesAdapterWith } from "../../../app/destinations/sftp/adapter.server";
import {
  type InboundSnapshotSource,
  inboundTickLeaseName,
  pullDueInboundSnapshots,
  pullErpSnapshots,
  pullLeaseName,
  startInboundSnapshotPulls,
} from "../../../app/destinations/sftp/inbound.server";
import { createLimiterRegistry } from "../../../app/outbound/limiterRegistry.server";
import { ENCRYPTION_KEY } from "../../batching/pipelineFixture";
import { useTestDatabase } from "../../helpers/database";
import { until } from "../../helpers/expectations";
import { type SftpServer, startSftpServer } from "../../helpers/sftpServer";

const db = useTestDatabase();
let server: SftpServer;
beforeAll(async () => {
  server = await startSftpServer();
});
afterAll(async () => {
  await server?.stop();
});

const asOf = "2026-03-01T02:00:00.000Z";
const before = "2026-03-01T01:00:00.000Z";
const after = "2026-03-01T03:00:00.000Z";
let shopId: string;
let drop: string;
let drops = 0;

/** A shop with three SKUs at two locations; SKU-NEW's level at "main" and its price changed after the snapshot. */
beforeEach(async () => {
  const sql = db().sql;
  const [shop] = await sql.query<{ id: string }>(`INSERT INTO shop (id, platform, domain) VALUES (gen_random_uuid(), 'bigcommerce', $1) RETURNING id`, [`stores/inbound${++drops}`]);
  shopId = shop!.id;
  await sql.query(`INSERT INTO location (id, shop_id, external_id, name) VALUES (gen_random_uuid(), $1, 'main', 'Main'), (gen_random_uuid(), $1, 'east', 'East')`, [shopId]);
  await sql.query(`INSERT INTO product (id, shop_id, external_id, title, source_updated_at) VALUES (gen_random_uuid(), $1, 'p1', 'Chair', $2)`, [shopId, before]);
  for (const [sku, priceAt] of [["SKU-A", before], ["SKU-B", before], ["SKU-NEW", after]] as const) {
    await sql.query(
      `INSERT INTO variant (id, shop_id, product_id, external_id, inventory_item_external_id, sku, price, source_updated_at)
       SELECT gen_random_uuid(), $1, p.id, $2, $3, $2, 10.00, $4 FROM product p WHERE p.shop_id = $1`,
      [shopId, sku, `item-${sku}`, priceAt],
    );
    await sql.query(
      `INSERT INTO inventory_level (shop_id, variant_id, location_id, on_hand, source_updated_at)
       SELECT $1, v.id, l.id, 5, CASE WHEN v.sku = 'SKU-NEW' AND l.external_id = 'main' THEN $3::timestamptz ELSE $2::timestamptz END
       FROM variant v, location l WHERE v.shop_id = $1 AND l.shop_id = $1 AND v.sku = $4`,
      [shopId, before, after, sku],
    );
  }
  drop = path.join(server.root, `erp-${drops}`);
  await mkdir(drop);
});

function source(): InboundSnapshotSource {
  return { shopId, target: sftpTarget(`sftp://${server.host}:${server.port}${drop}`, { username: server.username, privateKey: server.privateKey }) };
}

async function leaveSnapshot(name: string, csv: string, sidecar: Partial<{ file: string; rows: number; sha256: string; asOf: string }> = {}) {
  await writeFile(path.join(drop, name), csv);
  const rows = csv.trim().split("\n").length - 1;
  const manifest = { file: name, rows, sha256: createHash("sha256").update(csv).digest("hex"), asOf, ...sidecar };
  await writeFile(path.join(drop, `${name}.manifest.json`), JSON.stringify(manifest));
}

async function held() {
  const levels = await db().sql.query<{ sku: string; location: string; on_hand: number }>(
    `SELECT v.sku, l.external_id AS location, il.on_hand FROM inventory_level il JOIN variant v ON v.id = il.variant_id JOIN location l ON l.id = il.location_id
     WHERE il.shop_id = $1 ORDER BY 1, 2`,
    [shopId],
  );
  const prices = await db().sql.query<{ sku: string; price: string }>(`SELECT sku, price::text AS price FROM variant WHERE shop_id = $1 ORDER BY sku`, [shopId]);
  return { levels: levels.map((l) => `${l.sku}@${l.location}=${l.on_hand}`), prices: prices.map((p) => `${p.sku}=${Number(p.price)}`) };
}

const snapshot = ["sku,location,on_hand,price", "SKU-A,main,12,11.50", "SKU-A,east,5,11.50", "SKU-NEW,main,99,1.00", "SKU-NEW,east,7,1.00", "SKU-GONE,main,3,2.00", "SKU-B,mars,4,"].join("\n") + "\n";

describe("inbound stock and price snapshots from an ERP that speaks only files (real sshd)", () => {
  it("applies the snapshot forward-only, captures the changes and leaves a variance report per row", async () => {
    await leaveSnapshot("stock-2026-03-01.csv", snapshot);
    const [report] = await pullErpSnapshots(db().sql, source());
    expect(report).toMatchObject({
      file: "stock-2026-03-01.csv",
      status: "applied",
      rows: 6,
      stock: { applied: 2, unchanged: 1, newer_in_lockstep: 1, unknown_sku: 1, unknown_location: 1 },
      price: { applied: 2, newer_in_lockstep: 2, unknown_sku: 1, not_in_file: 1 },
    });
    expect(await held()).toEqual({
      // SKU-NEW@main changed after the snapshot was taken: it keeps 5. Nothing was created for SKU-GONE or "mars".
      levels: ["SKU-A@east=5", "SKU-A@main=12", "SKU-B@east=5", "SKU-B@main=5", "SKU-NEW@east=7", "SKU-NEW@main=5"],
      // SKU-NEW's price is newer than the snapshot too.
      prices: ["SKU-A=11.5", "SKU-B=10", "SKU-NEW=10"],
    });
    const captured = await db().sql.query<{ sku: string; kind: string }>(
      `SELECT v.sku, c.kind FROM change_record c JOIN variant v ON v.id = c.variant_id WHERE c.shop_id = $1 AND c.source = 'inbound_file' ORDER BY 1, 2`,
      [shopId],
    );
    expect(captured.map((c) => `${c.sku}:${c.kind}`)).toEqual(["SKU-A:price", "SKU-A:stock", "SKU-NEW:stock"]);
    expect(await readdir(drop)).toEqual(["processed"]);
    expect((await readdir(path.join(drop, "processed"))).sort()).toEqual(["stock-2026-03-01.csv", "stock-2026-03-01.csv.manifest.json", "stock-2026-03-01.csv.variance.csv"]);
    const variance = parse(await readFile(path.join(drop, "processed", "stock-2026-03-01.csv.variance.csv")), { columns: true }) as Array<Record<string, string>>;
    expect(variance).toHaveLength(6);
    expect(variance[2]).toEqual({ sku: "SKU-NEW", location: "main", file_on_hand: "99", held_on_hand: "5", stock: "newer_in_lockstep", file_price: "1.00", held_price: expect.stringMatching(/^10\.0*$/), price: "newer_in_lockstep" });
    expect(variance[4]).toMatchObject({ sku: "SKU-GONE", held_on_hand: "", stock: "unknown_sku" });
    // Pulled again: nothing left to pull.
    expect(await pullErpSnapshots(db().sql, source())).toEqual([]);
  });

  it("refuses the whole file when its checksum does not match: nothing applied, both files set aside with the reason", async () => {
    const before = await held();
    await leaveSnapshot("stock.csv", snapshot, { sha256: "a".repeat(64) });
    const [report] = await pullErpSnapshots(db().sql, source());
    expect(report).toMatchObject({ status: "refused", reason: expect.stringMatching(/SHA-256 of stock\.csv is [0-9a-f]{64}/) });
    expect(await held()).toEqual(before);
    expect((await readdir(path.join(drop, "rejected"))).sort()).toEqual(["stock.csv", "stock.csv.manifest.json", "stock.csv.reason.txt"]);
    expect(await readFile(path.join(drop, "rejected", "stock.csv.reason.txt"), "utf8")).toMatch(/manifest says a{64}/);
  });

  it("refuses the whole file when its row count differs from the manifest's (a truncated file)", async () => {
    const before = await held();
    await leaveSnapshot("stock.csv", snapshot, { rows: 7 });
    expect((await pullErpSnapshots(db().sql, source()))[0]).toMatchObject({ status: "refused", reason: "stock.csv has 6 rows, the manifest says 7" });
    expect(await held()).toEqual(before);
  });

  it("refuses the whole file for one bad row, even the last one", async () => {
    const before = await held();
    await leaveSnapshot("stock.csv", snapshot + "SKU-B,main,4,cheap\n");
    expect((await pullErpSnapshots(db().sql, source()))[0]).toMatchObject({ status: "refused", reason: 'line 8: price "cheap" is not a decimal amount' });
    await leaveSnapshot("stock2.csv", "sku,location,price\nSKU-A,main,1.00\n");
    await leaveSnapshot("stock3.csv", "sku,location,on_hand,price\nSKU-A,main,-4,1.00\n");
    await leaveSnapshot("stock4.csv", "sku,location,on_hand,price\nSKU-A,main,4,1.00\nSKU-A,east,4,2.00\n");
    const reports = await pullErpSnapshots(db().sql, source());
    expect(reports.map((r) => r.reason)).toEqual([
      "the header is sku,location,price, expected sku,location,on_hand,price",
      'line 2: on_hand "-4" is not a whole number of units',
      "line 3: SKU-A costs 2.00 here and 1.00 on an earlier line",
    ]);
    expect(await held()).toEqual(before);
  });

  it("refuses a manifest that is not JSON, names another file, or whose data file is missing", async () => {
    await writeFile(path.join(drop, "a.csv.manifest.json"), "{not json");
    await writeFile(path.join(drop, "a.csv"), snapshot);
    await leaveSnapshot("b.csv", snapshot, { file: "c.csv" });
    await writeFile(path.join(drop, "d.csv.manifest.json"), JSON.stringify({ file: "d.csv", rows: 1, sha256: "b".repeat(64), asOf }));
    const reports = await pullErpSnapshots(db().sql, source());
    expect(reports.map((r) => [r.file, r.status, r.reason])).toEqual([
      ["a.csv", "refused", "the manifest of a.csv is not JSON"],
      ["b.csv", "refused", "the manifest names c.csv, not b.csv"],
      ["d.csv", "refused", "d.csv is missing (its manifest is there)"],
    ]);
    expect(existsSync(path.join(drop, "processed"))).toBe(false);
  });

  it("never pulls one drop twice at once across processes: a pull finding the drop leased does nothing", async () => {
    await leaveSnapshot("stock.csv", snapshot);
    // Another process holds the drop's lease.
    expect(await claimPipelineLease(db().sql, pullLeaseName(source()), "other-process", 60_000)).toBe(true);
    expect(await pullErpSnapshots(db().sql, source(), { owner: "this-process" })).toEqual([]);
    expect(existsSync(path.join(drop, "stock.csv"))).toBe(true);
    await releasePipelineLease(db().sql, pullLeaseName(source()), "other-process");
    // Two pulls started together: one applies the file, the other finds the lease taken.
    const reports = await Promise.all([pullErpSnapshots(db().sql, source(), { owner: "a" }), pullErpSnapshots(db().sql, source(), { owner: "b" })]);
    expect(reports.flat().map((report) => [report.file, report.status])).toEqual([["stock.csv", "applied"]]);
    // Released at the end: the next pull runs (and finds nothing left).
    expect(await db().sql.query(`SELECT 1 FROM pipeline_lease WHERE name = $1`, [pullLeaseName(source())])).toEqual([]);
  });

  it("takes over the lease of a process that died holding it once it ran out", async () => {
    await leaveSnapshot("stock.csv", snapshot);
    expect(await claimPipelineLease(db().sql, pullLeaseName(source()), "dead-process", 1)).toBe(true);
    await vi.waitFor(async () => expect((await pullErpSnapshots(db().sql, source(), { owner: "survivor" })).map((report) => report.status)).toEqual(["applied"]), { timeout: 10_000 });
  });

  it("goes through app/outbound: sessions wait in the drop's limiter, and a drop that keeps failing opens its circuit", async () => {
    const registry = createLimiterRegistry();
    try {
      await leaveSnapshot("stock.csv", snapshot);
      expect((await pullErpSnapshots(db().sql, { ...source(), registry })).map((report) => report.status)).toEqual(["applied"]);
      const metrics = () => registry.metrics.for(`destination:inbound:${shopId}`).snapshot();
      expect(metrics().requests).toBe(1);

      // The drop's server stops answering: each pull fails, and after five in a row the circuit opens.
      const closed = { ...source(), target: { ...source().target, port: 9 }, registry };
      for (let failure = 1; failure <= 5; failure++) await expect(pullErpSnapshots(db().sql, closed)).rejects.toMatchObject({ code: "sftp_unavailable" });
      await expect(pullErpSnapshots(db().sql, closed)).rejects.toMatchObject({ code: "circuit_open" });
      // Refused without connecting; and the refused pull let go of its lease.
      expect(metrics().requests).toBe(6);
      expect(await db().sql.query(`SELECT 1 FROM pipeline_lease WHERE name = $1`, [pullLeaseName(closed)])).toEqual([]);
    } finally {
      await registry.close();
    }
  });
});

describe("scheduled inbound pulls: files destinations with options.inbound, on their cadence, once per tick across processes", () => {
  const adapters = adapterRegistry([sftpFilesAdapterWith()]);
  let named = 0;
  const deps = (owner: string) => ({ sql: db().sql, encryptionKey: ENCRYPTION_KEY, adapters, owner });
  const createInbound = (options: Record<string, unknown>) =>
    createDestination(deps("staff"), shopId, {
      name: `ERP files ${++named}`,
      kind: "sftp_files",
      endpoint: `sftp://${server.host}:${server.port}${drop}/out`,
      credentials: { username: server.username, privateKey: server.privateKey },
      receives: ["price"],
      cadence: "0 * * * *",
      options,
    });
  beforeEach(async () => {
    await db().sql.query(`UPDATE destination SET enabled = false`);
    await mkdir(path.join(drop, "out"));
  });

  it("pulls a configured drop at its tick, not again until the next tick (whichever process asks), then at the next", async () => {
    const destination = await createInbound({ inbound: { directory: drop, cadence: "*/30 * * * *" } });
    // A files destination without inbound drop is not pulled.
    await createInbound({});
    await leaveSnapshot("stock-1.csv", snapshot);
    const first = await pullDueInboundSnapshots(deps("process-a"));
    expect(first.map((pull) => [pull.destinationId, pull.reports?.map((report) => [report.file, report.status])])).toEqual([[destination.id, [["stock-1.csv", "applied"]]]]);
    expect((await held()).prices).toContain("SKU-A=11.5");

    // The same tick, another process: the tick is taken, the new file waits.
    await leaveSnapshot("stock-2.csv", snapshot);
    expect(await pullDueInboundSnapshots(deps("process-b"))).toEqual([]);
    expect(existsSync(path.join(drop, "stock-2.csv"))).toBe(true);

    // The next tick came: its lease ran out.
    await db().sql.query(`UPDATE pipeline_lease SET lease_until = now() - interval '1 second' WHERE name = $1`, [inboundTickLeaseName(destination.id)]);
    const next = await pullDueInboundSnapshots(deps("process-b"));
    expect(next.flatMap((pull) => pull.reports ?? []).map((report) => [report.file, report.status])).toEqual([["stock-2.csv", "applied"]]);
    expect(existsSync(path.join(drop, "processed", "stock-2.csv"))).toBe(true);
  });

  it("runs in the background work and stops cleanly", async () => {
    await createInbound({ inbound: { directory: drop } });
    await leaveSnapshot("stock.csv", snapshot);
    const stop = startInboundSnapshotPulls(deps("background"), { tickMs: 50 });
    try {
      await until(() => existsSync(path.join(drop, "processed", "stock.csv")));
    } finally {
      await stop();
    }
    expect((await held()).prices).toContain("SKU-A=11.5");
  });

  it("refuses bad inbound options with a clear error, and skips a drop that is the directory Lockstep writes to", async () => {
    await expect(createInbound({ inbound: { directory: "relative/dir" } })).rejects.toMatchObject({ code: "invalid_options", status: 400, message: expect.stringContaining("options.inbound.directory") });
    await expect(createInbound({ inbound: { directory: drop, cadence: "every hour" } })).rejects.toMatchObject({ code: "invalid_options", message: expect.stringContaining("options.inbound.cadence: is not a cron expression") });
    const same = await createInbound({ inbound: { directory: `${drop}/out/` } });
    await writeFile(path.join(drop, "out", "run1.manifest.json"), "{}");
    const pulls = await pullDueInboundSnapshots(deps("process-a"));
    expect(pulls).toEqual([{ destinationId: same.id, error: expect.stringContaining("must not be the directory Lockstep writes its files to") }]);
    expect(existsSync(path.join(drop, "out", "run1.manifest.json"))).toBe(true);
  });

  it("reports a drop it cannot reach and tries again at the next tick", async () => {
    const unreachable = await createDestination(deps("staff"), shopId, {
      name: `ERP down ${drops}`,
      kind: "sftp_files",
      endpoint: `sftp://${server.host}:9/out`,
      credentials: { username: server.username, privateKey: server.privateKey },
      receives: ["price"],
      cadence: "0 * * * *",
      options: { inbound: { directory: "/drop" } },
    });
    expect(await pullDueInboundSnapshots(deps("process-a"))).toEqual([{ destinationId: unreachable.id, error: expect.any(String) }]);
    // Not before its next tick.
    expect(await pullDueInboundSnapshots(deps("process-a"))).toEqual([]);
    expect(await db().sql.query(`SELECT 1 FROM pipeline_lease WHERE name = $1`, [inboundTickLeaseName(unreachable.id)])).toHaveLength(1);
  });
});
