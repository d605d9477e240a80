import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { XMLParser } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDemoGoogleFeed } from "../../app/demo/googleFeed.server";
import { DEMO_PRODUCTS, seedDemoShop } from "../../app/demo/seed.server";
import { publishedSnapshot, snapshotChunks } from "../../app/feeds/google/snapshots.server";
import { tokenOpensFeed } from "../../app/feeds/google/tokens.server";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { until } from "../helpers/expectations";
import { type Started, startProcess } from "../helpers/process";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
}, 240_000);
afterAll(async () => {
  await db.close();
});

const DEMO_SKUS = DEMO_PRODUCTS.flatMap((product) => product.variants.map((variant) => variant.sku)).sort();
const parseFeedXml = (xml: string) =>
  new XMLParser({ parseTagValue: false, isArray: (name) => name === "item" }).parse(xml).rss.channel.item as Array<Record<string, string>>;

it("gives the demo shop a Google feed built at start: every demo item valid, a fresh token per start", async () => {
  const { shop } = await seedDemoShop(db.prisma, { apiToken: "lst_demo_token_for_the_google_feed_test" });
  const first = await ensureDemoGoogleFeed(db, { shopId: shop.id, encryptionKey: "demo-key" });
  // Built by a run before ensureDemoGoogleFeed returned: published, nothing left requested.
  const [run] = await db.sql.query<{ status: string; reason: string }>(`SELECT status, reason FROM destination_run WHERE destination_id = $1`, [first.feedId]);
  expect(run).toEqual({ status: "succeeded", reason: "sync_now" });
  const snapshot = await publishedSnapshot(db.sql, first.feedId);
  const parts: Buffer[] = [];
  for await (const chunk of snapshotChunks(db.sql, snapshot!.snapshotId, "xml")) parts.push(chunk);
  const items = parseFeedXml(Buffer.concat(parts).toString());
  expect(items.map((item) => item["g:id"]).sort()).toEqual(DEMO_SKUS);
  expect(items.every((item) => item["g:brand"] === "Lockstep Outfitters" && item.link?.startsWith("https://demo-shop.myshopify.com/products/"))).toBe(true);

  const second = await ensureDemoGoogleFeed(db, { shopId: shop.id, encryptionKey: "demo-key" });
  expect(second.feedId).toBe(first.feedId);
  expect((await publishedSnapshot(db.sql, first.feedId))!.snapshotId).not.toBe(snapshot!.snapshotId);
  expect(await tokenOpensFeed(db.sql, first.feedId, first.token, new Date())).toBe(false);
  expect(await tokenOpensFeed(db.sql, second.feedId, second.token, new Date())).toBe(true);
});

describe("the demo as `npm run demo` starts it", () => {
  const dataRoot = mkdtempSync(path.join(tmpdir(), "lockstep-demo-feeds-"));
  let demo: Started | undefined;
  // A failed expectation must not leave the demo running (and holding its PGlite folder).
  afterAll(async () => {
    await demo?.stop("SIGKILL");
    rmSync(dataRoot, { recursive: true, force: true });
  });

  it("prints the Google feed's XML and TSV URLs, serves a published snapshot at them and has an Amazon feed accepted, within its first 15 s", async () => {
    demo = startProcess("server/main.ts", ["--demo"], { PORT: "0", LOCKSTEP_DATA_DIR: path.join(dataRoot, "pglite"), LOCKSTEP_DEMO_TRAFFIC: "off" });
    // The 15 s count from the moment it listens: before that, a fresh embedded database is created
    // and migrated (10 s on a quiet machine, a minute on a loaded one), which is not the demo's doing.
    await demo.waitFor(/listening on http:\/\/\S+/, 180_000);
    const listeningAt = Date.now();
    const left = () => Math.max(1, listeningAt + 15_000 - Date.now());
    const [, xmlUrl] = await demo.waitFor(/Google feed \(XML\): (http:\/\/\S+\/products\.xml)/, left());
    const [, tsvUrl] = await demo.waitFor(/Google feed \(TSV\): (http:\/\/\S+\/products\.tsv)/, left());
    const [, amazonToken, amazonUrl, seller] = await demo.waitFor(/a listing: curl -H 'x-amz-access-token: ([^']+)' '(http:\/\/[^/]+)\/listings\/2021-08-01\/items\/([^/]+)\//, left());
    expect(xmlUrl!.replace(/\.xml$/, "")).toBe(tsvUrl!.replace(/\.tsv$/, ""));

    // Published: the printed URL answers 200 with the whole demo catalog (no snapshot yet: 404).
    let xml = "";
    await until(
      async () => {
        const response = await fetch(xmlUrl!);
        if (response.status !== 200) return false;
        xml = await response.text();
        return true;
      },
      { timeout: left(), interval: 100, what: "the Google feed published at the printed XML URL" },
    );
    const items = parseFeedXml(xml);
    expect(items.map((item) => item["g:id"]).sort()).toEqual(DEMO_SKUS);
    expect(items.every((item) => item["g:price"]?.endsWith(" USD") && item["g:availability"])).toBe(true);
    const tsv = await fetch(tsvUrl!);
    expect(tsv.status).toBe(200);
    const rows = parseCsv(await tsv.text(), { delimiter: "\t", columns: true, quote: false }) as Array<Record<string, string>>;
    expect(rows.map((row) => row.id).sort()).toEqual(DEMO_SKUS);

    // Pushed: the simulated Amazon took a JSON_LISTINGS_FEED and applied it (a listing exists only once a feed carrying it was accepted).
    const listings = `${amazonUrl}/listings/2021-08-01/items/${seller}?marketplaceIds=ATVPDKIKX0DER&identifiersType=SKU&identifiers=${DEMO_SKUS.map(encodeURIComponent).join(",")}`;
    let listed: Array<{ sku: string; attributes: Record<string, unknown[]> }> = [];
    await until(
      async () => {
        const response = await fetch(listings, { headers: { "x-amz-access-token": amazonToken! } });
        if (response.status !== 200) return false;
        listed = ((await response.json()) as { items: typeof listed }).items;
        return listed.length === DEMO_SKUS.length;
      },
      { timeout: left(), interval: 500, what: "every demo SKU listed on the simulated Amazon" },
    );
    expect(listed.every((listing) => listing.attributes.purchasable_offer?.length === 1)).toBe(true);
  }, 240_000);
});
