import type { DeadLetterRecord, EventBus } from '@gittix/common';
import { clip, type Output } from '../output.js';
import { readStream } from '../read-stream.js';

export interface DeadLettersOptions {
  /** Only this durable consumer's (e.g. `tickets_order_created`). */
  consumer?: string | undefined;
  /** Only the most recent N. */
  last?: number | undefined;
}

/** `ticket.created 6f1c… {"id":…}` for an envelope, the raw start otherwise. */
function summarizePayload(payload: string): string {
  try {
    const event = JSON.parse(payload) as { id?: unknown; type?: unknown; data?: unknown };
    if (typeof event.type === 'string' && typeof event.id === 'string') {
      return clip(`${event.type} ${event.id} ${JSON.stringify(event.data)}`, 160);
    }
  } catch {
    // Not JSON: that is often why it was dead-lettered.
  }
  return clip(payload, 160);
}

/** Lists dead-letter records: when, which consumer, what failed and why, and what it was. */
export async function deadLettersCommand(
  bus: EventBus,
  out: Output,
  options: DeadLettersOptions = {},
): Promise<DeadLetterRecord[]> {
  const filter = options.consumer
    ? bus.deadLetterSubjectOf(options.consumer)
    : `${bus.options.subjectPrefix}.deadletter.>`;
  let records = (await readStream(bus.js, bus.deadLetterStream, filter)).map((message) =>
    message.json<DeadLetterRecord>(),
  );
  if (options.last !== undefined) records = options.last > 0 ? records.slice(-options.last) : [];
  if (records.length === 0) {
    out.line('No dead letters.');
    return records;
  }
  for (const record of records) {
    out.line(
      `${record.failedAt}  ${record.consumer}  ${record.subject}  seq ${record.streamSeq}  ` +
        `deliveries ${record.deliveries}`,
    );
    out.line(`  error:   ${clip(record.error, 300)}`);
    out.line(`  payload: ${summarizePayload(record.payload)}`);
  }
  out.line(`${records.length} dead letter${records.length === 1 ? '' : 's'}.`);
  return records;
}
