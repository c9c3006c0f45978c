import { checkHttp } from '../../scripts/system/network.js';

/** One service's /readyz answer changing, in the run's clock. */
export interface ReadinessChange {
  at: number;
  service: string;
  ready: boolean;
}

const POLL_INTERVAL_MS = 200;
const PROBE_TIMEOUT_MS = 2_000;

/**
 * Polls every service's /readyz (the gateway's too) all run long, so that each
 * fault's recovery is read off one timeline: when each service went unready,
 * and the first moment after a restart at which all of them answered 200.
 */
export class ReadinessMonitor {
  readonly changes: ReadinessChange[] = [];
  /** Times at which every service answered 200 in the same round. */
  private readonly allReadyRounds: number[] = [];
  private readonly state = new Map<string, boolean>();
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly ports: Record<string, number>,
    private readonly clock: () => number,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /**
   * Ready = 2xx. checkHttp, as the launcher's readiness waits: a probe cannot
   * outlive its timeout (a round of fetches with AbortSignal.timeout once never
   * settled, scripts/system/network.ts).
   */
  private async probe(port: number): Promise<boolean> {
    const check = await checkHttp(`http://127.0.0.1:${port}/readyz`, PROBE_TIMEOUT_MS);
    return 'status' in check && check.status >= 200 && check.status < 300;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const round = this.clock();
      const names = Object.keys(this.ports);
      const results = await Promise.all(names.map((name) => this.probe(this.ports[name]!)));
      const answered = this.clock();
      names.forEach((name, i) => {
        const ready = results[i]!;
        if (this.state.get(name) !== ready) {
          this.state.set(name, ready);
          this.changes.push({ at: answered, service: name, ready });
        }
      });
      if (results.every(Boolean)) this.allReadyRounds.push(round);
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
  }

  /** The first round started at or after `since` in which every service was ready. */
  allReadySince(since: number): number | undefined {
    return this.allReadyRounds.find((at) => at >= since);
  }

  /** When `service` first answered 200 at or after `since`. */
  readySince(service: string, since: number): number | undefined {
    return this.changes.find((c) => c.service === service && c.ready && c.at >= since)?.at;
  }

  /** Services that went unready between `from` and `to`. */
  unreadyBetween(from: number, to: number): string[] {
    const names = new Set(
      this.changes.filter((c) => !c.ready && c.at >= from && c.at <= to).map((c) => c.service),
    );
    return [...names].sort();
  }

  /** Waits until every service is ready in one round at or after `since`. */
  async waitAllReady(since: number, timeoutMs: number): Promise<number | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const at = this.allReadySince(since);
      if (at !== undefined) return at;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return undefined;
  }
}
