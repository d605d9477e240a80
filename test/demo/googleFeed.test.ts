import { XMLParser } from "fast-xml-parser";
import { afterAll, beforeAll, expect, it } from "vitest";
import { adapterRegistry } from "../../app/batching/adapters";
import { runDueDestination } from "../../app/batching/runs.server";
import { ensureDemoGoogleFeed } from "../../app/demo/googleFeed.server";
import { DEMO_PRODUCTS, seedDemoShop } from "../../app/demo/seed.server";
import { googleFeedAdapter } from "../../app/feeds/google/adapter.server";
import { publishedSnapshot, snapshotChunks } from "../../app/feeds/google/snapshots.server";
import { tokenOpensFeed } from "../../app/feeds/google/tokens.server";
import { createTestDatabase, type TestDatabase } from "../helpers/database";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
}, 240_000);
afterAll(async () => {
  await db.close();
});

it("gives the demo shop a Google feed built at start: every demo item valid, a fresh token per start", async () => {
  const { shop } = await seedDemoShop(db.prisma, { apiToken: "lst_demo_token_for_the_google_feed_test" });
  const first = await ensureDemoGoogleFeed(db, { shopId: shop.id, encryptionKey: "demo-key" });
  const adapter = googleFeedAdapter({ sql: db.sql });
  const outcome = await runDueDestination({ sql: db.sql, encryptionKey: "demo-key", adapters: adapterRegistry([adapter]), owner: "test" }, first.feedId);
  expect(outcome).toMatchObject({ status: "succeeded" });
  const snapshot = await publishedSnapshot(db.sql, first.feedId);
  const parts: Buffer[] = [];
  for await (const chunk of snapshotChunks(db.sql, snapshot!.snapshotId, "xml")) parts.push(chunk);
  const items = new XMLParser({ parseTagValue: false, isArray: (name) => name === "item" }).parse(Buffer.concat(parts).toString()).rss.channel.item as Array<Record<string, string>>;
  expect(items.map((item) => item["g:id"]).sort()).toEqual(DEMO_PRODUCTS.flatMap((product) => product.variants.map((variant) => variant.sku)).sort());
  expect(items.every((item) => item["g:brand"] === "Lockstep Outfitters" && item.link?.startsWith("https://demo-shop.myshopify.com/products/"))).toBe(true);

  const second = await ensureDemoGoogleFeed(db, { shopId: shop.id, encryptionKey: "demo-key" });
  expect(second.feedId).toBe(first.feedId);
  expect(await tokenOpensFeed(db.sql, first.feedId, first.token, new Date())).toBe(false);
  expect(await tokenOpensFeed(db.sql, second.feedId, second.token, new Date())).toBe(true);
});
