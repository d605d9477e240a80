import { LockstepError } from "../config/errors";
import type { AppContext } from "../context.server";
import type { Sql, SqlRunner } from "../db/database.server";
import { systemClock } from "../config/clock";
import { readBigCommerceCatalog } from "./bigcommerce.server";
import { addRow, batchSize, type CatalogBatch, type CatalogRow, emptyBatch } from "../catalog/catalogRows";
import { readShopifyCatalog, type ShopifyCatalogOptions } from "./shopify.server";
import type { BackfillRecord } from "./sql/backfillRow";
import { claimBackfill } from "./sql/claimBackfill";
import { finishBackfill } from "./sql/finishBackfill";
import { getBackfill } from "./sql/getBackfill";
import { recordBackfillBatch } from "./sql/recordBackfillBatch";
import { touchBackfill } from "./sql/touchBackfill";
import { retireUnlistedRows } from "./sql/retireUnlistedRows";
import { writeCatalogBatch } from "./sql/writeCatalogBatch";
import { captureChanges, changesOfBackfill } from "../batching/capture.server";
import { bigCommerceTokenOf, shopifyOfflineToken } from "../shops/platformAccess.server";
import { storeHashOf } from "../shops/platformIdentity";
import { findShopById } from "../shops/sql/findShop";

export type { BackfillRecord } from "./sql/backfillRow";
export { getBackfill } from "./sql/getBackfill";

export interface BackfillShop {
  id: string;
  platform: "shopify" | "bigcommerce";
  /** `name.myshopify.com` or `stores/{hash}` */
  domain: string;
}

export interface BackfillDeps {
  sql: Sql;
  /**
   * The shop's catalog as rows, parents first. Called after the read time is taken. A reader that
   * waits long on the platform (a bulk operation) calls `keepAlive` meanwhile, so the run does not
   * look abandoned; it throws once another run took the shop over.
   */
  catalogOf: (shop: BackfillShop, run: { keepAlive: () => Promise<void> }) => AsyncIterable<CatalogRow>;
  /** Forgets the shop's cached availability once its stock was rewritten. */
  invalidate: (shopId: string) => Promise<void>;
  now?: () => Date;
  /** Rows per transaction (default 500): small enough not to hold PGlite's one connection for long. */
  batchSize?: number;
  /** A running backfill whose row has not moved for this long was abandoned and may be taken over (default 15 min). */
  abandonedAfterMs?: number;
}

export interface StartedBackfill {
  /** The row as the run claimed it (state `running`). */
  record: BackfillRecord;
  /** Resolves with the final row (`done` or `failed`); never rejects: failures are recorded in the row. */
  finished: Promise<BackfillRecord>;
}

/**
 * Claims the shop's backfill and starts it: resolves once the run owns the shop's row, the
 * reading and writing go on in `finished`. 404 for an unknown shop, 409 when one is running.
 */
export async function beginBackfill(deps: BackfillDeps, shopId: string): Promise<StartedBackfill> {
  const now = deps.now ?? (() => new Date());
  const found = await findShopById(deps.sql, shopId);
  if (!found) throw new LockstepError("unknown_shop", `no shop ${shopId}`);
  const shop: BackfillShop = { id: found.id, platform: found.platform, domain: found.domain };
  const claimedAt = now();
  const record = await claimBackfill(deps.sql, shopId, claimedAt, new Date(claimedAt.getTime() - (deps.abandonedAfterMs ?? 15 * 60_000)));
  if (!record) throw new LockstepError("backfill_running", `a backfill of ${shop.domain} is already running`);
  return { record, finished: copyCatalog(deps, shop, record) };
}

/** Runs a whole backfill and returns its final row (the script and tests). */
export async function runBackfill(deps: BackfillDeps, shopId: string): Promise<BackfillRecord> {
  return (await beginBackfill(deps, shopId)).finished;
}

async function copyCatalog(deps: BackfillDeps, shop: BackfillShop, claimed: BackfillRecord): Promise<BackfillRecord> {
  const now = deps.now ?? (() => new Date());
  const run = { shopId: shop.id, startedAt: claimed.startedAt };
  // Everything read is at least as new as the moment before the first request: levels a webhook
  // changed after it keep the webhook's numbers.
  const readAt = claimed.readAt ?? claimed.startedAt;
  const limit = deps.batchSize ?? 500;
  let changedStock = false;
  // Every transaction checks ownership first: a run another one took over (it looked dead) must not write its older reading.
  const owned = async (tx: SqlRunner, batch: CatalogBatch) => {
    if (!(await recordBackfillBatch(tx, run, batch, now()))) {
      throw new LockstepError("backfill_taken_over", `another backfill of ${shop.domain} took over`);
    }
  };
  let touchedAt = claimed.startedAt.getTime();
  const keepAlive = async () => {
    const at = now();
    // A minute apart at most: enough against the abandonment time, few writes while a bulk operation runs.
    if (at.getTime() - touchedAt < 60_000) return;
    if (!(await touchBackfill(deps.sql, run, at))) throw new LockstepError("backfill_taken_over", `another backfill of ${shop.domain} took over`);
    touchedAt = at.getTime();
  };
  const write = async (batch: CatalogBatch) => {
    await deps.sql.transaction(async (tx) => {
      await owned(tx, batch);
      await writeCatalogBatch(tx, shop.id, readAt, batch);
      await captureChanges(tx, "backfill", changesOfBackfill(shop.id, readAt, batch));
    });
    changedStock = true;
    touchedAt = now().getTime();
  };
  try {
    let batch = emptyBatch();
    for await (const row of deps.catalogOf(shop, { keepAlive })) {
      addRow(batch, row);
      if (batchSize(batch) >= limit) {
        await write(batch);
        batch = emptyBatch();
      }
    }
    if (batchSize(batch) > 0) await write(batch);
    // Only a complete reading says what the platform no longer has.
    await deps.sql.transaction(async (tx) => {
      await owned(tx, emptyBatch());
      await retireUnlistedRows(tx, shop.id, readAt);
    });
    changedStock = true;
    await finishBackfill(deps.sql, run, { state: "done" }, now());
  } catch (error) {
    await finishBackfill(deps.sql, run, { state: "failed", error: describe(error) }, now()).catch(() => undefined);
  }
  // Batches written before a failure changed stock too. Should the invalidation fail, the cache's TTL still ends the old numbers.
  if (changedStock) await deps.invalidate(shop.id).catch(() => undefined);
  // `finished` must not reject (callers fire and forget it): a database that stopped answering is reported in the record.
  return getBackfill(deps.sql, shop.id).then(
    (record) => record ?? claimed,
    (error: unknown) => ({ ...claimed, state: "failed" as const, error: `the backfill's outcome could not be read: ${describe(error)}` }),
  );
}

/** The error as staff read it: code, message and the platform's own error code when it gave one. */
function describe(error: unknown): string {
  if (!(error instanceof LockstepError)) return error instanceof Error ? error.message : String(error);
  const platformCode = (error.details as { errorCode?: unknown } | undefined)?.errorCode;
  return `${error.code}: ${error.message}${typeof platformCode === "string" ? ` (${platformCode})` : ""}`;
}

export interface PlatformAccess {
  /** The BigCommerce store's API token (sealed on the shop by the install callback). */
  bigCommerceTokenOf?: (storeHash: string) => Promise<string | undefined>;
  shopify?: ShopifyCatalogOptions;
}

/**
 * What a running Lockstep process backfills with: the shop's throttled platform client (a Shopify
 * shop's offline session token), the process's database and its availability cache.
 */
export function backfillDepsFor(context: AppContext, access: PlatformAccess = {}): BackfillDeps {
  const sql = context.db.sql;
  return {
    sql,
    invalidate: (shopId) => context.stock.availability.invalidate(shopId, null),
    catalogOf: (shop, run) => catalogFromPlatform(shop, run, {
      shopifyClient: async (domain) => {
        const token = await shopifyOfflineToken(sql, context.config.encryptionKey, domain);
        if (!token) throw new LockstepError("no_access_token", `no offline session for ${domain}: install the app again`);
        return context.platforms.shopifyAdminClientFor(domain, token);
      },
      bigCommerceClient: async (storeHash) => {
        const token = await access.bigCommerceTokenOf?.(storeHash);
        if (!token) throw new LockstepError("no_access_token", `no API token for BigCommerce store ${storeHash}`);
        return context.platforms.bigCommerceClientFor(storeHash, token);
      },
      shopify: access.shopify,
      metafields: async () => (await context.mappedMetafields?.(shop.id)) ?? [],
    }),
  };
}

/** The catalog reader of the shop's platform; the client is made only once the reading starts. */
export async function* catalogFromPlatform(
  shop: BackfillShop,
  run: { keepAlive: () => Promise<void> },
  clients: {
    shopifyClient: (domain: string) => Promise<Parameters<typeof readShopifyCatalog>[0]>;
    bigCommerceClient: (storeHash: string) => Promise<Parameters<typeof readBigCommerceCatalog>[0]>;
    shopify?: ShopifyCatalogOptions;
    /** The product metafields the shop's feed mappings name (read along on Shopify). */
    metafields?: () => Promise<string[]>;
  },
): AsyncGenerator<CatalogRow> {
  if (shop.platform === "shopify") {
    const clock = clients.shopify?.clock ?? systemClock;
    // Every wait between two looks at the bulk operations shows the run is alive.
    const keepingAlive = { now: () => clock.now(), sleep: async (ms: number) => (await run.keepAlive(), clock.sleep(ms)) };
    const metafields = (await clients.metafields?.()) ?? clients.shopify?.metafields;
    yield* readShopifyCatalog(await clients.shopifyClient(shop.domain), { ...clients.shopify, clock: keepingAlive, metafields });
  } else {
    yield* readBigCommerceCatalog(await clients.bigCommerceClient(storeHashOf(shop)));
  }
}

/**
 * Starts the initial backfill of a shop in this process (after install, or from the admin):
 * resolves with the claimed row once it runs; 409 when a backfill of the shop is running.
 */
export async function startBackfill(
  context: AppContext,
  shopId: string,
  access: PlatformAccess = { bigCommerceTokenOf: bigCommerceTokenOf({ prisma: context.db.prisma, config: context.config }) },
): Promise<StartedBackfill> {
  return beginBackfill(backfillDepsFor(context, access), shopId);
}
