import { captureChanges, type AppliedChange } from "../batching/capture.server";
import type { Sql } from "../db/database.server";
import { log } from "../observability/log.server";
import { activationTargets, type ActivationTarget } from "./sql/activationTargets";
import { applyActivatedPrices } from "./sql/applyActivatedPrices";
import { claimActivations } from "./sql/claimActivations";
import { completeActivations } from "./sql/completeActivations";
import { failActivations } from "./sql/failActivations";
import { nextActivationDue } from "./sql/nextActivationDue";
import { releaseActivations } from "./sql/releaseActivations";
import { startActivationPushes } from "./sql/startActivationPushes";
import { versionsStillCurrent } from "./sql/versionsStillCurrent";
import { DEFAULT_LIST, formatAmount } from "./versions.server";

/** One item's price as the store takes it. */
export interface StorePrice {
  variantExternalId: string;
  productExternalId: string;
  amount: string;
  compareAt: string | null;
}

/**
 * Sets prices on a shop's store (absolute values: pushing the same price twice changes nothing).
 * Resolves when the store accepted all of them; throws to have them retried.
 */
export type PushStorePrices = (shopId: string, platform: ActivationTarget["platform"], prices: StorePrice[]) => Promise<void>;

/** One item's price on a store's price list (BigCommerce price list records). */
export interface ListPrice {
  variantExternalId: string;
  amount: string;
  currency: string;
  compareAt: string | null;
}

/** Sets records of a platform price list (absolute values); resolves when the store accepted all of them. */
export type PushListPrices = (shopId: string, priceListId: number, prices: ListPrice[]) => Promise<void>;

export interface PriceActivatorOptions {
  sql: Sql;
  workerId: string;
  push: PushStorePrices;
  /** Named lists mapped to a BigCommerce price list (price_list_target) are pushed with this; other named lists are only recorded (`list_only`). */
  pushList?: PushListPrices;
  /** How long a claim is this worker's: a worker that dies holding rows loses them after this. */
  leaseMs?: number;
  batchSize?: number;
  maxAttempts?: number;
  /** The longest sleep between looks for due rows (a version planned elsewhere is seen within it). */
  pollMs?: number;
  /**
   * Rows due within this long are claimed and prepared (targets read, skips recorded) before their
   * boundary; the worker pushes them at the boundary. Keep it well under `leaseMs`.
   */
  prepareAheadMs?: number;
  /** Batches one worker carries at once (a batch waits on the store while the next is claimed and recorded). */
  concurrency?: number;
  now?: () => Date;
  /**
   * Told of every activation recorded done (planned `validFrom` → `appliedAt` at the store): the
   * process wires it to the "prices" latency roll-ups (stage `applied`), which the dashboard and the
   * "price activation lag" objective read.
   */
  onApplied?: (applied: Array<{ shopId: string; validFrom: Date; appliedAt: Date }>) => void;
}

export interface PriceActivator {
  /** Claims one batch of activations due (or due within `prepareAheadMs`) and carries it out at its time; the number claimed. */
  runOnce(): Promise<number>;
  /** Runs batches while rows are due, sleeping until the next one is due (at most `pollMs`). */
  start(): () => Promise<void>;
}

/**
 * Activation exactly once, on time: at a version's valid_from, one worker (of however many
 * processes) leases its activation row, pushes the price to the store through the shop's throttled
 * client, and in one transaction moves the catalog row, captures the change for every delayed
 * destination (the pipeline's outbox) and records the activation done with its lag. Right before
 * a push, one statement keeps only the rows this worker still holds with its lease running
 * (`startActivationPushes`): a worker killed while holding prepared rows never pushes them (another
 * does, once, after the lease), and one that stalled past its lease pushes nothing. A worker that
 * dies mid-push loses the rows after its lease and another pushes again (an absolute price: the
 * same result; `pushes` counts it); a worker whose lease ran out records nothing. A version superseded or replaced before
 * its turn is recorded skipped: the version that holds now has its own activation.
 *
 * So that the push is bound by the store's limit rather than the database, rows due within
 * `prepareAheadMs` are claimed and read before their boundary (and checked again at it: one
 * primary-key read), and each worker keeps `concurrency` batches in flight. A worker stopped while
 * waiting for a boundary hands its prepared rows back at once.
 */
export function createPriceActivator(options: PriceActivatorOptions): PriceActivator {
  const { sql, workerId, push } = options;
  const leaseMs = options.leaseMs ?? 60_000;
  const batchSize = options.batchSize ?? 1_000;
  const maxAttempts = options.maxAttempts ?? 10;
  const pollMs = options.pollMs ?? 1_000;
  const prepareAheadMs = Math.min(options.prepareAheadMs ?? 2_000, leaseMs / 4);
  const concurrency = Math.max(1, options.concurrency ?? 2);
  const now = options.now ?? (() => new Date());
  let stopping = false;
  const wakers = new Set<() => void>();

  /** Sleeps until `at` (epoch ms); false when the worker is stopping. */
  function sleepUntil(at: number, cap = Infinity): Promise<boolean> {
    if (stopping) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const done = (woke: boolean) => {
        clearTimeout(timer);
        wakers.delete(wake);
        resolve(woke);
      };
      const wake = () => done(false);
      const timer = setTimeout(() => done(true), Math.max(0, Math.min(cap, at - Date.now())));
      wakers.add(wake);
    });
  }

  async function runOnce(): Promise<number> {
    const claimed = await claimActivations(sql, workerId, batchSize, leaseMs, stopping ? 0 : prepareAheadMs);
    if (claimed.length === 0) return 0;
    const targets = await activationTargets(sql, claimed.map((row) => row.id));
    await complete([], targets.filter((target) => !target.current), null);
    const byDue = new Map<number, ActivationTarget[]>();
    for (const target of targets) if (target.current) pushTo(byDue, new Date(target.runAt).getTime(), target);
    const dues = [...byDue.keys()].sort((a, b) => a - b);
    for (const [index, due] of dues.entries()) {
      let group = byDue.get(due)!;
      if (due > Date.now()) {
        if (!(await sleepUntil(due))) {
          const unpushed = dues.slice(index).flatMap((later) => byDue.get(later)!.map((target) => target.activationId));
          await releaseActivations(sql, workerId, unpushed);
          break;
        }
        // Prepared ahead: a version superseded meanwhile (a cancelled sale, a re-planned end) is skipped.
        const still = await versionsStillCurrent(sql, group.map((target) => target.versionId));
        await complete([], group.filter((target) => !still.has(target.versionId)), null);
        group = group.filter((target) => still.has(target.versionId));
      }
      await pushAndComplete(group);
    }
    return claimed.length;
  }

  async function pushAndComplete(claimed: ActivationTarget[]): Promise<void> {
    // Only rows still ours, lease running, are pushed: a worker that stalled past its lease pushes nothing.
    const held = await startActivationPushes(sql, workerId, claimed.map((target) => target.activationId), leaseMs);
    const targets = claimed.filter((target) => held.has(target.activationId));
    if (targets.length < claimed.length) log.warn("price activation: lease ran out before the push; another worker has these rows", { workerId, count: claimed.length - targets.length });
    const byShop = new Map<string, ActivationTarget[]>();
    for (const target of targets) pushTo(byShop, target.shopId, target);
    await Promise.all(
      [...byShop.values()].map(async (shopTargets) => {
        const storeList = shopTargets.filter((target) => target.list === DEFAULT_LIST);
        const byPriceList = new Map<number, ActivationTarget[]>();
        for (const target of shopTargets) if (pushesToPriceList(target)) pushTo(byPriceList, target.bigCommercePriceListId!, target);
        try {
          await Promise.all([
            storeList.length > 0 ? push(shopTargets[0]!.shopId, shopTargets[0]!.platform, storeList.map(storePrice)) : undefined,
            ...[...byPriceList].map(([priceListId, listTargets]) => options.pushList!(shopTargets[0]!.shopId, priceListId, listTargets.map(listPrice))),
          ]);
        } catch (error) {
          log.warn("price activation: the store refused or could not be reached", { shopId: shopTargets[0]!.shopId, count: shopTargets.length, error: errorText(error) });
          await failActivations(sql, workerId, shopTargets.map((target) => target.activationId), errorText(error), maxAttempts);
          return;
        }
        await complete(shopTargets, [], now());
      }),
    );
  }

  async function complete(applied: ActivationTarget[], skipped: ActivationTarget[], appliedAt: Date | null): Promise<void> {
    if (applied.length === 0 && skipped.length === 0) return;
    const recorded = await sql.transaction(async (tx) => {
      // Recorded first: only what this worker records (its lease) moves the catalog and is captured, once.
      const recorded = new Set(
        await completeActivations(tx, workerId, [
          ...applied.map((target) => ({ id: target.activationId, outcome: outcomeOf(target), appliedAt, validFrom: target.validFrom })),
          ...skipped.map((target) => ({ id: target.activationId, outcome: "not_current", appliedAt: null, validFrom: target.validFrom })),
        ]),
      );
      const mine = applied.filter((target) => recorded.has(target.activationId));
      const storeList = mine.filter((target) => target.list === DEFAULT_LIST);
      const moved = await applyActivatedPrices(tx, storeList.map((target) => ({ variantId: target.variantId, amount: target.amount, validFrom: target.validFrom })));
      const validFrom = new Map(storeList.map((target) => [target.variantId, target.validFrom]));
      const changes: AppliedChange[] = [
        ...moved.map((row) => ({ shopId: row.shopId, kind: "price" as const, variantId: row.variantId, sourceVersion: new Date(row.sourceUpdatedAt), occurredAt: validFrom.get(row.variantId)! })),
        // A named list's price is not on the variant row: the change carries its list, and destinations on that list read it.
        ...mine
          .filter((target) => target.list !== DEFAULT_LIST)
          .map((target) => ({ shopId: target.shopId, kind: "price" as const, variantId: target.variantId, priceList: target.list, sourceVersion: new Date(target.validFrom), occurredAt: new Date(target.validFrom) })),
      ];
      await captureChanges(tx, "price_activation", changes);
      return recorded;
    });
    if (appliedAt && options.onApplied) {
      const observed = applied.filter((target) => recorded.has(target.activationId)).map((target) => ({ shopId: target.shopId, validFrom: new Date(target.validFrom), appliedAt }));
      if (observed.length > 0) options.onApplied(observed);
    }
  }

  function pushesToPriceList(target: ActivationTarget): boolean {
    return target.list !== DEFAULT_LIST && target.platform === "bigcommerce" && target.bigCommercePriceListId !== null && options.pushList !== undefined;
  }

  function outcomeOf(target: ActivationTarget): string {
    if (target.list === DEFAULT_LIST) return target.platform;
    return pushesToPriceList(target) ? "bigcommerce_price_list" : "list_only";
  }

  return {
    runOnce,
    start() {
      stopping = false;
      const lane = async () => {
        while (!stopping) {
          try {
            while (!stopping && (await runOnce()) > 0);
            if (stopping) break;
            const waitMs = await nextActivationDue(sql);
            // Wake early enough to prepare the next boundary's rows ahead of it.
            await sleepUntil(Date.now() + (waitMs === null ? pollMs : Math.max(10, Math.ceil(waitMs - prepareAheadMs))), pollMs);
          } catch (error) {
            log.warn("price activation: a round failed", { workerId, error: errorText(error) });
            await sleepUntil(Date.now() + pollMs);
          }
        }
      };
      const lanes = Promise.all(Array.from({ length: concurrency }, lane));
      return async () => {
        stopping = true;
        for (const wake of [...wakers]) wake();
        await lanes;
      };
    },
  };
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function listPrice(target: ActivationTarget): ListPrice {
  return { variantExternalId: target.variantExternalId, amount: formatAmount(target.amount), currency: target.currency, compareAt: formatAmount(target.compareAt) };
}

function storePrice(target: ActivationTarget): StorePrice {
  return { variantExternalId: target.variantExternalId, productExternalId: target.productExternalId, amount: formatAmount(target.amount), compareAt: formatAmount(target.compareAt) };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
