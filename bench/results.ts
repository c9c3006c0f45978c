import type { ExpiryResult } from './expiry/burst.js';
import type { RaceResult } from './flash-sale/buyers.js';
import type { SaleProof } from './flash-sale/proof.js';
import type { CpuUsage } from './harness/cpu.js';
import type { ListenQueueWatch } from './harness/listen-queue.js';
import type { Machine } from './harness/machine.js';
import type { Summary } from './harness/stats.js';
import type { PropagationHops } from './propagation/probe.js';
import type { ReadTargetResult } from './read-path/measure.js';

/** The expiration worker's concurrency in results saved before it was a setting. */
export const EARLIER_WORKER_CONCURRENCY = 50;

/** One side of one flash-sale round: through the gateway, or the reference transaction. */
export interface SaleSide extends RaceResult {
  proof: SaleProof;
  cpu: CpuUsage;
  /** ticket.created → orders replica latencies of probe tickets listed during the race, ms. */
  propagation?: number[];
  /** The same, split where JetStream stored each ticket.created. */
  propagationHops?: PropagationHops;
}

export interface SaleRound {
  gateway: SaleSide;
  reference: SaleSide;
  /** The same probe with nothing else running, ms. */
  idlePropagation: number[];
  idleHops?: PropagationHops;
}

/** Propagation's two hops, summarised (runs saved before they were measured have none). */
export interface HopSummaries {
  relay: Summary;
  consumer: Summary;
}

type WithoutSamples<T extends SaleSide> = Omit<
  T,
  'latencies' | 'propagation' | 'propagationHops'
> & {
  latency: Summary;
  propagation?: Summary;
};

export interface SaleSideTotal {
  requests: number;
  ordersPerSecond: number;
  latency: Summary;
}

export interface BenchResults {
  startedAt: string;
  seconds: number;
  machine: { before: Machine; after: Machine; postgres: string; nats: string; redis: string };
  buildSeconds: number | undefined;
  startupSeconds: number;
  readPath: ReadTargetResult[];
  /** `GET /api/tickets?eventId=…&sort=price` (absent in runs saved before it was measured). */
  readList?: ReadTargetResult[];
  sale: {
    rounds: Array<{
      gateway: WithoutSamples<SaleSide>;
      reference: WithoutSamples<SaleSide>;
      idlePropagation: Summary;
    }>;
    gateway: SaleSideTotal;
    reference: SaleSideTotal;
    /** Medians over rounds of gateway ÷ reference in the same round. */
    ratio: { ordersPerSecond: number; p50: number; p99: number };
    propagation: {
      duringSale: Summary;
      idle: Summary;
      ratio: { p50: number; p99: number };
      hops?: { duringSale: HopSummaries; idle: HopSummaries };
    };
  };
  expiry: ExpiryResult & {
    /** Bare BullMQ at the worker's concurrency, both runs. */
    reference: Summary;
    referenceRuns: Summary[];
    /** Bare BullMQ at EARLIER_WORKER_CONCURRENCY too, when the worker's differs: its fastest. */
    referenceAtEarlier?: Summary;
  };
  /** The overload run (issue 18), when the benchmark has one: its chart is drawn only then. */
  overload?: OverloadStep[];
  /** The closed-loop run that measured the capacity the overload steps are multiples of. */
  overloadCapacity?: OverloadStep;
}

/** One offered load of an overload run, on one target. */
export interface OverloadStep {
  /** What was loaded, e.g. `gateway → orders`; one curve each. */
  target: string;
  /** Requests per second sent. */
  offeredPerSecond: number;
  /** Requests per second answered with success. */
  goodputPerSecond: number;
  /** p99 latency of the admitted (not refused) requests, ms. */
  admittedP99: number;
  /** Offered load ÷ capacity; 0 for the capacity run itself (a closed loop). */
  multiple?: number;
  /** The capacity measured in the same run, answers/s. */
  capacityPerSecond?: number;
  sent?: number;
  /** Answers by status (`error`, `timeout`: no answer). */
  statuses?: Record<string, number>;
  /** 503 answers, and those of them with `Retry-After` (admission refusals). */
  refused?: number;
  refusedWithRetryAfter?: number;
  /** p99 latency of the refusals, ms: a refusal must be quick. */
  refusedP99?: number;
  /**
   * Who refused, by `<service> <limit>` (admission's counters, read before and after
   * the step): the gateway's refusals are cheap, a service's cost a proxied request.
   */
  refusedBy?: Record<string, number>;
  /** 5xx other than 503 + Retry-After, connection errors and timeouts: must be 0. */
  otherServerErrors?: number;
  /** Orders created (201). */
  created?: number;
  /** Tickets of the step with more than one order: must be 0. */
  oversold?: number;
  /** CPU while the step's load was offered: who spent the two cores. */
  cpu?: CpuUsage;
  /**
   * In front of the gateway meanwhile: the most connections its accept queue held
   * (sampled every 250 ms) and the handshakes the machine dropped on a full queue.
   */
  listen?: ListenQueueWatch;
}

/** What a run with `--only` measured: the phases it skipped are absent. */
export type PhaseResults = Omit<BenchResults, 'readPath' | 'sale' | 'expiry'> &
  Partial<Pick<BenchResults, 'readPath' | 'sale' | 'expiry'>>;

/** True when every phase ran, so that the whole report can be written. */
export function isComplete(r: PhaseResults): r is BenchResults {
  return r.readPath !== undefined && r.sale !== undefined && r.expiry !== undefined;
}
