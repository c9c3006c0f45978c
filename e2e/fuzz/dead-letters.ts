import type { DeadLetterRecord, EventBus } from '@gittix/common';
import { waitFor } from '@gittix/common/testing';

/** Reads the dead-letter stream as it grows: which consumer gave up on which stream message. */
export class DeadLetters {
  private readonly seen = new Set<string>();
  private nextSeq = 1;

  constructor(private readonly bus: EventBus) {}

  private async readNew(): Promise<void> {
    const info = await this.bus.jsm.streams.info(this.bus.deadLetterStream);
    for (; this.nextSeq <= info.state.last_seq; this.nextSeq += 1) {
      const message = await this.bus.jsm.streams.getMessage(this.bus.deadLetterStream, {
        seq: this.nextSeq,
      });
      if (!message) continue;
      const record = message.json<DeadLetterRecord>();
      this.seen.add(`${record.consumer}#${record.streamSeq}`);
    }
  }

  /** Waits until each consumer has dead-lettered its message (by main-stream sequence). */
  async waitFor(
    expected: Array<{ consumer: string; seq: number }>,
    timeoutMs: number,
  ): Promise<void> {
    const missing = () =>
      expected.filter(({ consumer, seq }) => !this.seen.has(`${consumer}#${seq}`));
    await waitFor(
      async () => {
        await this.readNew();
        return missing().length === 0;
      },
      {
        timeoutMs,
        intervalMs: 50,
        message: `dead letters from ${expected.map((e) => `${e.consumer}#${e.seq}`).join(', ')}`,
      },
    ).catch((error: Error) => {
      const left = missing().map((e) => `${e.consumer}#${e.seq}`);
      throw new Error(`${error.message}; still missing: ${left.join(', ')}`);
    });
  }
}
