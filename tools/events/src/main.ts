#!/usr/bin/env node
import { ConfigError, EventBus, loadConfig } from '@gittix/common';
import { pino } from 'pino';
import { cliConfigSchema } from './config.js';
import { CliError } from './output.js';
import { buildProgram } from './program.js';

// NATS connection warnings go to stderr so that stdout stays the command's output.
const logger = pino({ name: 'events', level: 'warn' }, pino.destination(2));
const stop = new AbortController();
process.once('SIGINT', () => stop.abort());
process.once('SIGTERM', () => stop.abort());

const program = buildProgram({
  out: { line: (text) => process.stdout.write(`${text}\n`) },
  signal: stop.signal,
  inboxRetentionHours: () => loadConfig(cliConfigSchema).EVENT_TABLES_RETENTION_HOURS,
  async withBus(work) {
    const config = loadConfig(cliConfigSchema);
    const bus = await EventBus.connect({
      url: config.NATS_URL,
      stream: config.NATS_STREAM,
      subjectPrefix: config.NATS_SUBJECT_PREFIX,
      name: 'events-cli',
      logger,
      // On a server with users: the admin's (docs/security.md).
      ...(config.NATS_USER ? { user: config.NATS_USER, password: config.NATS_PASSWORD ?? '' } : {}),
    }).catch((error: Error) => {
      throw new CliError(`Cannot reach NATS at ${config.NATS_URL}: ${error.message}`);
    });
    try {
      return await work(bus);
    } finally {
      await bus.close();
    }
  },
});

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CliError || error instanceof ConfigError) {
    process.stderr.write(`events: ${error.message}\n`);
  } else {
    process.stderr.write(`events: ${(error as Error).stack ?? String(error)}\n`);
  }
  process.exitCode = 1;
}
