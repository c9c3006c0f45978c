import type { EventBus } from '@gittix/common';
import { Command, InvalidArgumentError } from 'commander';
import {
  deadLettersCommand,
  discardDeadLetterCommand,
  replayDeadLetterCommand,
} from './commands/dead-letters.js';
import { publishCommand } from './commands/publish.js';
import { streamsCommand } from './commands/streams.js';
import { tailCommand } from './commands/tail.js';
import type { Output } from './output.js';

export interface CliContext {
  out: Output;
  /** Runs `work` with a connected bus (the CLI connects and closes; tests lend theirs). */
  withBus<T>(work: (bus: EventBus) => Promise<T>): Promise<T>;
  /** Aborted on Ctrl-C, which ends `tail`. */
  signal?: AbortSignal;
  /** The services' EVENT_TABLES_RETENTION_HOURS (replay refuses what inboxes forgot). */
  inboxRetentionHours?: () => number;
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('Must be a whole number ≥ 0.');
  return n;
}

const environment = `
Environment:
  NATS_URL             NATS server (default nats://127.0.0.1:4222)
  NATS_STREAM          stream of events (default GITTIX; dead letters in <stream>_DEADLETTER)
  NATS_SUBJECT_PREFIX  first subject token (default gittix)
  EVENT_TABLES_RETENTION_HOURS
                       how long the services' inboxes remember an event (default 168):
                       dead-letters replay refuses older events without --force`;

/** The `events` command line: tail, publish, streams, dead-letters. */
export function buildProgram(context: CliContext): Command {
  const { out } = context;
  const program = new Command('events')
    .description('Look at and feed the GitTix event stream (NATS JetStream).')
    .showHelpAfterError()
    .addHelpText('after', environment);

  program
    .command('tail')
    .description('Print events as they arrive, one per line: time, #seq, subject, event id, data')
    .argument(
      '[subject]',
      'subject under the prefix, wildcards allowed: ticket.created, order.*, ticket.>',
    )
    .option('--from-start', 'print every event in the stream first')
    .option('--last <n>', 'print the last n matching events first', count)
    .option('--trace <id>', 'only events of this trace (the trace id of their traceparent)')
    .addHelpText(
      'after',
      '\nStops with Ctrl-C. Reads through an ordered consumer: no durable state is left behind.',
    )
    .action(
      async (
        subject: string | undefined,
        options: { fromStart?: boolean; last?: number; trace?: string },
      ) => {
        await context.withBus((bus) =>
          tailCommand(bus, out, { subject, ...options, signal: context.signal }),
        );
      },
    );

  program
    .command('publish')
    .description(
      "Validate data against the subject's schema, wrap it in an envelope and publish it",
    )
    .argument('<subject>', 'e.g. expiration.complete')
    .argument('<json>', 'the event data (the envelope\'s "data"), e.g. \'{"orderId":"…"}\'')
    .addHelpText(
      'after',
      '\nPrints the new event id. Invalid data: every problem is listed, exit code 1.',
    )
    .action(async (subject: string, json: string) => {
      await context.withBus((bus) => publishCommand(bus, out, subject, json));
    });

  program
    .command('streams')
    .description(
      "Stream state (messages, bytes, first/last seq) and each durable consumer's progress",
    )
    .addHelpText(
      'after',
      '\nlag = pending + ack pending: messages a consumer has not finished with.',
    )
    .action(async () => {
      await context.withBus((bus) => streamsCommand(bus, out));
    });

  const deadLetters = program
    .command('dead-letters')
    .description(
      'List dead-lettered events: #id, consumer, subject, deliveries, error, when, payload',
    )
    .option('--consumer <name>', "only this durable consumer's, e.g. tickets_order_created")
    .option('--last <n>', 'only the most recent n', count)
    .action(async (options: { consumer?: string; last?: number }) => {
      await context.withBus((bus) => deadLettersCommand(bus, out, options));
    });

  deadLetters
    .command('replay <id>')
    .description(
      'Publish a dead-lettered event again (by its #id or event id) once its cause is fixed, and remove its dead letters; consumers that handled it skip it',
    )
    .option(
      '--force',
      'replay even an event older than EVENT_TABLES_RETENTION_HOURS, which every consumer of it handles again',
    )
    .action(async (id: string, options: { force?: boolean }) => {
      const inboxRetentionHours = context.inboxRetentionHours?.();
      await context.withBus((bus) =>
        replayDeadLetterCommand(bus, out, id, {
          force: options.force === true,
          ...(inboxRetentionHours === undefined ? {} : { inboxRetentionHours }),
        }),
      );
    });

  deadLetters
    .command('discard <id>')
    .description(
      'Remove a dead letter (by its #id or event id) without replaying it: its event is not needed any more',
    )
    .action(async (id: string) => {
      await context.withBus((bus) => discardDeadLetterCommand(bus, out, id));
    });

  return program;
}
