import type { GatewayConfig } from './config.js';

/** A service the gateway forwards one path prefix to. */
export interface Upstream {
  /** Said to clients when it is down: "Tickets service unavailable". */
  label: string;
  url: string;
  /** Path prefix, forwarded unchanged; undefined for the catch-all web app. */
  prefix?: string;
  /** Where the service publishes its OpenAPI document, merged into /api/docs. */
  openapiPath?: string;
  /** Whether to forward WebSocket upgrades (the web app's dev server uses them). */
  websocket?: boolean;
}

/** The routing table: API groups to their services, everything else to the web app. */
export function upstreamsFrom(config: GatewayConfig): Upstream[] {
  const api = (label: string, url: string, group: string): Upstream => ({
    label,
    url,
    prefix: `/api/${group}`,
    openapiPath: `/api/${group}/openapi.json`,
  });
  return [
    api('Users', config.AUTH_URL, 'users'),
    api('Tickets', config.TICKETS_URL, 'tickets'),
    // The events catalogue lives in the tickets service (its OpenAPI is tickets').
    { label: 'Tickets', url: config.TICKETS_URL, prefix: '/api/events' },
    api('Orders', config.ORDERS_URL, 'orders'),
    api('Payments', config.PAYMENTS_URL, 'payments'),
    // Payouts live in the payments service; its OpenAPI document (above) covers them.
    { label: 'Payouts', url: config.PAYMENTS_URL, prefix: '/api/payouts' },
    { label: 'Web', url: config.WEB_URL, websocket: true },
  ];
}
