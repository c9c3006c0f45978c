import type { EventBus } from '@gittix/common';
import type { ConsumerInfo, StreamInfo } from '@nats-io/jetstream';
import { CliError, type Output, table } from '../output.js';

export interface StreamReport {
  stream: StreamInfo;
  consumers: ConsumerInfo[];
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
  return { stream, consumers };
}

function timeOf(ts: string | undefined): string {
  return ts && !ts.startsWith('0001-') ? ts : '-';
}

/**
 * The state of the event stream and the dead-letter stream, and each durable
 * consumer's progress. Lag = pending + ack pending: messages the consumer has
 * not finished with yet.
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
    if (report.consumers.length === 0) {
      out.line('  no durable consumers');
    } else {
      const rows = report.consumers.map((c) => [
        c.name,
        c.config.filter_subject ?? '>',
        c.num_pending,
        c.num_ack_pending,
        c.num_redelivered,
        c.num_pending + c.num_ack_pending,
        c.delivered.stream_seq,
        c.ack_floor.stream_seq,
      ]);
      const header = ['consumer', 'filter', 'pending', 'ack pending', 'redelivered', 'lag'];
      for (const line of table([[...header, 'delivered seq', 'ack floor'], ...rows])) {
        out.line(`  ${line}`);
      }
    }
    out.line('');
  }
  if (reports.length === 0) throw new CliError(`Stream ${bus.stream} does not exist`);
  return reports;
}
