import { captureChanges, type AppliedChange } from "../batching/capture.server";
import type { Sql } from "../db/database.server";
import { log } from "../observability/log.server";
import { activationTargets, type ActivationTarget } from "./sql/activationTargets";
import { applyActivatedPrices } from "./sql/applyActivatedPrices";
import { claimActivations } from "./sql/claimActivations";
import { completeActivations } from "./sql/completeActivations";
import { failActivations } from "./sql/failActivations";
import { nextActivationDue } from "./sql/nextActivationDue";
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

export interface PriceActivatorOptions {
  sql: Sql;
  workerId: string;
  push: PushStorePrices;
  /** How long a claim is this worker's: a worker that dies holding rows loses them after this. */
  leaseMs?: number;
  batchSize?: number;
  maxAttempts?: number;
  /** The longest sleep between looks for due rows (a version planned elsewhere is seen within it). */
  pollMs?: number;
  now?: () => Date;
}

export interface PriceActivator {
  /** Claims one batch of due activations and carries it out; the number of activations claimed. */
  runOnce(): Promise<number>;
  /** Runs batches while rows are due, sleeping until the next one is due (at most `pollMs`). */
  start(): () => Promise<void>;
}

/**
 * Activation exactly once, on time: at a version's valid_from, one worker (of however many
 * processes) leases its activation row, pushes the price to the store through the shop's throttled
 * client, and in one transaction moves the catalog row, captures the change for every delayed
 * destination (the pipeline's outbox) and records the activation done with its lag. A worker that
 * dies before recording loses the lease and another pushes again (an absolute price: the same
 * result); a worker whose lease ran out records nothing. A version superseded or replaced before
 * its turn is recorded skipped: the version that holds now has its own activation.
 */
export function createPriceActivator(options: PriceActivatorOptions): PriceActivator {
  const { sql, workerId, push } = options;
  const leaseMs = options.leaseMs ?? 60_000;
  const batchSize = options.batchSize ?? 500;
  const maxAttempts = options.maxAttempts ?? 10;
  const pollMs = options.pollMs ?? 1_000;
  const now = options.now ?? (() => new Date());

  async function runOnce(): Promise<number> {
    const claimed = await claimActivations(sql, workerId, batchSize, leaseMs);
    if (claimed.length === 0) return 0;
    const targets = await activationTargets(sql, claimed.map((row) => row.id));
    const skipped = targets.filter((target) => !target.current);
    const byShop = new Map<string, ActivationTarget[]>();
    for (const target of targets.filter((candidate) => candidate.current)) byShop.set(target.shopId, [...(byShop.get(target.shopId) ?? []), target]);
    await complete([], skipped, null);
    await Promise.all(
      [...byShop.values()].map(async (shopTargets) => {
        const storeList = shopTargets.filter((target) => target.list === DEFAULT_LIST);
        try {
          if (storeList.length > 0) await push(shopTargets[0]!.shopId, shopTargets[0]!.platform, storeList.map(storePrice));
        } catch (error) {
          log.warn("price activation: the store refused or could not be reached", { shopId: shopTargets[0]!.shopId, count: shopTargets.length, error: errorText(error) });
          await failActivations(sql, workerId, shopTargets.map((target) => target.activationId), errorText(error), maxAttempts);
          return;
        }
        await complete(shopTargets, [], now());
      }),
    );
    return claimed.length;
  }

  async function complete(applied: ActivationTarget[], skipped: ActivationTarget[], appliedAt: Date | null): Promise<void> {
    if (applied.length === 0 && skipped.length === 0) return;
    await sql.transaction(async (tx) => {
      const storeList = applied.filter((target) => target.list === DEFAULT_LIST);
      const moved = await applyActivatedPrices(tx, storeList.map((target) => ({ variantId: target.variantId, amount: target.amount, validFrom: target.validFrom })));
      const validFrom = new Map(storeList.map((target) => [target.variantId, target.validFrom]));
      const changes: AppliedChange[] = moved.map((row) => ({
        shopId: applied[0]!.shopId,
        kind: "price",
        variantId: row.variantId,
        sourceVersion: new Date(row.sourceUpdatedAt),
        occurredAt: validFrom.get(row.variantId)!,
      }));
      await captureChanges(tx, "price_activation", changes);
      await completeActivations(tx, workerId, [
        ...applied.map((target) => ({ id: target.activationId, outcome: target.list === DEFAULT_LIST ? target.platform : "list_only", appliedAt })),
        ...skipped.map((target) => ({ id: target.activationId, outcome: "not_current", appliedAt: null })),
      ]);
    });
  }

  return {
    runOnce,
    start() {
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      let wake: (() => void) | undefined;
      const loop = (async () => {
        while (!stopped) {
          try {
            while (!stopped && (await runOnce()) > 0);
            const waitMs = await nextActivationDue(sql);
            await new Promise<void>((resolve) => {
              wake = resolve;
              timer = setTimeout(resolve, Math.min(pollMs, Math.max(1, Math.ceil(waitMs ?? pollMs))));
            });
          } catch (error) {
            log.warn("price activation: a round failed", { workerId, error: errorText(error) });
            await new Promise<void>((resolve) => {
              wake = resolve;
              timer = setTimeout(resolve, pollMs);
            });
          }
        }
      })();
      return async () => {
        stopped = true;
        clearTimeout(timer);
        wake?.();
        await loop;
      };
    },
  };
}

function storePrice(target: ActivationTarget): StorePrice {
  return { variantExternalId: target.variantExternalId, productExternalId: target.productExternalId, amount: formatAmount(target.amount), compareAt: formatAmount(target.compareAt) };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
