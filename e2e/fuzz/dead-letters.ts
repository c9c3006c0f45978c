import type { DeadLetterRecord, EventBus } from '@gittix/common';
import { storedMessages, waitFor } from '@gittix/common/testing';

/** Reads the dead-letter stream as it grows: which consumer gave up on which stream message. */
export class DeadLetters {
  private readonly seen = new Set<string>();
  private nextSeq = 1;

  constructor(private readonly bus: EventBus) {}

  private async readNew(): Promise<void> {
    const { jsm, deadLetterStream } = this.bus;
    const last = (await jsm.streams.info(deadLetterStream)).state.last_seq;
    for await (const message of storedMessages(jsm, deadLetterStream, this.nextSeq, last)) {
      const record = message.json<DeadLetterRecord>();
      this.seen.add(`${record.consumer}#${record.streamSeq}`);
    }
    this.nextSeq = Math.max(this.nextSeq, last + 1);
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
