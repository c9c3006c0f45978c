import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestService } from '@gittix/common/testing';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { gatewayService } from '../src/service.js';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface FakeService {
  name: string;
  url: string;
  seen: SeenRequest[];
  server: Server;
  close: () => Promise<void>;
}

type Handler = (request: SeenRequest, response: ServerResponse) => void;

/**
 * A real HTTP server standing in for a service: it records each request and,
 * unless told otherwise, answers with what it saw so tests can check forwarding.
 */
export async function startFakeService(name: string, handler?: Handler): Promise<FakeService> {
  const seen: SeenRequest[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer);
    } catch {
      // The upload was cut off on the way (the gateway's 413): the request never arrived.
      return;
    }
    const request = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: Buffer.concat(chunks).toString(),
    };
    seen.push(request);
    if (handler) return handler(request, res);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ service: name, method: request.method, url: request.url }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    seen,
    server,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A URL nothing listens on: connecting to it is refused at once. */
export async function closedUrl(): Promise<string> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

export interface GatewayUrls {
  users: string;
  tickets: string;
  orders: string;
  payments: string;
  web: string;
}

/** The gateway as main.ts builds it, from the environment it would read. */
export async function buildGateway(
  urls: GatewayUrls,
  options: {
    responseTimeoutMs?: number;
    trustProxy?: string;
    env?: Record<string, string>;
    logger?: Logger;
  } = {},
): Promise<FastifyInstance> {
  const gateway = await startTestService(gatewayService, {
    ...(options.logger ? { logger: options.logger } : {}),
    env: {
      AUTH_URL: urls.users,
      TICKETS_URL: urls.tickets,
      ORDERS_URL: urls.orders,
      PAYMENTS_URL: urls.payments,
      WEB_URL: urls.web,
      UPSTREAM_CONNECT_TIMEOUT_MS: '1000',
      UPSTREAM_TIMEOUT_MS: String(options.responseTimeoutMs ?? 5_000),
      TRUST_PROXY: options.trustProxy ?? 'false',
      ...options.env,
    },
  });
  // The gateway opens no connections: closing its app is closing it.
  return gateway.app;
}

/** The five upstreams the gateway routes to, each a fake service of its own. */
export type FakeUpstreams = Record<keyof GatewayUrls, FakeService>;

/**
 * A gateway in front of a fake service per upstream (each echoes what it was sent):
 * `close` stops the gateway, then the fakes.
 */
export async function gatewayWithFakes(): Promise<{
  gateway: FastifyInstance;
  services: FakeUpstreams;
  close: () => Promise<void>;
}> {
  const [users, tickets, orders, payments, web] = await Promise.all(
    ['users', 'tickets', 'orders', 'payments', 'web'].map((name) => startFakeService(name)),
  );
  const services = {
    users: users!,
    tickets: tickets!,
    orders: orders!,
    payments: payments!,
    web: web!,
  };
  const started = Object.values(services);
  const gateway = await buildGateway({
    users: services.users.url,
    tickets: services.tickets.url,
    orders: services.orders.url,
    payments: services.payments.url,
    web: services.web.url,
  });
  return {
    gateway,
    services,
    close: async () => {
      await gateway.close();
      await Promise.all(started.map((service) => service.close()));
    },
  };
}
