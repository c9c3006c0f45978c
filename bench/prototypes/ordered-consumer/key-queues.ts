/**
 * One attempt at the head of a queue: `undefined` when it is settled (the queue
 * moves on), otherwise the milliseconds until it is tried again.
 */
export type Attempt<T> = (item: T) => Promise<number | undefined>;

/**
 * Queues items by key and works on at most `limit` keys at once, each key's items
 * strictly one after the other in arrival order. An item waiting for its retry
 * holds back only its own queue: the slot goes to another key meanwhile.
 */
export class KeyQueues<T> {
  private readonly queues = new Map<string, T[]>();
  /** Keys whose head can be attempted now, oldest first. */
  private readonly ready: string[] = [];
  private readonly retries = new Set<NodeJS.Timeout>();
  private active = 0;
  private halted = false;
  private whenIdle: (() => void) | undefined;

  constructor(
    private readonly limit: number,
    private readonly attempt: Attempt<T>,
  ) {}

  push(key: string, item: T): void {
    const queue = this.queues.get(key);
    if (queue) {
      queue.push(item);
      return;
    }
    this.queues.set(key, [item]);
    this.ready.push(key);
    this.pump();
  }

  /** Starts nothing more; resolves when the attempts under way have returned. */
  halt(): Promise<void> {
    this.halted = true;
    for (const timer of this.retries) clearTimeout(timer);
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.whenIdle = resolve;
    });
  }

  private pump(): void {
    while (!this.halted && this.active < this.limit && this.ready.length > 0) {
      this.active++;
      void this.step(this.ready.shift()!);
    }
  }

  private async step(key: string): Promise<void> {
    const queue = this.queues.get(key)!;
    // An attempt that throws is a bug in it; trying again later keeps the key's order.
    const retryInMs = await this.attempt(queue[0]!).catch(() => 1_000);
    this.active--;
    if (retryInMs !== undefined) {
      if (this.halted) return this.leftHalted();
      const timer = setTimeout(() => {
        this.retries.delete(timer);
        this.ready.push(key);
        this.pump();
      }, retryInMs);
      this.retries.add(timer);
    } else {
      queue.shift();
      if (queue.length > 0) this.ready.push(key);
      else this.queues.delete(key);
    }
    if (this.halted) return this.leftHalted();
    this.pump();
  }

  private leftHalted(): void {
    if (this.active === 0) this.whenIdle?.();
  }
}
