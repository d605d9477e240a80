import type { Sql, SqlRunner } from "../db/database.server";
import { log } from "../observability/log.server";
import type { AdapterRegistry } from "./adapters";
import { nextTick } from "./cadence";
import { loadDestination } from "./destinations.server";
import { canonicalJson, signManifest } from "./manifest";
import { reconcileRun, sameState } from "./reconcile.server";
import { claimDueDestination, type ClaimedDestination } from "./sql/claimDueDestination";
import { coalescedPages } from "./coalescedPages";
import { carryUnreadItems } from "./sql/carryUnreadItems";
import { coalesceChanges } from "./sql/coalesceChanges";
import { countChanges } from "./sql/countChanges";
import { countRunOutcomes } from "./sql/countRunOutcomes";
import { extendDestinationLease } from "./sql/extendDestinationLease";
import { findRun } from "./sql/findRun";
import { rollUpPushedLatency } from "../observability/sql/rollUpPushedLatency";
import { finishRun } from "./sql/finishRun";
import type { ItemRow } from "./sql/itemColumns";
import { lastAcceptedStates } from "./sql/lastAcceptedStates";
import { priorAttemptItems } from "./sql/priorAttemptItems";
import { pruneShadowOrderEvents } from "./sql/pruneShadowOrderEvents";
import { pruneSnapshots } from "./sql/pruneSnapshots";
import { readEveryItem } from "./sql/readEveryItem";
import { countRetryItems, readRetryItems } from "./sql/readRetryItems";
import { readRollbackItems } from "./sql/readRollbackItems";
import { recordRunItems, type RunItemRecord } from "./sql/recordRunItems";
import { releaseDestination } from "./sql/releaseDestination";
import { reportRunItems } from "./sql/reportRunItems";
import { startRun, type RunRow } from "./sql/startRun";
import { unsettledRunItems } from "./sql/unsettledRunItems";
import {
  type CatalogItem,
  type Destination,
  type DestinationAdapter,
  ITEM_KINDS_IN_ORDER,
  type ItemKind,
  type ItemOutcome,
  type ManifestCounts,
  type ManifestFile,
  type PublishRun,
  type PushedItem,
  type RunReason,
  type RunStatus,
  type SignedManifest,
} from "./types";

export interface PipelineDeps {
  sql: Sql;
  encryptionKey: string;
  adapters: AdapterRegistry;
  /** This process's name on the leases it takes. */
  owner: string;
  now?: () => Date;
  /** How long a lease lasts without renewal (renewed every third of it while a run goes on). */
  leaseMs?: number;
}

export interface RunOutcome {
  runId: string;
  destinationId: string;
  reason: RunReason;
  status: RunStatus;
  signed?: SignedManifest;
  variance?: number;
  error?: string;
}

const FIRST_VARIANT = "00000000-0000-0000-0000-000000000000";
/** Outcomes an attempt of a run records that later attempts of the run leave alone. */
const SETTLED_IN_RUN = new Set<ItemOutcome>(["accepted", "rejected", "skipped", "invalid"]);
const EPOCH = new Date(0).toISOString();

/**
 * Attempts of one run (its range resumed) before it closes anyway: its unsettled items are carried
 * in the destination's retry set, so a receiver that keeps failing a chunk cannot hold the watermark.
 */
export const MAX_RUN_ATTEMPTS = 5;

/** Why this destination runs now. Missed ticks after downtime are one catch-up run. */
function reasonOf(claimed: ClaimedDestination, now: Date): { reason: RunReason; rollbackOf: string | null; request: string | null } {
  const request = claimed.requestedRun;
  if (request === "sync_now" || request === "full") return { reason: request, rollbackOf: null, request };
  if (request?.startsWith("rollback:")) return { reason: "rollback", rollbackOf: request.slice("rollback:".length), request };
  if (claimed.nextRunAt && claimed.nextRunAt > now) return { reason: "threshold", rollbackOf: null, request: null };
  if (claimed.nextRunAt && nextTick(claimed.cadence, claimed.nextRunAt) <= now) return { reason: "catch_up", rollbackOf: null, request: null };
  return { reason: "schedule", rollbackOf: null, request: null };
}

/** Leases one due destination (or only `onlyId`) and runs it; undefined when none is due (or all are taken). */
export async function runDueDestination(deps: PipelineDeps, onlyId?: string): Promise<RunOutcome | undefined> {
  const now = deps.now ?? (() => new Date());
  const leaseMs = deps.leaseMs ?? 60_000;
  const claimed = await claimDueDestination(deps.sql, deps.owner, now(), leaseMs, onlyId);
  if (!claimed) return undefined;
  const why = reasonOf(claimed, now());
  const lost = new AbortController();
  const renew = setInterval(() => {
    extendDestinationLease(deps.sql, claimed.id, deps.owner, new Date(now().getTime() + leaseMs)).then(
      (kept) => {
        if (!kept) lost.abort(new Error("the run's lease was taken over"));
      },
      (error: unknown) => log.warn("destination lease renewal failed", { destinationId: claimed.id, error }),
    );
  }, leaseMs / 3);
  let handled: string | null = null;
  try {
    const outcome = await runDestination(deps, claimed.id, why.reason, why.rollbackOf, lost.signal);
    if (outcome.reason === why.reason) handled = why.request;
    return outcome;
  } finally {
    clearInterval(renew);
    if (!lost.signal.aborted) await releaseDestination(deps.sql, claimed.id, deps.owner, nextTick(claimed.cadence, now()), handled);
  }
}

/**
 * One run of one destination (the caller holds its lease): resumes the unfinished run or starts
 * one, publishes catalog, then prices, then stock, signs the manifest, moves the watermark,
 * reconciles, prunes old snapshots.
 */
export async function runDestination(deps: PipelineDeps, destinationId: string, reason: RunReason, rollbackOf: string | null, signal: AbortSignal): Promise<RunOutcome> {
  const now = deps.now ?? (() => new Date());
  const destination = await loadDestination(deps, destinationId);
  const adapter = deps.adapters.adapterFor(destination.kind);
  const run = await startRun(deps.sql, destination.id, reason, rollbackOf);
  const counts = { changesIn: 0, itemsAfterCoalescing: 0 };
  const files: ManifestFile[] = [];
  let error: string | undefined;
  const rolledBack = run.rollbackOf ? await findRun(deps.sql, destination.id, run.rollbackOf) : undefined;
  try {
    if (run.rollbackOf && !rolledBack) throw new Error(`run ${run.rollbackOf} of this destination is not a finished run`);
    for (const kind of ITEM_KINDS_IN_ORDER) {
      if (!destination.receives.includes(kind)) continue;
      const retrying = !rolledBack && (await countRetryItems(deps.sql, destination.id, kind)) > 0;
      const source = itemSource(deps.sql, destination, adapter, run, kind, rolledBack, retrying);
      if (isDelta(adapter, run, rolledBack)) counts.changesIn += await countChanges(deps.sql, { shopId: destination.shopId, kind, from: run.watermarkFrom, to: run.watermarkTo, priceList: destination.priceList });
      const published = await publishKind(deps, destination, adapter, run, kind, source, counts, signal);
      files.push(...published);
    }
  } catch (failure) {
    error = failure instanceof Error ? failure.message : String(failure);
    log.warn("destination run failed part-way: the next attempt resumes it", { destinationId, runId: run.id, error });
  }
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error("run stopped");
  // A run that failed part-way resumes its range; after MAX_RUN_ATTEMPTS (or when the receiver itself
  // asked to retry some items) it closes instead and its unsettled items join the retry set (finishRun.ts).
  const gaveUp = error !== undefined && run.attempts >= MAX_RUN_ATTEMPTS;
  if (gaveUp && !rolledBack) await settleBeforeClosing(deps, destination, adapter, run);

  const outcomes = await countRunOutcomes(deps.sql, run.id);
  const manifestCounts: ManifestCounts = {
    ...counts,
    sent: outcomes.accepted ?? 0,
    rejected: (outcomes.rejected ?? 0) + (outcomes.invalid ?? 0),
    failed: (outcomes.sent ?? 0) + (outcomes.to_retry ?? 0),
    shadowed: outcomes.shadow ?? 0,
  };
  const status: RunStatus = error && !gaveUp ? "failed" : manifestCounts.rejected > 0 || manifestCounts.failed > 0 ? "partial" : "succeeded";
  const signed =
    status === "failed"
      ? undefined
      : signManifest(
          {
            runId: run.id,
            destinationId: destination.id,
            shopId: destination.shopId,
            kindOfDestination: destination.kind,
            mode: destination.mode,
            reason: run.reason,
            watermark: { from: run.watermarkFrom, to: run.watermarkTo },
            counts: manifestCounts,
            files,
            createdAt: now().toISOString(),
          },
          destination.signingSecret,
        );
  if (signed && destination.mode === "live" && adapter.publishManifest) {
    try {
      await adapter.publishManifest(publishRunOf(deps, destination, run, ITEM_KINDS_IN_ORDER[0]!, signal, new Map()), signed);
    } catch (failure) {
      error = `manifest not delivered: ${failure instanceof Error ? failure.message : String(failure)}`;
    }
  }
  const finalStatus: RunStatus = error && !gaveUp ? "failed" : status;
  await finishRun(deps.sql, run.id, {
    status: finalStatus,
    counts: manifestCounts,
    files,
    signed,
    error,
    finishedAt: now(),
    moveWatermark: finalStatus !== "failed" && run.reason !== "rollback",
    handledRequest: requestOf(run),
  });
  const outcome: RunOutcome = { runId: run.id, destinationId: destination.id, reason: run.reason, status: finalStatus, signed, error };
  if (finalStatus !== "failed" && destination.mode === "live") {
    await rollUpPushedLatency(deps.sql, run.id).catch((failure: unknown) => log.warn("pushed latency roll-up failed", { runId: run.id, error: failure }));
  }
  if (finalStatus !== "failed") {
    outcome.variance = await reconcileRun(deps.sql, destination, adapter, run.id).catch((failure: unknown) => {
      log.warn("reconciliation could not read the destination back", { destinationId, runId: run.id, error: failure });
      return undefined;
    });
  }
  await pruneSnapshots(deps.sql, destination.id, now());
  await pruneShadowOrderEvents(deps.sql, destination.id, now());
  log.info("destination run finished", { destinationId, destination: destination.name, runId: run.id, status: finalStatus, manifest: signed?.manifest, signature: signed?.signature, variance: outcome.variance, error });
  return outcome;
}

/**
 * Before a run closes with its range unfinished (it gave up after its attempts), so that moving the
 * watermark loses nothing and the retry set owes nothing twice:
 * - items it sent without a known answer (a lost answer, a timeout) that the receiver's read-back shows
 *   it holds in the state and version sent are settled as accepted: sent again by a later run, under
 *   that run's idempotency key, the receiver would apply them twice (the chaos run's "pushed twice");
 * - items of its range it never reached (each attempt stopped before them) join the retry set
 *   (`carryUnreadItems`; the chaos run's "not pushed").
 * A read-back that fails leaves the items unsettled: sent again, at least once.
 */
async function settleBeforeClosing(deps: PipelineDeps, destination: Destination, adapter: DestinationAdapter, run: RunRow): Promise<void> {
  const full = !isDelta(adapter, run, undefined);
  for (const kind of ITEM_KINDS_IN_ORDER) {
    if (!destination.receives.includes(kind)) continue;
    if (destination.mode === "live") {
      try {
        await settleHeldByReadBack(deps.sql, destination, adapter, run, kind);
      } catch (failure) {
        log.warn("read-back before closing a run failed: its unanswered items stay owed", { destinationId: destination.id, runId: run.id, kind, error: failure });
      }
    }
    // A snapshot kind rebuilds every item on its next run: nothing to carry.
    if (adapter.delivery === "snapshot") continue;
    const carried = await carryUnreadItems(deps.sql, { id: run.id, destinationId: destination.id, shopId: destination.shopId, from: run.watermarkFrom, to: run.watermarkTo }, kind, {
      full,
      priceList: destination.priceList ?? "default",
    });
    if (carried > 0) log.info("items a closing run never reached carried to the retry set", { destinationId: destination.id, runId: run.id, kind, carried });
  }
}

async function settleHeldByReadBack(sql: SqlRunner, destination: Destination, adapter: DestinationAdapter, run: RunRow, kind: ItemKind): Promise<void> {
  for (let after = FIRST_VARIANT; ; ) {
    const page = await unsettledRunItems(sql, run.id, kind, after, 500);
    if (page.length === 0) return;
    after = page[page.length - 1]!.variantId;
    const held = new Map((await adapter.readBack(destination, kind, page.map((row) => row.state.sku))).map((entry) => [entry.sku, entry]));
    const settled = page.flatMap((row) => {
      const holds = held.get(row.state.sku);
      if (!holds || !sameState(adapter.stateOf(row.state), holds.state) || (holds.version !== undefined && holds.version !== row.state.version)) return [];
      return [{ kind, variantId: row.variantId, outcome: "accepted" as const, reason: "held by the receiver (read back before the run closed)" }];
    });
    await reportRunItems(sql, run.id, settled);
  }
}

/** The staff request a run answers (`full`, `sync_now`, `rollback:<run id>`), null for scheduled runs. */
function requestOf(run: RunRow): string | null {
  if (run.reason === "full" || run.reason === "sync_now") return run.reason;
  return run.reason === "rollback" && run.rollbackOf ? `rollback:${run.rollbackOf}` : null;
}

/** A run that sends the coalesced changes of its range (not every item, not a rolled-back run's states). */
function isDelta(adapter: DestinationAdapter, run: RunRow, rolledBack: unknown): boolean {
  return !rolledBack && run.reason !== "full" && adapter.delivery !== "snapshot";
}

/** One of a run's items: the item to publish, or (rollbacks) why the item is left alone. */
type SourceRow = { variantId: string; sku: string | null; changes: number; item?: PushedItem; skipReason?: string };

/** A run's items of one kind, pages of at most `limit` in variant order. */
type ItemSource = (limit: number) => AsyncIterable<SourceRow[]>;

/** Pages read one after another, each after the last variant of the one before. */
async function* pagesAfter(read: (after: string) => Promise<SourceRow[]>): AsyncGenerator<SourceRow[]> {
  let after = FIRST_VARIANT;
  for (;;) {
    const rows = await read(after);
    if (rows.length === 0) return;
    yield rows;
    after = rows[rows.length - 1]!.variantId;
  }
}

/** Where a run's items of one kind come from: the coalesced delta, every item, or a rolled-back run's earlier states. */
function itemSource(
  sql: SqlRunner,
  destination: Destination,
  adapter: DestinationAdapter,
  run: RunRow,
  kind: ItemKind,
  rolledBack: (RunRow & { shopId: string }) | undefined,
  retrying: boolean,
): ItemSource {
  const currency = typeof destination.options.currency === "string" ? destination.options.currency : "USD";
  const toItems = (rows: ItemRow[]): SourceRow[] =>
    rows.map((row) =>
      row.sku === null
        ? { variantId: row.variantId, sku: null, changes: row.changes, skipReason: "the variant no longer exists" }
        : { variantId: row.variantId, sku: row.sku, changes: row.changes, item: pushedItemOf(destination.shopId, kind, currency, row) },
    );
  if (rolledBack) {
    return (limit) =>
      pagesAfter(
        async (after) =>
          (await readRollbackItems(sql, { runId: rolledBack.id, shopId: rolledBack.shopId, watermarkTo: rolledBack.watermarkTo }, kind, after, limit)).map((row) => ({
            variantId: row.variantId,
            sku: row.sku,
            changes: 0,
            item: row.changedSince || !row.previous ? undefined : row.previous,
            skipReason: row.changedSince ? `changed since run ${rolledBack.id}: the newer state stays` : row.previous ? undefined : `no state before run ${rolledBack.id} to go back to`,
          })),
      );
  }
  // A destination on a named price list (options.priceList) gets that list's prices, not the store's.
  const priceList = destination.priceList ?? "default";
  if (!isDelta(adapter, run, rolledBack)) return (limit) => pagesAfter(async (after) => toItems(await readEveryItem(sql, destination.shopId, kind, after, limit, priceList)));
  const range = { shopId: destination.shopId, kind, from: run.watermarkFrom, to: run.watermarkTo, priceList };
  // A files kind's pages are only its file's rows: several are read at once, cut by their keys.
  if (!retrying && adapter.readPageSize !== undefined) {
    return async function* (limit) {
      for await (const rows of coalescedPages(sql, range, limit)) yield toItems(rows);
    };
  }
  const delta = (after: string, limit: number) => coalesceChanges(sql, range, after, limit);
  if (!retrying) return (limit) => pagesAfter(async (after) => toItems(await delta(after, limit)));
  // Items earlier runs left unsettled go again, merged into the delta in variant order (once each).
  return (limit) => pagesAfter(async (after) => toItems(mergeByVariant(await delta(after, limit), await readRetryItems(sql, destination.id, kind, after, limit, priceList), limit)));
}

/**
 * The first `limit` rows of two pages, each in variant order after the same cursor, one row per
 * variant (the delta's when both have it: the same current state, with its changes counted). The
 * last row is the next cursor: neither page holds an unseen row before it.
 */
export function mergeByVariant(delta: ItemRow[], retries: ItemRow[], limit: number): ItemRow[] {
  const merged: ItemRow[] = [];
  let i = 0;
  let j = 0;
  while (merged.length < limit && (i < delta.length || j < retries.length)) {
    const a = delta[i];
    const b = retries[j];
    if (b === undefined || (a !== undefined && a.variantId <= b.variantId)) {
      if (b !== undefined && a!.variantId === b.variantId) j++;
      merged.push(a!);
      i++;
    } else {
      merged.push(b);
      j++;
    }
  }
  return merged;
}

/** The item of a row with a sku: its variant exists, so every column its kind carries is set (hence the `!`). */
function pushedItemOf(shopId: string, kind: ItemKind, currency: string, row: ItemRow): PushedItem {
  const base = {
    shopId,
    sku: row.sku!,
    variantId: row.variantId,
    version: row.version ?? EPOCH,
    occurredAt: row.occurredAt ?? EPOCH,
    changeId: row.changeId,
  };
  switch (kind) {
    case "catalog":
      return {
        ...base,
        kind,
        productExternalId: row.productExternalId!,
        variantExternalId: row.variantExternalId!,
        title: row.title!,
        productTitle: row.productTitle!,
        status: row.status!,
        price: row.price!,
        currency,
        ...feedAttributesOf(row),
      };
    case "price":
      return { ...base, kind, price: row.price!, currency };
    case "stock":
      return { ...base, kind, available: row.available ?? 0, locations: row.locations ?? [] };
  }
}

/** The catalog attributes feeds need, only those the catalog has (absent, not null). */
function feedAttributesOf(row: ItemRow): Partial<CatalogItem> {
  const attributes: Partial<CatalogItem> = {};
  if (row.description !== null && row.description !== undefined) attributes.description = row.description;
  if (row.urlPath) attributes.link = row.urlPath;
  if (row.imageUrl) attributes.imageUrl = row.imageUrl;
  if (row.brand) attributes.brand = row.brand;
  if (row.gtin) attributes.gtin = row.gtin;
  if (row.mpn) attributes.mpn = row.mpn;
  if (row.condition) attributes.condition = row.condition;
  if (row.compareAtPrice) attributes.compareAtPrice = row.compareAtPrice;
  return attributes;
}

/**
 * A delta's items the destination already holds in this version and state (accepted by another
 * run) are recorded `skipped`, not sent again: a full run or a retry reads items' current state,
 * so it may have sent versions captured after its range, which the next delta covers. (The chaos
 * run found a resumed first full run's versions pushed twice.) Items this run already sent on an
 * earlier attempt go as they went, so its chunks keep their idempotency keys.
 */
async function skipHeldItems(
  sql: SqlRunner,
  destination: Destination,
  adapter: DestinationAdapter,
  run: RunRow,
  kind: ItemKind,
  items: PushedItem[],
  sentBefore: Set<string>,
  records: RunItemRecord[],
): Promise<PushedItem[]> {
  const held = await lastAcceptedStates(sql, destination.id, kind, run.id, items.flatMap((item) => (sentBefore.has(item.variantId) ? [] : [item.variantId])));
  if (held.size === 0) return items;
  return items.filter((item) => {
    const accepted = held.get(item.variantId);
    if (!accepted || accepted.state.version !== item.version || canonicalJson(adapter.stateOf(accepted.state)) !== canonicalJson(adapter.stateOf(item))) return true;
    records.push({ kind, variantId: item.variantId, sku: item.sku, outcome: "skipped", reason: `the destination already holds this version (run ${accepted.runId})` });
    return false;
  });
}

function publishRunOf(deps: PipelineDeps, destination: Destination, run: RunRow, kind: ItemKind, signal: AbortSignal, inFlight: Map<string, string>): PublishRun {
  return {
    runId: run.id,
    destination,
    kind,
    attempt: run.attempts,
    reason: run.reason,
    rollbackOf: run.rollbackOf,
    signal,
    now: deps.now ?? (() => new Date()),
    async report(results) {
      const known = results.flatMap((result) => {
        const variantId = inFlight.get(result.sku);
        if (!variantId) return [];
        inFlight.delete(result.sku);
        return [{ ...result, variantId }];
      });
      await reportRunItems(deps.sql, run.id, known);
    },
  };
}

/**
 * Streams one kind's items a page at a time (HTTP kinds send a page of the destination's batch
 * size as one request; files kinds read larger pages, `adapter.readPageSize`): validation rejects
 * are recorded, items a previous attempt settled are skipped, the rest is recorded with its state
 * and handed to the adapter — or, in shadow mode, only recorded.
 */
async function publishKind(
  deps: PipelineDeps,
  destination: Destination,
  adapter: DestinationAdapter,
  run: RunRow,
  kind: ItemKind,
  source: ItemSource,
  counts: { changesIn: number; itemsAfterCoalescing: number },
  signal: AbortSignal,
): Promise<ManifestFile[]> {
  const inFlight = new Map<string, string>();
  const pageSize = adapter.readPageSize ?? destination.limits.batchSize;
  async function* pages(): AsyncGenerator<PushedItem[]> {
    for await (const rows of source(pageSize)) {
      if (signal.aborted) return;
      let items = rows.flatMap((row) => (row.item ? [row.item] : []));
      if (adapter.prepare && run.reason !== "rollback" && items.length > 0) items = await adapter.prepare(items, destination);
      counts.changesIn += rows.reduce((sum, row) => sum + row.changes, 0);
      counts.itemsAfterCoalescing += run.reason === "rollback" ? rows.length : items.length;
      const records: RunItemRecord[] = rows.flatMap((row) =>
        row.skipReason && !row.item ? [{ kind, variantId: row.variantId, sku: row.sku ?? "", outcome: "skipped" as const, reason: row.skipReason }] : [],
      );
      const sentBefore = new Set<string>();
      // A snapshot kind rebuilds its whole file set on every attempt: nothing of an earlier one is skipped.
      if (run.attempts > 1 && adapter.delivery !== "snapshot") {
        // A resume skips what was settled and sends what went out unanswered exactly as it went. An item
        // an attempt skipped (held) or found invalid stays so, though it changed since (the change is
        // past the range: the next run's): sent now, it would join a chunk that went without it, under
        // another idempotency key, and the receiver would apply the rest of that chunk twice.
        const prior = await priorAttemptItems(deps.sql, run.id, kind, items.map((item) => item.variantId));
        items = items.flatMap((item) => {
          const earlier = prior.get(item.variantId);
          if (earlier && SETTLED_IN_RUN.has(earlier.outcome)) return [];
          if (earlier) sentBefore.add(item.variantId);
          return [earlier ? earlier.state : item];
        });
      }
      if (isDelta(adapter, run, run.rollbackOf)) items = await skipHeldItems(deps.sql, destination, adapter, run, kind, items, sentBefore, records);
      const valid: PushedItem[] = [];
      for (const item of items) {
        const reasons = adapter.validate(item, destination);
        const record = { kind, variantId: item.variantId, sku: item.sku, item };
        if (reasons.length > 0) records.push({ ...record, outcome: "invalid", reason: reasons.join("; ") });
        else {
          valid.push(item);
          records.push({ ...record, outcome: destination.mode === "live" ? "sent" : "shadow" });
        }
      }
      await recordRunItems(deps.sql, run.id, destination.id, records);
      if (destination.mode !== "live" || valid.length === 0) continue;
      for (const item of valid) inFlight.set(item.sku, item.variantId);
      yield valid;
    }
  }
  if (destination.mode !== "live") {
    for await (const page of pages()) void page;
    return [];
  }
  const result = await adapter.publish(publishRunOf(deps, destination, run, kind, signal, inFlight), pages());
  return result.files;
}
