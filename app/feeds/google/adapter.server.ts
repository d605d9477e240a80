// The Google Merchant feed as a destination kind of the batching pipeline (delivery `snapshot`:
// every run gets every catalog item). A run builds the XML and TSV files of a new snapshot page by
// page into the database; the manifest step publishes it — unless the run rejected more than the
// feed's allowed share, in which case the last good snapshot stays served. A rollback run switches
// back to the snapshot that was served before the rolled-back run.

import type { DestinationAdapter, ItemResult, ItemState, PublishRun, PushedItem, SignedManifest } from "../../batching/types";
import type { SqlRunner } from "../../db/database.server";
import { readAvailability } from "../../inventory/sql/readAvailability";
import { log } from "../../observability/log.server";
import { mappedMetafields } from "../fieldMapping";
import { productMetafields } from "../metafields.server";
import { buildFeedItem, catalogReasons, type GoogleFeedItem, type ScheduledSaleSource, type StockView, titleOf } from "./item";
import { type GoogleFeedOptions, parseGoogleFeedOptions } from "./options";
import { priceVersionSales } from "./sales.server";
import { ChunkWriter, discardSnapshot, markReady, pruneFeedSnapshots, publishSnapshot, snapshotBeforeRun, snapshotOfRun, startSnapshot } from "./snapshots.server";
import { readServedItems } from "./sql/readServedItems";
import { upsertSnapshotItems } from "./sql/upsertSnapshotItems";
import { tsvFeedWriter, xmlFeedWriter } from "./writers";

export const FEED_FILE_NAMES = { xml: "products.xml", tsv: "products.tsv" } as const;

export interface GoogleFeedDeps {
  sql: SqlRunner;
  /** Lockstep's availability of a page of SKUs (pooled, safety stock applied); defaults to app/inventory's read. */
  stockOf?: (shopId: string, skus: string[], now: Date) => Promise<Map<string, StockView>>;
  /** Scheduled sale prices; defaults to app/prices' sale versions of the store's list. */
  sales?: ScheduledSaleSource;
}

function stockFromDatabase(sql: SqlRunner) {
  return async (shopId: string, skus: string[], now: Date): Promise<Map<string, StockView>> => {
    const rows = await readAvailability(sql, { shopId, skus, now });
    return new Map(
      rows.map((row) => [
        row.sku,
        { available: row.available, virtualStock: row.virtual_kind ? { kind: row.virtual_kind, promiseDate: row.promise_date === null ? null : new Date(row.promise_date).toISOString() } : undefined },
      ]),
    );
  };
}

const stateOf = (item: PushedItem): ItemState => (item.kind === "catalog" ? { title: titleOf(item), price: Number(item.price).toFixed(2) } : {});

export function googleFeedAdapter(deps: GoogleFeedDeps): DestinationAdapter {
  const stockOf = deps.stockOf ?? stockFromDatabase(deps.sql);
  const sales = deps.sales ?? priceVersionSales(deps.sql);
  const metafields = productMetafields(deps.sql);
  return {
    kind: "google_feed",
    delivery: "snapshot",
    readPageSize: 1000,
    parseOptions: (raw) => parseGoogleFeedOptions(raw),
    async prepare(items, destination) {
      // The metafields the mapping names, read only when it names any.
      const mapping = parseGoogleFeedOptions(destination.options).fieldMapping;
      return metafields(destination.shopId, items, mappedMetafields(Object.values(mapping).flat()));
    },
    validate(item, destination) {
      if (item.kind !== "catalog") return [`a Google feed carries catalog items, not ${item.kind}`];
      // A product that is not for sale is left out of the feed (publish skips it), not rejected.
      if (item.status !== "active") return [];
      return catalogReasons(item, parseGoogleFeedOptions(destination.options));
    },
    stateOf,

    async publish(run, pages) {
      const options = parseGoogleFeedOptions(run.destination.options);
      if (run.reason === "rollback") return rollbackPublish(deps.sql, run, pages);
      const snapshotId = await startSnapshot(deps.sql, run.destination.id, run.runId);
      const xml = new ChunkWriter(deps.sql, snapshotId, "xml");
      const tsv = new ChunkWriter(deps.sql, snapshotId, "tsv");
      const xmlWriter = xmlFeedWriter((text) => xml.write(text), { title: options.title, link: options.storeUrl, description: `Products of ${options.storeUrl}` });
      const tsvWriter = tsvFeedWriter((text) => tsv.write(text));
      let items = 0;
      try {
        for await (const page of pages) {
          if (run.signal.aborted) throw new Error("the run was stopped");
          const now = run.now();
          const catalog = page.flatMap((item) => (item.kind === "catalog" ? [item] : []));
          const stock = await stockOf(run.destination.shopId, catalog.map((item) => item.sku), now);
          const sale = await sales.salesFor(run.destination.shopId, catalog.map((item) => item.sku), now);
          const built: GoogleFeedItem[] = [];
          const results: ItemResult[] = [];
          for (const item of catalog) {
            if (item.status !== "active") {
              results.push({ kind: "catalog", sku: item.sku, outcome: "skipped", reason: `product is ${item.status}: not in the feed` });
              continue;
            }
            const feedItem = buildFeedItem(item, stock.get(item.sku), sale.get(item.sku), options, now);
            if ("reason" in feedItem) {
              results.push({ kind: "catalog", sku: item.sku, outcome: "rejected", reason: feedItem.reason });
              continue;
            }
            built.push(feedItem);
            results.push({ kind: "catalog", sku: item.sku, outcome: "accepted", batchId: `snapshot-${snapshotId}` });
          }
          xmlWriter.write(built);
          tsvWriter.write(built);
          await Promise.all([xml.flush(), tsv.flush()]);
          const inFile = new Set(built.map((feedItem) => feedItem.id));
          await recordSnapshotItems(deps.sql, snapshotId, catalog.filter((item) => inFile.has(item.sku)));
          items += built.length;
          await run.report(results);
        }
        xmlWriter.end();
        tsvWriter.end();
        const files = { xml: await xml.finish(), tsv: await tsv.finish() };
        await markReady(deps.sql, snapshotId, { items, ...files }, run.now());
        return {
          files: [
            { name: FEED_FILE_NAMES.xml, rows: items, bytes: files.xml.bytes, sha256: files.xml.sha256 },
            { name: FEED_FILE_NAMES.tsv, rows: items, bytes: files.tsv.bytes, sha256: files.tsv.sha256 },
          ],
        };
      } catch (failure) {
        await discardSnapshot(deps.sql, snapshotId).catch(() => undefined);
        throw failure;
      }
    },

    async publishManifest(run, signed) {
      const options = parseGoogleFeedOptions(run.destination.options);
      await publishBuiltSnapshot(deps.sql, run, signed, options);
      await pruneFeedSnapshots(deps.sql, run.destination.id, options.keepSnapshots);
    },

    async readBack(destination, kind, skus) {
      if (kind !== "catalog") return skus.map((sku) => ({ kind, sku, state: undefined }));
      const held = await readServedItems(deps.sql, destination.id, skus);
      return skus.map((sku) => ({ kind, sku, state: held.get(sku) }));
    },

    async testConnection(destination) {
      try {
        parseGoogleFeedOptions(destination.options);
        return { ok: true, message: "Pulled feed: Merchant Center fetches it from Lockstep's /feeds URL" };
      } catch (error) {
        return { ok: false, message: error instanceof Error ? error.message : String(error) };
      }
    },
  };
}

async function recordSnapshotItems(sql: SqlRunner, snapshotId: string, items: PushedItem[]): Promise<void> {
  await upsertSnapshotItems(sql, snapshotId, items.map((item) => ({ sku: item.sku, state: stateOf(item) })));
}

/** A rollback run carries no new files: every item is settled, and the manifest step switches snapshots. */
async function rollbackPublish(sql: SqlRunner, run: PublishRun, pages: AsyncIterable<PushedItem[]>) {
  const target = await snapshotBeforeRun(sql, run.destination.id, run.rollbackOf ?? "0");
  for await (const page of pages) {
    await run.report(page.map((item) => ({ kind: item.kind, sku: item.sku, outcome: "accepted" as const, batchId: target ? `snapshot-${target.id}` : undefined })));
  }
  if (!target) throw new Error(`no feed snapshot was served before run ${run.rollbackOf}: nothing to roll back to`);
  return {
    files: [
      { name: FEED_FILE_NAMES.xml, rows: target.items, bytes: target.xml.bytes, sha256: target.xml.sha256 },
      { name: FEED_FILE_NAMES.tsv, rows: target.items, bytes: target.tsv.bytes, sha256: target.tsv.sha256 },
    ],
  };
}

/** Publishes the run's snapshot when its rejected share is within the feed's limit; otherwise the last good one stays. */
async function publishBuiltSnapshot(sql: SqlRunner, run: PublishRun, signed: SignedManifest, options: GoogleFeedOptions): Promise<void> {
  const destinationId = run.destination.id;
  if (run.reason === "rollback") {
    const target = await snapshotBeforeRun(sql, destinationId, run.rollbackOf ?? "0");
    if (!target) throw new Error(`no feed snapshot was served before run ${run.rollbackOf}`);
    await publishSnapshot(sql, destinationId, target.id, run.now());
    log.info("feed rolled back", { destinationId, runId: run.runId, rolledBack: run.rollbackOf, snapshotId: target.id });
    return;
  }
  const snapshot = await snapshotOfRun(sql, destinationId, run.runId);
  if (!snapshot) throw new Error(`run ${run.runId} built no complete snapshot: the last good one stays served`);
  const { rejected, itemsAfterCoalescing } = signed.manifest.counts;
  const share = itemsAfterCoalescing === 0 ? 0 : rejected / itemsAfterCoalescing;
  if (share > options.maxRejectedShare) {
    await discardSnapshot(sql, snapshot.id);
    throw new Error(
      `${rejected} of ${itemsAfterCoalescing} items rejected (${(share * 100).toFixed(1)} % > ${(options.maxRejectedShare * 100).toFixed(1)} % allowed): the last good snapshot stays served`,
    );
  }
  await publishSnapshot(sql, destinationId, snapshot.id, run.now());
  log.info("feed snapshot published", { destinationId, runId: run.runId, snapshotId: snapshot.id, items: snapshot.items });
}
