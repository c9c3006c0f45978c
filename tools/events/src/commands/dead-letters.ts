import {
  type DeadLetterRecord,
  type EventBus,
  type EventEnvelope,
  isSubject,
  parseEnvelope,
} from '@gittix/common';
import { CliError, clip, type Output, payloadText } from '../output.js';
import { readStream } from '../read-stream.js';
import { requireStream } from '../require-stream.js';

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
      return clip(`${event.type} ${event.id} ${payloadText(event.data)}`, 160);
    }
  } catch {
    // Not JSON: that is often why it was dead-lettered.
  }
  return clip(payload, 160);
}

/** A durable consumer's name as the services make them (`<service>_<subject>`). */
const CONSUMER_NAME = /^[A-Za-z0-9_-]+$/;

/** Lists dead-letter records: when, which consumer, what failed and why, and what it was. */
export async function deadLettersCommand(
  bus: EventBus,
  out: Output,
  options: DeadLettersOptions = {},
): Promise<ListedDeadLetter[]> {
  const filter = options.consumer
    ? bus.deadLetterSubjectOf(options.consumer)
    : `${bus.options.subjectPrefix}.deadletter.>`;
  if (options.consumer !== undefined && !CONSUMER_NAME.test(options.consumer)) {
    throw new CliError(
      `"${options.consumer}" is not a consumer name (letters, digits, _ and -, e.g. tickets_order_created)`,
    );
  }
  await requireStream(bus, bus.deadLetterStream);
  let records = (await readStream(bus.js, bus.deadLetterStream, filter)).map(
    (message): ListedDeadLetter => ({ ...message.json<DeadLetterRecord>(), id: message.seq }),
  );
  if (options.last !== undefined) records = options.last > 0 ? records.slice(-options.last) : [];
  if (records.length === 0) {
    out.line('No dead letters.');
    return records;
  }
  for (const record of records) {
    out.line(
      `#${record.id}  ${record.failedAt}  ${record.consumer}  ${record.subject}  seq ${record.streamSeq}  ` +
        `deliveries ${record.deliveries}`,
    );
    out.line(`  error:   ${clip(record.error, 300)}`);
    out.line(`  payload: ${summarizePayload(record.payload)}`);
  }
  out.line(`${records.length} dead letter${records.length === 1 ? '' : 's'}.`);
  if (records.length > 0) {
    out.line(
      'Replay one with: npm run events -- dead-letters replay <#id> (or drop it: discard <#id>)',
    );
  }
  return records;
}

/** A dead-letter record with its id: its sequence in the dead-letter stream. */
export type ListedDeadLetter = DeadLetterRecord & { id: number };

export interface ReplayOptions {
  /**
   * EVENT_TABLES_RETENTION_HOURS of the services (default 168): how long each
   * consumer remembers the events it handled (its inbox).
   */
  inboxRetentionHours?: number;
  /** Replay even an event the other consumers may have forgotten. */
  force?: boolean;
  /** The clock, for tests. */
  now?: number;
}

const HOUR_MS = 3_600_000;

/**
 * Publishes a dead-lettered event again, unchanged, on the subject it failed on,
 * once its cause is fixed. `id` is the `#id` dead-letters lists, or the event's
 * own id. Every consumer of the subject receives it; those that handled it before
 * find it in their inbox and skip it, so only the one that gave up handles it now.
 * That holds only while their inboxes remember it (EVENT_TABLES_RETENTION_HOURS from
 * the event's time; the dead-letter stream keeps 30 days): past that the replay is
 * refused without `force`, as is a payload that is not a valid event, which every
 * consumer would dead-letter again. The broker's duplicate window would swallow the
 * original Nats-Msg-Id, so the replay carries its own. Once published, the event's
 * records leave the dead-letter stream (a consumer that fails again records it anew).
 */
export async function replayDeadLetterCommand(
  bus: EventBus,
  out: Output,
  id: string,
  options: ReplayOptions = {},
): Promise<ListedDeadLetter> {
  const all = await deadLettersCommand(bus, { line: () => {} });
  const record = findDeadLetter(all, id);
  const event = validEvent(record);
  const retentionHours = options.inboxRetentionHours ?? 168;
  const ageHours = ((options.now ?? Date.now()) - Date.parse(event.occurredAt)) / HOUR_MS;
  if (ageHours >= retentionHours && !options.force) {
    throw new CliError(
      `#${record.id} is an event of ${Math.floor(ageHours)} h ago: the consumers of ${event.type} ` +
        `forget handled events after EVENT_TABLES_RETENTION_HOURS (${retentionHours} h), so every ` +
        `one of them would handle it again, not only ${record.consumer}. ` +
        'Replay it with --force only if each of them handles it safely a second time.',
    );
  }
  const ack = await bus.js.publish(record.subject, record.payload, {
    msgID: `replay-${record.id}-${Date.now()}`,
  });
  out.line(
    `Replayed #${record.id} (${record.consumer}, ${record.subject}) as stream seq ${ack.seq}.`,
  );
  // Every consumer of the subject receives the replay, so every record of this event is
  // dealt with: gone from the list and from gittix_dead_letters_waiting. A consumer that
  // fails again dead-letters it anew.
  const same = all.filter(
    (r) => r.subject === record.subject && eventIdOf(r)?.toLowerCase() === event.id,
  );
  await removeDeadLetters(bus, same);
  return record;
}

/**
 * Removes a dead letter without replaying it: the event is not needed any more (its
 * cause was dealt with by hand, or it is no event at all). `id` as for replay.
 */
export async function discardDeadLetterCommand(
  bus: EventBus,
  out: Output,
  id: string,
): Promise<ListedDeadLetter> {
  const record = findDeadLetter(await deadLettersCommand(bus, { line: () => {} }), id);
  await removeDeadLetters(bus, [record]);
  out.line(`Discarded #${record.id} (${record.consumer}, ${record.subject}).`);
  return record;
}

/** The record `id` names: its `#id`, or its event's id (the first record of it). */
function findDeadLetter(all: ListedDeadLetter[], id: string): ListedDeadLetter {
  const record = all.find((r) => String(r.id) === id.replace(/^#/, '') || eventIdOf(r) === id);
  if (!record) throw new CliError(`No dead letter ${id}: see npm run events -- dead-letters`);
  return record;
}

async function removeDeadLetters(bus: EventBus, records: ListedDeadLetter[]): Promise<void> {
  for (const record of records) {
    try {
      await bus.jsm.streams.deleteMessage(bus.deadLetterStream, record.id);
    } catch (error) {
      throw new CliError(
        `Could not remove dead letter #${record.id} (${clip((error as Error).message, 200)}): ` +
          `discard it with npm run events -- dead-letters discard ${record.id}`,
      );
    }
  }
}

/** The record's event, or why it cannot be replayed. */
function validEvent(record: ListedDeadLetter): EventEnvelope {
  try {
    const raw = JSON.parse(record.payload) as { type?: unknown };
    const type = typeof raw.type === 'string' ? raw.type : '';
    if (!isSubject(type) || !record.subject.endsWith(`.${type}`)) {
      throw new Error(`its type ${JSON.stringify(raw.type)} is not the subject's`);
    }
    return parseEnvelope(type, raw);
  } catch (error) {
    throw new CliError(
      `#${record.id} is not a valid event (${clip((error as Error).message, 200)}): ` +
        'every consumer would dead-letter it again, so it is not replayed.',
    );
  }
}

function eventIdOf(record: DeadLetterRecord): string | undefined {
  try {
    const event = JSON.parse(record.payload) as { id?: unknown };
    return typeof event.id === 'string' ? event.id : undefined;
  } catch {
    return undefined;
  }
}
