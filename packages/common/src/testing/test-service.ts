import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import { loadConfig } from '../config.js';
import { migrateDatabase } from '../db.js';
import { durableName } from '../events/consumer.js';
import type { EventEnvelope, EventInput, Subject } from '../events/contracts.js';
import type { OutboxRelay } from '../events/outbox.js';
import type { AnyServiceDescription, NeedsOf, PartsOf } from '../service/description.js';
import { type ConsumerSettings, type OpenService, openService } from '../service/open-service.js';
import { testLogger } from './names.js';
import { createTestEnvironment, type TestEnvironment } from './test-environment.js';
import { waitFor } from './wait-for.js';

export interface TestServiceOptions<D extends AnyServiceDescription> {
  /** Shared with other services (or replicas, or restarts); by default one of its own. */
  environment?: TestEnvironment;
  /** Configuration keys on top of what the environment gives. */
  env?: Record<string, string>;
  parts?: PartsOf<D>;
  logger?: Logger;
}

/** A service opened the way main.ts opens it, on a test environment, without a socket. */
export type TestService<D extends AnyServiceDescription> = OpenService<D> & {
  environment: TestEnvironment;
  /** Starts what main.ts starts, except listening: the outbox relay, the consumers, the tasks. */
  start(settings?: ConsumerSettings): Promise<void>;
  /** Publishes an event to the stream, as another service would. */
  publish: TestEnvironment['publish'];
  /** Publishes an event and waits until this service has handled it. */
  deliver<S extends Subject>(subject: S, data: EventInput<S>): Promise<EventEnvelope<S>>;
  /** Events of `subject` in the stream, after publishing what the outbox holds. */
  publishedEvents<S extends Subject>(subject: S): Promise<EventEnvelope<S>[]>;
  /** Waits until this service's consumer has committed the event (its inbox row). */
  handled(event: EventEnvelope): Promise<void>;
  /** True once the durable consumers (of `subject`, or all) have nothing pending. */
  caughtUp(subject?: Subject): Promise<boolean>;
  /** Stops the service and, when it made its environment, removes that too. */
  close(): Promise<void>;
};

/**
 * Opens `description` as main.ts would, with the environment's database, stream,
 * Redis prefix and session key. Nothing is consumed or published until the test
 * says so (`start`, `startConsumers`, `relay.drain()`).
 */
export async function startTestService<D extends AnyServiceDescription>(
  description: D,
  options: TestServiceOptions<D> = {},
): Promise<TestService<D>> {
  const environment = options.environment ?? (await createTestEnvironment());
  const config = loadConfig(description.configSchema, {
    ...environment.configFor(description),
    ...options.env,
  });
  let service: OpenService<D>;
  try {
    // The migrate step first, through the same function as `--migrate` (main.ts
    // never migrates); the environment's URL may do both, being the superuser.
    const { database } = description.needs as NeedsOf<D>;
    if (database) {
      await migrateDatabase(String(config.DATABASE_URL), database.migrations);
    }
    service = await openService(description, {
      config,
      logger: options.logger ?? testLogger,
      ...(options.parts ? { parts: options.parts } : {}),
    });
  } catch (error) {
    if (!options.environment) await environment.close();
    throw error;
  }
  const { name, subscriptions } = service;
  const relay = service.relay as OutboxRelay | undefined;

  async function handled(event: EventEnvelope) {
    const { db } = service as { db?: Kysely<unknown> };
    if (!db) throw new Error(`${name} has no inbox to look in`);
    const consumer = durableName(name, event.type);
    await waitFor(
      async () => {
        const { rows } = await sql`
          SELECT 1 FROM inbox WHERE consumer = ${consumer} AND event_id = ${event.id}`.execute(db);
        return rows.length === 1;
      },
      { message: `${consumer} to handle ${event.id}` },
    );
  }

  return Object.assign(service, {
    environment,
    publish: environment.publish,
    async deliver<S extends Subject>(subject: S, data: EventInput<S>) {
      const event = await environment.publish(subject, data);
      await handled(event);
      return event;
    },
    handled,
    async start(settings?: ConsumerSettings) {
      relay?.start();
      await service.startConsumers(settings);
      service.startTasks();
    },
    async publishedEvents<S extends Subject>(subject: S) {
      await relay?.drain();
      return environment.publishedEvents(subject);
    },
    async caughtUp(subject?: Subject) {
      const bus = await environment.bus();
      const subjects = subject ? [subject] : subscriptions.map((s) => s.subject);
      for (const each of subjects) {
        const info = await bus.jsm.consumers.info(bus.stream, durableName(name, each));
        if (info.num_pending > 0 || info.num_ack_pending > 0) return false;
      }
      return true;
    },
    async close() {
      await service.stop();
      if (!options.environment) await environment.close();
    },
  });
}
