/**
 * Group commit: items submitted while a flush is being prepared or is in flight are written
 * together by the next flush, so N concurrent deliveries cost one statement and one commit
 * instead of N. Every submitter is answered only when the flush that carried its item resolved.
 */
export class GroupCommit<Item, Result> {
  private waiting: Array<{ item: Item; resolve: (result: Result) => void; reject: (error: unknown) => void }> = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly flush: (items: Item[]) => Promise<Result[]>,
    private readonly options: {
      maxBatch: number;
      maxInFlight: number;
      /** Size of one item (e.g. its bytes) and the most one batch may carry; a single item always goes. */
      weigh?: (item: Item) => number;
      maxWeight?: number;
    },
  ) {}

  submit(item: Item): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.schedule();
    });
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
      weight += weigh(this.waiting[length]!.item);
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
        this.schedule();
      });
    }
  }
}
