/**
 * bench/feeds/google: the Google feed's RSS 2.0 (g:) and TSV files built for N items, the way a
 * run's publish builds them (app/feeds/google/adapter.server.ts): pages of 1,000 catalog items
 * (the adapter's `readPageSize`) → validation (`catalogReasons`) → `buildFeedItem` → the streamed
 * writers (`xmlFeedWriter`: xmlbuilder2's callback builder; `tsvFeedWriter`: csv-stringify), each
 * page's text handed to a file stream before the next page is made. Items are generated a page at a
 * time (as the run reads them), so the process holds one page.
 *
 *   npm run bench:feeds                  # 10,000, 100,000 and 200,000 items, one process each
 *   npm run bench:feeds -- 100000        # one size
 *
 * Baseline, same process, same items: the final feed rows already built and in memory, streamed
 * with the bare libraries — xmlbuilder2's `createCB` element by element and csv-stringify's stream
 * API — into files. Ratio = baseline time ÷ Lockstep's time (100 %: as fast as the bare
 * libraries). Peak RSS is taken before the baseline (which holds every row by design).
 * Not included: storing the snapshot's chunks in the database and the stock and sale look-ups per
 * page (the adapter's database side).
 */
import { spawnSync } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { once } from "node:events";
import { stringify } from "csv-stringify";
import { createCB } from "xmlbuilder2";
import type { CatalogItem } from "../../app/batching/types";
import { buildFeedItem, catalogReasons, FEED_COLUMNS, type GoogleFeedItem } from "../../app/feeds/google/item";
import { parseGoogleFeedOptions } from "../../app/feeds/google/options";
import { GOOGLE_NAMESPACE, tsvFeedWriter, xmlFeedWriter } from "../../app/feeds/google/writers";

const PAGE = 1_000;
const options = parseGoogleFeedOptions({ storeUrl: "https://bench.example", currency: "USD", defaultBrand: "Bench" });
const CHANNEL = { title: options.title, link: options.storeUrl, description: `Products of ${options.storeUrl}` };

interface SizeResult {
  items: number;
  written: number;
  ms: number;
  xmlBytes: number;
  tsvBytes: number;
  bareMs: number;
  peakRssMb: number;
}

if (process.argv[2] === "--child") {
  console.log(JSON.stringify(await runSize(Number(process.argv[3]))));
} else {
  const sizes = process.argv.slice(2).map(Number).filter((size) => size > 0);
  const results: SizeResult[] = [];
  for (const size of sizes.length > 0 ? sizes : [10_000, 100_000, 200_000]) {
    const child = spawnSync(process.execPath, ["--import", "tsx", import.meta.filename, "--child", String(size)], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 20 });
    if (child.status !== 0) throw new Error(`the ${size} run failed (${child.status})`);
    const result = JSON.parse(child.stdout.trim().split("\n").at(-1)!) as SizeResult;
    results.push(result);
    const perSecond = Math.round((result.written / result.ms) * 1000).toLocaleString("en");
    console.log(
      `${size.toLocaleString("en")} items: XML ${(result.xmlBytes / 1e6).toFixed(1)} MB + TSV ${(result.tsvBytes / 1e6).toFixed(1)} MB, ${result.written.toLocaleString("en")} items in ${(result.ms / 1000).toFixed(2)} s (${perSecond} items/s); bare xmlbuilder2 + csv-stringify ${(result.bareMs / 1000).toFixed(2)} s → ${((result.bareMs / result.ms) * 100).toFixed(1)} %; peak RSS ${result.peakRssMb.toFixed(0)} MB`,
    );
  }
  if (results.length > 1) {
    console.log(`peak RSS from ${results[0]!.items.toLocaleString("en")} to ${results.at(-1)!.items.toLocaleString("en")} items: ${(results.at(-1)!.peakRssMb - results[0]!.peakRssMb).toFixed(0)} MB`);
  }
}

/** The catalog item `i` as a run reads it: a storefront path, an image, a GTIN-13 on most, a brand on some. */
function catalogItem(i: number): CatalogItem {
  const sku = `BENCH-${String(i).padStart(7, "0")}`;
  const gtin12 = `400000${String(i).padStart(6, "0")}`;
  const digits = gtin12.split("").map(Number);
  const check = (10 - (digits.reduce((sum, digit, k) => sum + digit * (k % 2 === 0 ? 1 : 3), 0) % 10)) % 10;
  return {
    kind: "catalog",
    shopId: "bench",
    sku,
    variantId: `v${i}`,
    version: "2026-12-01T00:00:00.000Z",
    occurredAt: "2026-12-01T00:00:00.000Z",
    changeId: String(i),
    productExternalId: `p${Math.floor(i / 4)}`,
    variantExternalId: `v${i}`,
    title: `Size ${(i % 4) + 1}`,
    productTitle: `Oak chair & table set no. ${Math.floor(i / 4)} <"classic">`,
    status: "active",
    price: `${(i % 900) + 10}.90`,
    currency: "USD",
    description: `Solid oak, hand finished. Item ${i} of the bench catalog, with a longer text as product descriptions have: seats four, oiled, assembled.`,
    imageUrl: `https://cdn.bench.example/images/${i}.jpg`,
    link: `/products/chair-${Math.floor(i / 4)}`,
    ...(i % 10 === 0 ? {} : { gtin: `${gtin12}${check}` }),
    ...(i % 3 === 0 ? { brand: "Oakworks" } : {}),
    ...(i % 7 === 0 ? { compareAtPrice: `${(i % 900) + 20}.90` } : {}),
  };
}

function feedRowsOf(page: CatalogItem[]): GoogleFeedItem[] {
  const rows: GoogleFeedItem[] = [];
  for (const item of page) {
    if (catalogReasons(item, options).length > 0) continue;
    const built = buildFeedItem(item, { available: item.changeId.endsWith("3") ? 0 : 5 }, undefined, options);
    if (!("reason" in built)) rows.push(built);
  }
  return rows;
}

/** Text into a file stream, waiting for it to drain between pages (the adapter waits for its chunk writes). */
function fileSink(file: string): { write: (text: string) => void; drained: () => Promise<void>; close: () => Promise<number> } {
  const stream: WriteStream = createWriteStream(file);
  let full = false;
  return {
    write(text) {
      if (!stream.write(text)) full = true;
    },
    async drained() {
      if (full) await once(stream, "drain");
      full = false;
    },
    async close() {
      const done = once(stream, "finish");
      stream.end();
      await done;
      return (await stat(file)).size;
    },
  };
}

async function runSize(items: number): Promise<SizeResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "lockstep-bench-feeds-"));
  try {
    // Lockstep: page by page, built, validated, both files written.
    const started = performance.now();
    const xml = fileSink(path.join(dir, "products.xml"));
    const tsv = fileSink(path.join(dir, "products.tsv"));
    const xmlWriter = xmlFeedWriter(xml.write, CHANNEL);
    const tsvWriter = tsvFeedWriter(tsv.write);
    let written = 0;
    for (let from = 0; from < items; from += PAGE) {
      const page = Array.from({ length: Math.min(PAGE, items - from) }, (_, k) => catalogItem(from + k));
      const rows = feedRowsOf(page);
      xmlWriter.write(rows);
      tsvWriter.write(rows);
      await Promise.all([xml.drained(), tsv.drained()]);
      written += rows.length;
    }
    xmlWriter.end();
    tsvWriter.end();
    const [xmlBytes, tsvBytes] = await Promise.all([xml.close(), tsv.close()]);
    const ms = performance.now() - started;
    const peakRssMb = process.resourceUsage().maxRSS / 1024;

    // Baseline: the same final rows, in memory, streamed with the bare libraries.
    const rows: GoogleFeedItem[] = [];
    for (let from = 0; from < items; from += PAGE) rows.push(...feedRowsOf(Array.from({ length: Math.min(PAGE, items - from) }, (_, k) => catalogItem(from + k))));
    const bareStarted = performance.now();
    const bareXml = createWriteStream(path.join(dir, "bare.xml"));
    const builder = createCB({ data: (chunk: string) => bareXml.write(chunk), prettyPrint: false });
    builder.dec({ version: "1.0", encoding: "UTF-8" }).ele("rss", { version: "2.0", "xmlns:g": GOOGLE_NAMESPACE }).ele("channel");
    builder.ele("title").txt(CHANNEL.title).up().ele("link").txt(CHANNEL.link).up().ele("description").txt(CHANNEL.description).up();
    for (const row of rows) {
      builder.ele("item");
      for (const column of FEED_COLUMNS) if (row[column] !== "") builder.ele(column === "title" || column === "description" || column === "link" ? column : `g:${column}`).txt(row[column]).up();
      builder.up();
    }
    builder.up().up().end();
    const xmlDone = once(bareXml, "finish");
    bareXml.end();
    const bareTsv = stringify({ delimiter: "\t", header: true, columns: FEED_COLUMNS as string[], quote: false, record_delimiter: "\n" });
    const tsvFile = createWriteStream(path.join(dir, "bare.tsv"));
    const tsvDone = once(tsvFile, "finish");
    bareTsv.pipe(tsvFile);
    for (const row of rows) if (!bareTsv.write(FEED_COLUMNS.map((column) => row[column]))) await once(bareTsv, "drain");
    bareTsv.end();
    await Promise.all([xmlDone, tsvDone]);
    const bareMs = performance.now() - bareStarted;
    return { items, written, ms, xmlBytes, tsvBytes, bareMs, peakRssMb };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
