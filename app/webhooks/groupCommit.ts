/** Thrown by `submit` when the group commit already holds as much as it may: the caller should answer "retry later". */
export class GroupCommitFull extends Error {
  constructor() {
    super("too many items waiting to be written");
    this.name = "GroupCommitFull";
  }
}

interface Entry<Item, Result> {
  item: Item;
  weight: number;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: items submitted while a flush is being prepared or is in flight are written
 * together by the next flush, so N concurrent deliveries cost one statement and one commit
 * instead of N. Every submitter is answered only when the flush that carried its item resolved.
 * What it holds (waiting or being written) is bounded; an item whose submitter gave up before
 * its flush started is dropped, never written.
 */
export class GroupCommit<Item, Result> {
  private waiting: Array<Entry<Item, Result>> = [];
  private inFlight = 0;
  private scheduled = false;
  private held = 0;
  private heldWeight = 0;

  constructor(
    private readonly flush: (items: Item[]) => Promise<Result[]>,
    private readonly options: {
      maxBatch: number;
      maxInFlight: number;
      /** Size of one item (e.g. its bytes) and the most one batch may carry; a single item always goes. */
      weigh?: (item: Item) => number;
      maxWeight?: number;
      /** Items held at once, waiting or being written; beyond that `submit` throws GroupCommitFull. */
      maxHeld?: number;
      /** Their total weight at once (the memory they take); a single item is always taken when nothing is held. */
      maxHeldWeight?: number;
    },
  ) {}

  /** Items held now, waiting or being written. */
  get size(): number {
    return this.held;
  }

  /** Resolves with the item's result once written; `signal` aborted while the item still waits drops it unwritten. */
  submit(item: Item, signal?: AbortSignal): Promise<Result> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const weight = this.options.weigh?.(item) ?? 0;
    const { maxHeld = Infinity, maxHeldWeight = Infinity } = this.options;
    if (this.held >= maxHeld || (this.held > 0 && this.heldWeight + weight > maxHeldWeight)) return Promise.reject(new GroupCommitFull());
    this.held += 1;
    this.heldWeight += weight;
    return new Promise((resolve, reject) => {
      const entry: Entry<Item, Result> = { item, weight, resolve, reject };
      if (signal) {
        const giveUp = () => {
          const index = this.waiting.indexOf(entry);
          // Still waiting: it leaves the queue. Already being written: the write goes on, the caller stops waiting.
          if (index !== -1) {
            this.waiting.splice(index, 1);
            this.release(entry);
          }
          reject(signal.reason);
        };
        signal.addEventListener("abort", giveUp, { once: true });
        entry.resolve = (result) => {
          signal.removeEventListener("abort", giveUp);
          resolve(result);
        };
        entry.reject = (error) => {
          signal.removeEventListener("abort", giveUp);
          reject(error);
        };
      }
      this.waiting.push(entry);
      this.schedule();
    });
  }

  private release(entry: Entry<Item, Result>): void {
    this.held -= 1;
    this.heldWeight -= entry.weight;
  }

  private schedule(): void {
    if (this.scheduled || this.waiting.length === 0 || this.inFlight >= this.options.maxInFlight) return;
    this.scheduled = true;
    // One turn of the event loop: every request whose body arrived in this turn joins the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.run();
    });
  }

  private batchLength(): number {
    const { weigh, maxWeight = Infinity, maxBatch } = this.options;
    if (!weigh) return maxBatch;
    let weight = 0;
    let length = 0;
    while (length < Math.min(maxBatch, this.waiting.length)) {
      weight += this.waiting[length]!.weight;
      if (length > 0 && weight > maxWeight) break;
      length += 1;
    }
    return length;
  }

  private run(): void {
    while (this.waiting.length > 0 && this.inFlight < this.options.maxInFlight) {
      const batch = this.waiting.splice(0, this.batchLength());
      this.inFlight += 1;
      this.flush(batch.map((entry) => entry.item)).then(
        (results) => batch.forEach((entry, i) => entry.resolve(results[i]!)),
        (error: unknown) => batch.forEach((entry) => entry.reject(error)),
      ).finally(() => {
        this.inFlight -= 1;
        for (const entry of batch) this.release(entry);
        this.schedule();
      });
    }
  }
}
