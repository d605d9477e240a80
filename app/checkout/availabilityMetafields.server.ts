import { type Availability, MAX_PAGE_SIZE } from "../availability/availability.server";
import type { SqlRunner } from "../db/database.server";
import type { InventoryPolicy } from "../inventory/policy";
import { type Clock, systemClock } from "../config/clock";
import { Coalescer } from "../outbound/coalescer";
import type { ShopifyAdminClient } from "../platforms/shopify/adminClient.server";
import { METAFIELDS_SET_LIMIT, type MetafieldsSetInput, type MetafieldsSetUserError, metafieldsSet } from "./documents/metafields";
import {
  AVAILABILITY_METAFIELD_KEY,
  LOCKSTEP_METAFIELD_NAMESPACE,
  METAFIELD_TYPE,
  availabilityMetafieldValue,
  productVariantGid,
} from "./metafields";
import { variantIdsBySku } from "./sql/variantIdsBySku";

export type SkippedReason = "unknown_sku" | "not_on_shopify" | "no_variant_id";

export interface MetafieldSyncResult {
  /** SKUs whose variant metafield now holds their availability. */
  written: string[];
  skipped: Array<{ sku: string; reason: SkippedReason }>;
  /** Not written (Shopify refused, or kept failing after the client's retries): the metafield holds an older value. */
  failed: Array<{ sku: string; message: string }>;
}

export interface AvailabilityMetafieldSyncDeps {
  sql: SqlRunner;
  availability: Pick<Availability, "bySku" | "page">;
  getPolicy(shopId: string): Promise<InventoryPolicy>;
  /** The shop's Admin API client (limited by the outbound layer), or undefined when it is not an installed Shopify shop. */
  adminClientFor(shopId: string): Promise<ShopifyAdminClient | undefined>;
  /** How long changes of one shop gather before they are written together (default 200 ms). */
  windowMs?: number;
  clock?: Pick<Clock, "sleep">;
  /** Items read per page by the full sync (default 250, the most the availability read serves). */
  pageSize?: number;
  /** Told about every write that left SKUs behind (log it; the next change or full sync repairs it). */
  onFailure?: (shopId: string, failed: MetafieldSyncResult["failed"]) => void;
}

export interface AvailabilityMetafieldSync {
  /**
   * Call after every change of these SKUs' availability (inventory update, reserve, release,
   * commit, expiry, bundle or policy change). Changes inside the window are written together;
   * each SKU once, with its availability read when the write starts. Resolves with what became
   * of these SKUs.
   */
  syncAvailabilityMetafields(shopId: string, skus: string[]): Promise<MetafieldSyncResult>;
  /** Every item of the shop (after install, a policy change, or periodically to repair failed writes). */
  syncAllAvailabilityMetafields(shopId: string): Promise<MetafieldSyncResult>;
  /** Shops with changes waiting for their window. */
  pendingShops(): number;
}

/**
 * Keeps the availability metafield of each Shopify variant current for the checkout Function.
 * Writes of one shop are serialised (through the outbound coalescer), so an older reading never
 * overwrites a newer one, and go out 25 metafields per `metafieldsSet` through the shop's Admin
 * client, which spends the shop's cost budget.
 */
export function createAvailabilityMetafieldSync(deps: AvailabilityMetafieldSyncDeps): AvailabilityMetafieldSync {
  const coalescer = new Coalescer<Set<string>, MetafieldSyncResult>({
    windowMs: deps.windowMs ?? 200,
    clock: deps.clock ?? systemClock,
    merge: (pending, next) => {
      for (const sku of next) pending.add(sku);
      return pending;
    },
    deliver: async (shopId, skus) => {
      const { result, written } = await writeAvailability(deps, shopId, [...skus]);
      if (result.failed.length > 0) deps.onFailure?.(shopId, result.failed);
      if (written.size > 0) await recheck(shopId, written);
      return result;
    },
  });

  // Another process may have written an older reading after ours (each process serialises only
  // its own writes). Reading again after writing closes that gap: whoever wrote last sees the
  // difference and writes the current value once more.
  const recheck = async (shopId: string, written: Map<string, string>): Promise<void> => {
    try {
      const current = await currentValues(deps, shopId, [...written.keys()]);
      const changed = [...written].filter(([sku, value]) => current.get(sku) !== value).map(([sku]) => sku);
      if (changed.length > 0) {
        coalescer.submit(shopId, new Set(changed)).catch((error: unknown) => {
          deps.onFailure?.(shopId, changed.map((sku) => ({ sku, message: error instanceof Error ? error.message : String(error) })));
        });
      }
    } catch (error) {
      deps.onFailure?.(shopId, [...written.keys()].map((sku) => ({ sku, message: `not checked after writing: ${error instanceof Error ? error.message : String(error)}` })));
    }
  };

  const submit = async (shopId: string, skus: string[]): Promise<MetafieldSyncResult> => {
    const asked = new Set(skus);
    if (asked.size === 0) return { written: [], skipped: [], failed: [] };
    const result = await coalescer.submit(shopId, new Set(asked));
    return {
      written: result.written.filter((sku) => asked.has(sku)),
      skipped: result.skipped.filter((entry) => asked.has(entry.sku)),
      failed: result.failed.filter((entry) => asked.has(entry.sku)),
    };
  };

  const syncAll = async (shopId: string): Promise<MetafieldSyncResult> => {
    const total: MetafieldSyncResult = { written: [], skipped: [], failed: [] };
    let cursor: string | undefined;
    do {
      const page = await deps.availability.page(shopId, { limit: deps.pageSize ?? MAX_PAGE_SIZE, ...(cursor ? { cursor } : {}) });
      // Through the same queue as single changes: a page read earlier never lands after a newer change.
      const result = await submit(shopId, page.items.map((item) => item.sku));
      total.written.push(...result.written);
      total.skipped.push(...result.skipped);
      total.failed.push(...result.failed);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return total;
  };

  // A full sync costs a call per 25 items. At most one runs per shop and one waits: callers
  // join the waiting one, which starts after the running one and so covers every change so far.
  const waitingFullSyncs = new Map<string, Promise<MetafieldSyncResult>>();
  const runningFullSyncs = new Map<string, Promise<MetafieldSyncResult>>();
  const syncAllOnce = (shopId: string): Promise<MetafieldSyncResult> => {
    const waiting = waitingFullSyncs.get(shopId);
    if (waiting) return waiting;
    const previous = runningFullSyncs.get(shopId);
    const next = (previous ?? Promise.resolve()).catch(() => undefined).then(() => {
      waitingFullSyncs.delete(shopId);
      return syncAll(shopId);
    });
    waitingFullSyncs.set(shopId, next);
    runningFullSyncs.set(shopId, next);
    const forget = () => {
      if (runningFullSyncs.get(shopId) === next) runningFullSyncs.delete(shopId);
    };
    next.then(forget, forget);
    return next;
  };

  return {
    syncAvailabilityMetafields: submit,
    syncAllAvailabilityMetafields: syncAllOnce,
    pendingShops: () => coalescer.pendingCount(),
  };
}

interface Entry {
  sku: string;
  input: MetafieldsSetInput;
}

/** The metafield value of each known SKU, as it would be written now. */
async function currentValues(deps: AvailabilityMetafieldSyncDeps, shopId: string, skus: string[]): Promise<Map<string, string>> {
  const [policy, items] = await Promise.all([deps.getPolicy(shopId), deps.availability.bySku(shopId, skus)]);
  return new Map(items.map((item) => [item.sku, JSON.stringify(availabilityMetafieldValue(item, policy))]));
}

async function writeAvailability(
  deps: AvailabilityMetafieldSyncDeps,
  shopId: string,
  skus: string[],
): Promise<{ result: MetafieldSyncResult; written: Map<string, string> }> {
  const result: MetafieldSyncResult = { written: [], skipped: [], failed: [] };
  const client = await deps.adminClientFor(shopId);
  if (!client) {
    result.skipped = skus.map((sku) => ({ sku, reason: "not_on_shopify" }));
    return { result, written: new Map() };
  }
  const [values, variantIds] = await Promise.all([currentValues(deps, shopId, skus), variantIdsBySku(deps.sql, shopId, skus)]);
  for (const sku of skus) if (!values.has(sku)) result.skipped.push({ sku, reason: "unknown_sku" });

  const entries: Entry[] = [];
  for (const [sku, value] of values) {
    const ownerId = productVariantGid(variantIds.get(sku) ?? "");
    if (!ownerId) {
      result.skipped.push({ sku, reason: "no_variant_id" });
      continue;
    }
    entries.push({ sku, input: { ownerId, namespace: LOCKSTEP_METAFIELD_NAMESPACE, key: AVAILABILITY_METAFIELD_KEY, type: METAFIELD_TYPE, value } });
  }

  for (let start = 0; start < entries.length; start += METAFIELDS_SET_LIMIT) {
    await writeChunk(client, entries.slice(start, start + METAFIELDS_SET_LIMIT), result, true);
  }
  const valueOf = new Map(entries.map((entry) => [entry.sku, entry.input.value]));
  return { result, written: new Map(result.written.map((sku) => [sku, valueOf.get(sku)!])) };
}

/**
 * One `metafieldsSet` call. Shopify saves all of its metafields or none, so when it refuses only
 * some of them the others are sent once more on their own.
 */
async function writeChunk(client: ShopifyAdminClient, chunk: Entry[], result: MetafieldSyncResult, retryOthers: boolean): Promise<void> {
  let userErrors: MetafieldsSetUserError[];
  try {
    const { data } = await client.request(metafieldsSet, { metafields: chunk.map((entry) => entry.input) });
    userErrors = data.metafieldsSet.userErrors;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    for (const entry of chunk) result.failed.push({ sku: entry.sku, message });
    return;
  }
  if (userErrors.length === 0) {
    for (const entry of chunk) result.written.push(entry.sku);
    return;
  }
  const refused = new Map<number, string>();
  for (const error of userErrors) {
    if (error.elementIndex === null) continue;
    refused.set(error.elementIndex, [refused.get(error.elementIndex), `${error.code ?? "ERROR"}: ${error.message}`].filter(Boolean).join("; "));
  }
  const others = chunk.filter((_entry, index) => !refused.has(index));
  chunk.forEach((entry, index) => {
    const message = refused.get(index);
    if (message !== undefined) result.failed.push({ sku: entry.sku, message });
  });
  if (refused.size === 0 || !retryOthers) {
    const reason = userErrors.map((error) => `${error.code ?? "ERROR"}: ${error.message}`).join("; ");
    for (const entry of others) result.failed.push({ sku: entry.sku, message: `not saved with the refused metafields of its call (${reason})` });
    return;
  }
  if (others.length > 0) await writeChunk(client, others, result, false);
}
