import type Bottleneck from "bottleneck";
import { type LimiterRegistry } from "../../outbound/limiterRegistry.server";
import { perRegistry } from "../../outbound/perRegistry";

/** `extensions.cost.throttleStatus` of every Admin API answer. */
export interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  restoreRate: number;
}

export interface QueryCost {
  requestedQueryCost: number;
  actualQueryCost: number | null;
  throttleStatus: ThrottleStatus;
}

// Until the first answer tells us the real bucket, one request at a time (see `admit`) with the
// largest single-query cost Shopify allows, restored at the smallest plan's rate.
const MAX_SINGLE_QUERY_COST = 1_000;
const SMALLEST_RESTORE_RATE = 100;

/**
 * Keeps one shop's requests inside its cost bucket. Each request takes its estimated cost from a
 * Bottleneck reservoir (shared through Redis when clustered) that refills at the shop's restore
 * rate; each answer gives back what Shopify did not charge and caps the reservoir at what
 * Shopify says is left, minus what is still in flight, minus one refill interval of restore (so
 * the refill cannot count points Shopify has not restored yet). The bucket size and restore rate
 * are read from the answers, never assumed.
 */
export class ShopifyCostBudget {
  readonly limiter: Bottleneck;
  private status?: ThrottleStatus;
  private probe?: Promise<void>;
  /** Cost of this process's requests that got their answer and are still inside `sync`. */
  private answeredWeight = 0;
  private readonly registry: LimiterRegistry;

  constructor(registry: LimiterRegistry, shop: string) {
    this.registry = registry;
    this.limiter = registry.limiter(
      { kind: "shopify", id: shop },
      {
        // Weights are cost points, so concurrency is bounded by the bucket, not by a count.
        maxConcurrent: null,
        reservoir: MAX_SINGLE_QUERY_COST,
        refill: { perSecond: SMALLEST_RESTORE_RATE, maximum: MAX_SINGLE_QUERY_COST },
      },
    );
  }

  /** The bucket as last reported by Shopify, if any answer came back yet. */
  lastStatus(): ThrottleStatus | undefined {
    return this.status;
  }

  /**
   * Runs `request` once the bucket is known: the very first request of a shop in this process
   * goes alone, so a burst at start-up cannot overrun a bucket smaller than we guessed.
   */
  async admit<T>(request: () => Promise<T>): Promise<T> {
    while (!this.status && this.probe) await this.probe;
    if (this.status) return request();
    const running = request();
    const probe = running.then(
      () => undefined,
      () => undefined,
    );
    this.probe = probe;
    void probe.then(() => {
      if (this.probe === probe) this.probe = undefined;
    });
    return running;
  }

  /** A request costing more than the whole bucket could never run: refuse it up front. */
  largestAffordableCost(): number {
    return this.status ? this.status.maximumAvailable - this.margin(this.status) : MAX_SINGLE_QUERY_COST;
  }

  /** Milliseconds until `cost` points will have been restored from `status`. */
  static waitFor(cost: number, status: ThrottleStatus): number {
    if (status.restoreRate <= 0) return 1_000;
    return Math.ceil((Math.max(0, cost - status.currentlyAvailable) / status.restoreRate) * 1000);
  }

  /**
   * Called inside the job that got the answer, while its own weight still counts as running.
   * `actualCost` is what Shopify charged (null when the request was THROTTLED: nothing).
   */
  async sync(status: ThrottleStatus, ownWeight: number, actualCost: number | null): Promise<void> {
    this.answeredWeight += ownWeight;
    try {
      await this.applyStatus(status, ownWeight, actualCost);
    } finally {
      this.answeredWeight -= ownWeight;
    }
  }

  private async applyStatus(status: ThrottleStatus, ownWeight: number, actualCost: number | null): Promise<void> {
    const margin = this.margin(status);
    const changed =
      this.status === undefined || this.status.maximumAvailable !== status.maximumAvailable || this.status.restoreRate !== status.restoreRate;
    this.status = status;
    if (changed) await this.registry.setRefill(this.limiter, { perSecond: status.restoreRate, maximum: Math.max(0, status.maximumAvailable - margin) });
    await this.registry.settleRefill(this.limiter);
    const [running, reservoir] = await Promise.all([this.limiter.running(), this.limiter.currentReservoir()]);
    const current = reservoir ?? 0;
    // Requests still waiting for their answer; those answered (this one included) are already
    // paid for in `currentlyAvailable`.
    const othersInFlight = Math.max(0, running - this.answeredWeight);
    const bound = Math.floor(status.currentlyAvailable - othersInFlight - margin);
    // We took our estimate; Shopify charged the actual cost (nothing when throttled): the
    // difference comes back.
    let target = current + ownWeight - (actualCost ?? 0);
    // Never believe in more than Shopify says is there. Answers can be processed out of order, so
    // an older (higher) figure cannot raise the reservoir; only when this is the one answer in hand
    // and nothing else is in flight is the figure exact, and the reservoir may rise to it. Not when
    // clustered: another process's request may have been charged after this figure and be done
    // (and Redis credits the restore exactly, so there is no drift to catch up).
    const exact = !this.registry.clustered && othersInFlight === 0 && this.answeredWeight === ownWeight;
    if (target > bound || exact) target = bound;
    // Adjusting by a difference (not setting a value) stays right if a job starts meanwhile.
    const delta = Math.max(0, target) - current;
    if (delta !== 0) await this.limiter.incrementReservoir(delta);
  }

  // The refill credits restore by elapsed time; right after a sync it may credit up to one
  // interval that Shopify's figure already included, so that much is kept in hand.
  private margin(status: ThrottleStatus): number {
    return Math.ceil((status.restoreRate * this.registry.refillIntervalMs) / 1000);
  }
}

const budgets = perRegistry<ShopifyCostBudget>();

/** The one budget of a shop in this process (its state is shared with other processes via Redis). */
export function shopifyCostBudget(registry: LimiterRegistry, shop: string): ShopifyCostBudget {
  const byShop = budgets(registry);
  let budget = byShop.get(shop);
  if (!budget) {
    budget = new ShopifyCostBudget(registry, shop);
    byShop.set(shop, budget);
  }
  return budget;
}
