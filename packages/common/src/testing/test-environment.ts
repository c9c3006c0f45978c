import { randomUUID } from 'node:crypto';
import { dropDatabase } from '../db.js';
import { EventBus } from '../events/bus.js';
import {
  createEnvelope,
  type EventEnvelope,
  type EventInput,
  type Subject,
} from '../events/contracts.js';
import { NATS_ADMIN_USER, type NatsNames, type NatsUser, natsUser } from '../events/permissions.js';
import { connectRedis } from '../redis.js';
import type { AnyServiceDescription } from '../service/description.js';
import { testEventNames, testInfra, testLogger, uniqueName } from './names.js';
import {
  createTestSessionKeys,
  signIn,
  type TestSession,
  type TestSessionKeys,
} from './session-keys.js';
import { publishedEvents } from './stream.js';

export interface TestEnvironmentOptions {
  /** A NATS server of the test's own (startPrivateNatsServer) instead of the shared one. */
  natsUrl?: string;
  /**
   * That server's users (startPrivateNatsServer's `users`): each service connects
   * as the user of its name, the test's own connection as the admin.
   */
  natsUsers?: NatsUser[];
  /** The stream and subject prefix (default: fresh ones); those `natsUsers` were made for. */
  names?: NatsNames;
}

/**
 * What the services of one test file share, as a running system's services do:
 * a database per service, one stream and subject prefix, one Redis key prefix and
 * the session key pair. Names are unique to the test run; `close()` removes them.
 */
export interface TestEnvironment {
  /** The key pair sessions are signed with (tests) and verified with (JWT_PUBLIC_KEY). */
  sessions: TestSessionKeys;
  /** Configuration a service of this description gets here, by what it needs. */
  configFor(description: AnyServiceDescription): Record<string, string>;
  /** The database URL of service `name` here (its replicas share it). */
  databaseUrl(name: string): string;
  /** The test's own connection to the environment's stream (opened on first use). */
  bus(): Promise<EventBus>;
  /** Publishes an event to the stream, as another service would. */
  publish<S extends Subject>(
    subject: S,
    data: EventInput<S>,
    id?: string,
  ): Promise<EventEnvelope<S>>;
  /** Every event of `subject` in the stream, oldest first. */
  publishedEvents<S extends Subject>(subject: S): Promise<EventEnvelope<S>[]>;
  /** A signed-in user (a new one unless given) and the headers that carry the session. */
  signIn(user?: TestSession['user']): Promise<TestSession>;
  close(): Promise<void>;
}

export async function createTestEnvironment(
  options: TestEnvironmentOptions = {},
): Promise<TestEnvironment> {
  const natsUrl = options.natsUrl ?? testInfra.natsUrl;
  const names = options.names ?? testEventNames();
  const admin = options.natsUsers && natsUser(options.natsUsers, NATS_ADMIN_USER);
  const queuePrefix = uniqueName('queue');
  const sessions = await createTestSessionKeys();
  const databases = new Map<string, string>();
  let bus: Promise<EventBus> | undefined;
  let usesEvents = false;
  let usesRedis = false;

  const environment: TestEnvironment = {
    sessions,
    databaseUrl(name) {
      let url = databases.get(name);
      if (!url) {
        url = `${testInfra.postgresUrl}/${uniqueName(name)}`;
        databases.set(name, url);
      }
      return url;
    },
    configFor({ name, needs }) {
      const config: Record<string, string> = {};
      if (needs.database) config.DATABASE_URL = environment.databaseUrl(name);
      if (needs.events || needs.sessions || needs.sessionRevocations) {
        usesEvents = true;
        config.NATS_URL = natsUrl;
        config.NATS_STREAM = names.stream;
        config.NATS_SUBJECT_PREFIX = names.subjectPrefix;
        if (options.natsUsers) {
          const { user, password } = natsUser(options.natsUsers, name);
          config.NATS_USER = user;
          config.NATS_PASSWORD = password;
        }
      }
      if (needs.redis) {
        usesRedis = true;
        config.REDIS_URL = testInfra.redisUrl;
        config.QUEUE_PREFIX = queuePrefix;
      }
      if (needs.sessions) config.JWT_PUBLIC_KEY = sessions.publicKeyPem;
      return config;
    },
    bus() {
      usesEvents = true;
      bus ??= (async () => {
        const connected = await EventBus.connect({
          url: natsUrl,
          ...names,
          name: 'test',
          logger: testLogger,
          ...(admin ? { user: admin.user, password: admin.password } : {}),
        });
        await connected.ensureStreams();
        return connected;
      })();
      return bus;
    },
    async publish(subject, data, id = randomUUID()) {
      const envelope = createEnvelope(subject, data, id);
      await (await environment.bus()).publish(envelope);
      return envelope;
    },
    async publishedEvents(subject) {
      return publishedEvents(await environment.bus(), subject);
    },
    signIn: (user) => signIn(sessions, user),
    async close() {
      if (usesEvents) {
        const connected = await environment.bus();
        await connected.jsm.streams.delete(connected.stream).catch(() => {});
        await connected.jsm.streams.delete(connected.deadLetterStream).catch(() => {});
        await connected.jsm.streams.delete(connected.sessionsStream).catch(() => {});
        await connected.close();
      }
      if (usesRedis) {
        const redis = connectRedis(testInfra.redisUrl);
        const keys = await redis.keys(`${queuePrefix}*`);
        if (keys.length > 0) await redis.del(...keys);
        await redis.quit();
      }
      for (const url of databases.values()) await dropDatabase(url);
    },
  };
  return environment;
}
