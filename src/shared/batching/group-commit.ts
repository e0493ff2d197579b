/**
 * Group commit for a process's concurrent callers: items submitted while a batch is in
 * flight wait for it and then go together, in one batch, the way a database groups
 * the commits of concurrent transactions into one log flush. At low load every item
 * goes alone at once (a batch of one, no timer, no added wait); under load, batches
 * grow with the load, so the cost per item falls as the rate rises.
 *
 * Each caller's promise settles with its own item's result, only once its batch has
 * run. A batch that fails is run again item by item, so one bad item fails only
 * its own caller, unless the failure says nothing about the items (the database is
 * down): then every caller gets it at once.
 */
export interface GroupCommitOptions<Item> {
  /** Batches running at once; more wait for one to finish. */
  maxInFlight: number;
  /** A batch holds items up to this total weight (one item always fits). */
  maxWeight: number;
  weight: (item: Item) => number;
  /** Whether a failed batch is worth running again item by item (default: always). */
  isolateOnFailure?: (error: unknown) => boolean;
}

interface Pending<Item, Result> {
  item: Item;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit<Item, Result> {
  private readonly waiting: Array<Pending<Item, Result>> = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    /** Runs one batch; resolves with one result per item, in order. */
    private readonly runBatch: (items: Item[]) => Promise<Result[]>,
    private readonly options: GroupCommitOptions<Item>,
  ) {}

  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      // Items whose requests were read in the same turn of the event loop go together.
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.startBatches();
        });
      }
    });
  }

  private startBatches(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      this.inFlight += 1;
      void this.run(this.takeBatch()).finally(() => {
        this.inFlight -= 1;
        this.startBatches();
      });
    }
  }

  private takeBatch(): Array<Pending<Item, Result>> {
    let weight = this.options.weight(this.waiting[0]!.item);
    let count = 1;
    while (count < this.waiting.length) {
      const next = this.options.weight(this.waiting[count]!.item);
      if (weight + next > this.options.maxWeight) break;
      weight += next;
      count += 1;
    }
    return this.waiting.splice(0, count);
  }

  private async run(batch: Array<Pending<Item, Result>>): Promise<void> {
    try {
      const results = await this.runBatch(batch.map(({ item }) => item));
      batch.forEach((pending, index) => pending.resolve(results[index]!));
    } catch (error) {
      if (batch.length === 1 || this.options.isolateOnFailure?.(error) === false) {
        for (const pending of batch) pending.reject(error);
        return;
      }
      // One item may be what failed: each runs alone, and settles with its own outcome.
      await Promise.all(batch.map((pending) => this.run([pending])));
    }
  }
}
