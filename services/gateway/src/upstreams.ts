import { splitUrlList } from '@gittix/common';
import type { GatewayConfig } from './config.js';

/** A service the gateway forwards one path prefix to. */
export interface Upstream {
  /** Said to clients when it is down: "Tickets service unavailable". */
  label: string;
  /** The first replica's base URL (its OpenAPI document, span attributes). */
  url: string;
  /** Every replica's base URL; requests are spread over them (`ReplicaPicker`). */
  urls: string[];
  /** Path prefix, forwarded unchanged; undefined for the catch-all web app. */
  prefix?: string;
  /** Where the service publishes its OpenAPI document, merged into /api/docs. */
  openapiPath?: string;
  /** Whether to forward WebSocket upgrades (the web app's dev server uses them). */
  websocket?: boolean;
}

/** The routing table: API groups to their services, everything else to the web app. */
export function upstreamsFrom(config: GatewayConfig): Upstream[] {
  const replicas = (list: string) => {
    const urls = splitUrlList(list);
    return { url: urls[0]!, urls };
  };
  const api = (label: string, list: string, group: string): Upstream => ({
    label,
    ...replicas(list),
    prefix: `/api/${group}`,
    openapiPath: `/api/${group}/openapi.json`,
  });
  return [
    api('Users', config.AUTH_URL, 'users'),
    api('Tickets', config.TICKETS_URL, 'tickets'),
    // The events catalogue lives in the tickets service (its OpenAPI is tickets').
    { label: 'Tickets', ...replicas(config.TICKETS_URL), prefix: '/api/events' },
    api('Orders', config.ORDERS_URL, 'orders'),
    api('Payments', config.PAYMENTS_URL, 'payments'),
    // Payouts live in the payments service; its OpenAPI document (above) covers them.
    { label: 'Payouts', ...replicas(config.PAYMENTS_URL), prefix: '/api/payouts' },
    { label: 'Web', ...replicas(config.WEB_URL), websocket: true },
  ];
}

/**
 * Round-robin over an upstream's replicas, passing over one that refused a
 * connection in the last `restMs` (it is down or restarting: sending it more
 * requests only makes more 503s). When every replica is resting, plain
 * round-robin again: one of them may be back.
 */
export class ReplicaPicker {
  private next = 0;
  private readonly restingUntil = new Map<string, number>();

  constructor(
    readonly urls: string[],
    private readonly restMs = 2_000,
    private readonly now: () => number = Date.now,
  ) {}

  pick(): string {
    const at = this.now();
    for (let tried = 0; tried < this.urls.length; tried++) {
      const url = this.urls[this.next++ % this.urls.length]!;
      if ((this.restingUntil.get(url) ?? 0) <= at) return url;
    }
    return this.urls[this.next++ % this.urls.length]!;
  }

  /** The replica at `url` could not be reached: pass over it for a while. */
  unreachable(url: string): void {
    this.restingUntil.set(url, this.now() + this.restMs);
  }
}
