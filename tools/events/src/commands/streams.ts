import { type ConsumerLag, consumerLag, type EventBus } from '@gittix/common';
import type { ConsumerInfo, StreamInfo } from '@nats-io/jetstream';
import { CliError, type Output, table } from '../output.js';

export interface StreamReport {
  stream: StreamInfo;
  consumers: ConsumerInfo[];
  /** Each durable consumer's lag and oldest unacknowledged event, in `consumers`' order. */
  lags: ConsumerLag[];
}

/** A consumer whose oldest unacknowledged event is past this share of the max age is at risk. */
export const AT_RISK_SHARE = 0.5;

function duration(seconds: number): string {
  if (seconds >= 3600) return `${(seconds / 3600).toFixed(1)}h`;
  if (seconds >= 60) return `${(seconds / 60).toFixed(1)}m`;
  return `${seconds.toFixed(1)}s`;
}

function bytes(value: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = value;
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? n : n.toFixed(1)} ${units[unit]}`;
}

async function describeStream(bus: EventBus, name: string): Promise<StreamReport | undefined> {
  let stream: StreamInfo;
  try {
    stream = await bus.jsm.streams.info(name);
  } catch {
    return undefined;
  }
  const consumers: ConsumerInfo[] = [];
  for await (const consumer of bus.jsm.consumers.list(name)) {
    // Ordered readers (tail, dead-letters) are ephemeral: only durable progress matters.
    if (consumer.config.durable_name) consumers.push(consumer);
  }
  consumers.sort((a, b) => a.name.localeCompare(b.name));
  const lags = await Promise.all(consumers.map((consumer) => consumerLag(bus, consumer)));
  return { stream, consumers, lags };
}

function timeOf(ts: string | undefined): string {
  return ts && !ts.startsWith('0001-') ? ts : '-';
}

/**
 * The state of the event stream and the dead-letter stream, their retention, and
 * each durable consumer's progress. Lag = pending + ack pending: messages the
 * consumer has not finished with yet; "oldest unacked" is the age of the first of
 * them and "until lost" how long before the stream's max age drops it (AT RISK
 * past half the max age), so a consumer falling behind shows before it loses anything.
 */
export async function streamsCommand(bus: EventBus, out: Output): Promise<StreamReport[]> {
  const reports: StreamReport[] = [];
  for (const name of [bus.stream, bus.deadLetterStream]) {
    const report = await describeStream(bus, name);
    if (!report) {
      out.line(`${name}: no such stream (has a service started with this NATS_STREAM?)`);
      continue;
    }
    reports.push(report);
    const { state, config } = report.stream;
    out.line(`${name}  (${config.subjects.join(', ')})`);
    out.line(
      `  messages ${state.messages}  bytes ${state.bytes}  first seq ${state.first_seq} (${timeOf(
        state.first_ts,
      )})  last seq ${state.last_seq} (${timeOf(state.last_ts)})`,
    );
    const maxAgeSeconds = config.max_age / 1e9;
    const maxBytes = config.max_bytes > 0 ? config.max_bytes : undefined;
    out.line(
      `  keeps events ${maxAgeSeconds > 0 ? duration(maxAgeSeconds) : 'forever'}, ${
        maxBytes
          ? `at most ${bytes(maxBytes)} (${((100 * state.bytes) / maxBytes).toFixed(1)}% used)`
          : 'no size cap'
      }: an event a consumer has not acknowledged by then is lost to it`,
    );
    if (report.consumers.length === 0) {
      out.line('  no durable consumers');
    } else {
      const rows = report.consumers.map((c, i) => {
        const age = report.lags[i]?.oldestUnackedAgeSeconds ?? null;
        const atRisk = age !== null && maxAgeSeconds > 0 && age > AT_RISK_SHARE * maxAgeSeconds;
        return [
          c.name,
          c.config.filter_subject ?? '>',
          c.num_pending,
          c.num_ack_pending,
          c.num_redelivered,
          c.num_pending + c.num_ack_pending,
          c.delivered.stream_seq,
          c.ack_floor.stream_seq,
          age === null ? '-' : duration(age),
          age === null || maxAgeSeconds <= 0
            ? '-'
            : `${duration(Math.max(0, maxAgeSeconds - age))}${atRisk ? ' AT RISK' : ''}`,
        ];
      });
      const header = ['consumer', 'filter', 'pending', 'ack pending', 'redelivered', 'lag'];
      const more = ['delivered seq', 'ack floor', 'oldest unacked', 'until lost'];
      for (const line of table([[...header, ...more], ...rows])) {
        out.line(`  ${line}`);
      }
    }
    out.line('');
  }
  if (reports.length === 0) throw new CliError(`Stream ${bus.stream} does not exist`);
  return reports;
}
