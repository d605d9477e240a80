import { type Clock } from "../config/clock";

export interface TokenBucketSettings {
  capacity: number;
  refillPerSecond: number;
}

/**
 * A token (or, seen from the other side, leaky) bucket computed lazily from the clock: no timers.
 * Shopify's cost bucket is exactly this shape (maximumAvailable, restoreRate), and so is a
 * destination's "N per second with a burst of B"; the simulators use it to enforce limits.
 */
export class TokenBucket {
  private level: number;
  private updatedAt: number;

  constructor(
    private readonly settings: TokenBucketSettings,
    private readonly clock: Pick<Clock, "now">,
  ) {
    this.level = settings.capacity;
    this.updatedAt = clock.now();
  }

  available(): number {
    this.refill();
    return this.level;
  }

  get capacity(): number {
    return this.settings.capacity;
  }

  get refillPerSecond(): number {
    return this.settings.refillPerSecond;
  }

  /** Takes `amount` tokens if they are all there; returns whether it did. */
  tryTake(amount: number): boolean {
    this.refill();
    if (amount > this.level) return false;
    this.level -= amount;
    return true;
  }

  /** Gives back tokens taken for work that turned out cheaper (never above capacity). */
  refund(amount: number): void {
    this.refill();
    this.level = Math.min(this.settings.capacity, this.level + amount);
  }

  /** Milliseconds until `amount` tokens will be there (0 when they are). */
  waitFor(amount: number): number {
    this.refill();
    if (amount <= this.level) return 0;
    if (this.settings.refillPerSecond <= 0) return Number.POSITIVE_INFINITY;
    return Math.ceil(((amount - this.level) / this.settings.refillPerSecond) * 1000);
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.updatedAt) / 1000;
    this.level = Math.min(this.settings.capacity, this.level + elapsed * this.settings.refillPerSecond);
    this.updatedAt = now;
  }
}
