import {
  EventBus,
  EventConsumers,
  type EventEnvelope,
  subscribeWithoutInbox,
} from '@gittix/common';
import { testEventNames, testInfra, testLogger, waitFor } from '@gittix/common/testing';
import { now } from '../../harness/stats.js';
import { FamilyConsumer } from './family-consumer.js';
import { Ledger } from './ledger.js';
import {
  type FaultPlan,
  orderWorkload,
  publishWorkload,
  type SyntheticHandler,
  syntheticHandler,
  ticketOf,
} from './workload.js';

/**
 * Today's consumers (one durable per subject) or the prototype (one durable per
 * family) with a queue per key or a lane per key hash.
 */
export type Variant = 'per-subject' | 'family-by-key' | 'family-by-lane';

/**
 * What happens when 40 % of the events are handled: nothing; a graceful restart; a crash (the new process
 * rewinds to the ack floor, or does not); a second process on the same durable
 * from the start, as two replicas of a service would be.
 */
export type Interruption = 'none' | 'restart' | 'crash' | 'crash-no-rewind' | 'two-instances';

export interface ScenarioSettings {
  variant: Variant;
  keys: number;
  batch: number;
  costMs: number;
  /** Events at once per subject for today's consumers; the family consumer handles as many as both subjects together. */
  concurrency: number;
  faults: FaultPlan;
  interruption: Interruption;
  ackWaitMs: number;
  timeoutMs: number;
}

export interface ScenarioResult {
  events: number;
  elapsedMs: number;
  eventsPerSecond: number;
  handled: number;
  deadLettered: number;
  duplicates: number;
  violations: number;
  keysOutOfOrder: number;
  firstViolations: string[];
}

interface Running {
  stop(): Promise<void>;
  crash(): Promise<void>;
}

type Names = ReturnType<typeof testEventNames>;

function connectBus(names: Names, name: string): Promise<EventBus> {
  return EventBus.connect({ url: testInfra.natsUrl, ...names, name, logger: testLogger });
}

async function startPerSubject(
  names: Names,
  handle: SyntheticHandler,
  settings: ScenarioSettings,
): Promise<Running> {
  const bus = await connectBus(names, 'per-subject');
  const handler = (event: EventEnvelope, { deliveries }: { deliveries: number }) =>
    handle(event, { attempt: deliveries });
  const consumers = new EventConsumers({
    bus,
    service: 'proto',
    subscriptions: [
      subscribeWithoutInbox('order.created', handler),
      subscribeWithoutInbox('order.cancelled', handler),
    ],
    logger: testLogger,
    concurrency: settings.concurrency,
    ackWaitMs: settings.ackWaitMs,
  });
  await consumers.start();
  const stop = async () => {
    await consumers.stop();
    await bus.close();
  };
  return { stop, crash: stop };
}

async function startFamily(
  names: Names,
  handle: SyntheticHandler,
  ledger: Ledger,
  settings: ScenarioSettings,
  rewind: boolean,
): Promise<Running> {
  const bus = await connectBus(names, settings.variant);
  const consumer = new FamilyConsumer({
    bus,
    family: 'order',
    durable: 'proto_order',
    keyOf: ticketOf,
    handle,
    parked: ledger,
    concurrency: 2 * settings.concurrency,
    queueBy: settings.variant === 'family-by-lane' ? 'lane' : 'key',
    ackWaitMs: settings.ackWaitMs,
  });
  await consumer.start({ rewind });
  return {
    stop: async () => {
      await consumer.stop();
      await bus.close();
    },
    crash: () => consumer.crash(),
  };
}

async function deadLetterCount(bus: EventBus): Promise<number> {
  return (await bus.jsm.streams.info(bus.deadLetterStream)).state.messages;
}

/** Publishes a workload to a stream of its own, consumes it with `variant` until every event is handled or dead-lettered. */
export async function runScenario(settings: ScenarioSettings): Promise<ScenarioResult> {
  const { variant, interruption, faults } = settings;
  if (variant === 'per-subject' && interruption !== 'none') {
    throw new Error('today’s consumers are measured without interruptions');
  }
  const names = testEventNames();
  const publisher = await connectBus(names, 'publisher');
  try {
    await publisher.ensureStreams();
    const workload = orderWorkload(settings.keys, settings.batch);
    await publishWorkload(publisher, workload.events);
    const total = workload.events.length;
    const ledger = new Ledger(workload.positions);
    const handle = syntheticHandler(settings.costMs, faults, ledger);
    const start = (rewind: boolean) =>
      variant === 'per-subject'
        ? startPerSubject(names, handle, settings)
        : startFamily(names, handle, ledger, settings, rewind);
    const rewinds = interruption !== 'crash-no-rewind' && interruption !== 'two-instances';

    const started = now();
    const running = [await start(rewinds)];
    if (interruption === 'two-instances') running.push(await start(false));
    if (interruption === 'restart' || interruption.startsWith('crash')) {
      // Not half-way: the crash point should not fall on a batch boundary of the workload.
      await waitFor(() => ledger.handledEvents >= total * 0.4, {
        timeoutMs: settings.timeoutMs,
        intervalMs: 5,
        message: '40 % of the events handled',
      });
      await (interruption === 'restart' ? running[0]!.stop() : running[0]!.crash());
      running[0] = await start(rewinds);
    }
    const resolved = async () =>
      ledger.handledEvents + (faults.poisonEvery > 0 ? await deadLetterCount(publisher) : 0);
    await waitFor(async () => (await resolved()) >= total, {
      timeoutMs: settings.timeoutMs,
      intervalMs: 5,
      message: `all ${total} events handled or dead-lettered (${variant}, ${interruption})`,
    });
    const elapsedMs = now() - started;
    await Promise.all(running.map((instance) => instance.stop()));

    return {
      events: total,
      elapsedMs,
      eventsPerSecond: total / (elapsedMs / 1000),
      handled: ledger.handledEvents,
      deadLettered: await deadLetterCount(publisher),
      duplicates: ledger.duplicates,
      violations: ledger.violations.length,
      keysOutOfOrder: ledger.keysOutOfOrder,
      firstViolations: ledger.violations.slice(0, 3),
    };
  } finally {
    for (const stream of [publisher.stream, publisher.deadLetterStream]) {
      await publisher.jsm.streams.delete(stream).catch(() => {});
    }
    await publisher.close();
  }
}
