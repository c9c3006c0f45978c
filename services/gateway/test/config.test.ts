import { ConfigError, loadConfig } from '@gittix/common';
import { describe, expect, it } from 'vitest';
import { gatewayConfigSchema } from '../src/config.js';
import { upstreamsFrom } from '../src/upstreams.js';

describe('gateway configuration', () => {
  it('when nothing is set, then it listens on 3000 and routes to the standard local ports', () => {
    const config = loadConfig(gatewayConfigSchema, {});

    expect(config).toMatchObject({
      PORT: 3000,
      AUTH_URL: 'http://127.0.0.1:3001',
      TICKETS_URL: 'http://127.0.0.1:3002',
      ORDERS_URL: 'http://127.0.0.1:3003',
      PAYMENTS_URL: 'http://127.0.0.1:3005',
      WEB_URL: 'http://127.0.0.1:3100',
      UPSTREAM_CONNECT_TIMEOUT_MS: 2_000,
      UPSTREAM_TIMEOUT_MS: 15_000,
      TRUST_PROXY: false,
    });
  });

  it('when the routing table is built, then each API prefix has its service and the web app takes the rest', () => {
    const table = upstreamsFrom(loadConfig(gatewayConfigSchema, {}));

    expect(table.map(({ prefix, url }) => [prefix, url])).toEqual([
      ['/api/users', 'http://127.0.0.1:3001'],
      ['/api/tickets', 'http://127.0.0.1:3002'],
      ['/api/events', 'http://127.0.0.1:3002'],
      ['/api/orders', 'http://127.0.0.1:3003'],
      ['/api/payments', 'http://127.0.0.1:3005'],
      ['/api/payouts', 'http://127.0.0.1:3005'],
      [undefined, 'http://127.0.0.1:3100'],
    ]);
  });

  it.each([
    ['true', true],
    ['false', false],
    ['10.0.0.0/8, 192.168.1.1', ['10.0.0.0/8', '192.168.1.1']],
  ])('when TRUST_PROXY is %s, then Fastify gets %j', (value, expected) => {
    expect(loadConfig(gatewayConfigSchema, { TRUST_PROXY: value }).TRUST_PROXY).toEqual(expected);
  });

  it('when TRUST_PROXY is a hop count, then only that many proxies are trusted', () => {
    const trust = loadConfig(gatewayConfigSchema, { TRUST_PROXY: '1' }).TRUST_PROXY;

    expect(typeof trust).toBe('function');
    const trusts = trust as (address: string, hop: number) => boolean;
    expect(trusts('10.0.0.1', 0)).toBe(true);
    expect(trusts('10.0.0.2', 1)).toBe(false);
  });

  it('when URLs or timeouts are invalid, then one error names every bad key', () => {
    const attempt = () =>
      loadConfig(gatewayConfigSchema, {
        TICKETS_URL: 'tickets:3002',
        ORDERS_URL: 'http://orders-1:3003,orders-2:3003',
        WEB_URL: '',
        UPSTREAM_TIMEOUT_MS: '0',
      });

    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/TICKETS_URL.*ORDERS_URL.*WEB_URL.*UPSTREAM_TIMEOUT_MS/);
  });
});
