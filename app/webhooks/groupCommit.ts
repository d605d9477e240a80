/** Thrown by `submit` when the group commit already holds as much as it may: the caller should answer "retry later". */
export class GroupCommitFull extends Error {
  constructor() {
    super("too many items waiting to be written");
    this.name = "GroupCommitFull";
  }
}

/** The rejection of an item not written (or its write not answered) within `timeoutMs` of its submission. */
export class GroupCommitTimeout extends Error {
  constructor(timeoutMs: number) {
    super(`no answer from the database within ${timeoutMs} ms`);
    this.name = "GroupCommitTimeout";
  }
}

interface Entry<Item, Result> {
  item: Item;
  weight: number;
  /** performance.now() after which its submitter stops waiting (with `timeoutMs`). */
  deadline: number;
  /** Answered (written, failed, given up or timed out): later answers are ignored. */
  settled: boolean;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: items submitted while a flush is being prepared or is in flight are written
 * together by the next flush, so N concurrent deliveries cost one statement and one commit
 * instead of N. Every submitter is answered only when the flush that carried its item resolved.
 * What it holds (waiting or being written) is bounded; an item whose submitter gave up (or whose
 * `timeoutMs` ran out) before its flush started is dropped, never written. One timer serves every
 * deadline: items are held in submission order, so the oldest one's deadline is always the next.
 */
export class GroupCommit<Item, Result> {
  private waiting: Array<Entry<Item, Result>> = [];
  private inFlight = 0;
  private scheduled = false;
  private held = 0;
  private heldWeight = 0;
  /** Entries not yet known to be answered, oldest first (with `timeoutMs`: their deadlines in order). */
  private byAge: Array<Entry<Item, Result>> = [];
  private deadlineTimer: ReturnType<typeof setTimeout> | undefined;

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
      /**
       * A submitter waits at most this long (GroupCommitTimeout): a waiting item is dropped unwritten, one
       * being written is written anyway, its submitter no longer waits for it.
       */
      timeoutMs?: number;
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
      const entry: Entry<Item, Result> = { item, weight, deadline: 0, settled: false, resolve, reject };
      if (signal) {
        const giveUp = () => this.giveUp(entry, signal.reason);
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
      if (this.options.timeoutMs !== undefined) {
        entry.deadline = performance.now() + this.options.timeoutMs;
        this.byAge.push(entry);
        this.deadlineTimer ??= this.armDeadline(this.options.timeoutMs);
      }
      this.waiting.push(entry);
      this.schedule();
    });
  }

  /** Answers an entry once; the first answer wins (a write's result after a timeout is ignored). */
  private settle(entry: Entry<Item, Result>, outcome: { result: Result } | { error: unknown }): void {
    if (entry.settled) return;
    entry.settled = true;
    if ("result" in outcome) entry.resolve(outcome.result);
    else entry.reject(outcome.error);
  }

  /** Still waiting: it leaves the queue unwritten. Already being written: the write goes on, the caller stops waiting. */
  private giveUp(entry: Entry<Item, Result>, reason: unknown): void {
    if (entry.settled) return;
    const index = this.waiting.indexOf(entry);
    if (index !== -1) {
      this.waiting.splice(index, 1);
      this.release(entry);
    }
    this.settle(entry, { error: reason });
  }

  private armDeadline(delayMs: number): ReturnType<typeof setTimeout> {
    // Unreferenced: a held item is a request in progress, which keeps the process alive by itself.
    return setTimeout(() => this.expireDue(), Math.max(0, delayMs)).unref();
  }

  private expireDue(): void {
    const now = performance.now();
    while (this.byAge.length > 0 && (this.byAge[0]!.settled || this.byAge[0]!.deadline <= now)) {
      const entry = this.byAge.shift()!;
      this.giveUp(entry, new GroupCommitTimeout(this.options.timeoutMs!));
    }
    this.deadlineTimer = this.byAge.length > 0 ? this.armDeadline(this.byAge[0]!.deadline - now) : undefined;
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
        (results) => batch.forEach((entry, i) => this.settle(entry, { result: results[i]! })),
        (error: unknown) => batch.forEach((entry) => this.settle(entry, { error })),
      ).finally(() => {
        this.inFlight -= 1;
        for (const entry of batch) this.release(entry);
        // Answered entries leave the deadline queue from its front (flushes end roughly in order).
        while (this.byAge.length > 0 && this.byAge[0]!.settled) this.byAge.shift();
        this.schedule();
      });
    }
  }
}
