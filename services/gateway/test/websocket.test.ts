import { once } from 'node:events';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { buildGateway, closedUrl, type FakeService, startFakeService } from './upstreams.js';

let web: FakeService;
let sockets: WebSocketServer;
let gateway: FastifyInstance;
let gatewayUrl: string;

beforeAll(async () => {
  web = await startFakeService('web');
  // Echoes each message with the path it was opened on, like a dev server's HMR socket.
  sockets = new WebSocketServer({ server: web.server });
  sockets.on('connection', (socket, request) => {
    socket.on('message', (data) => socket.send(`${request.url} ${data}`));
  });
  const down = await closedUrl();
  gateway = await buildGateway({
    users: down,
    tickets: down,
    orders: down,
    payments: down,
    web: web.url,
  });
  gatewayUrl = await gateway.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await gateway?.close();
  sockets?.close();
  await web?.close();
});

describe('WebSocket upgrades to the web app', () => {
  it('when the browser opens a WebSocket, then it reaches the web app and messages flow both ways', async () => {
    const client = new WebSocket(`${gatewayUrl.replace('http', 'ws')}/_next/webpack-hmr`);
    try {
      await once(client, 'open');
      client.send('ping');
      const [reply] = await once(client, 'message');

      expect(String(reply)).toBe('/_next/webpack-hmr ping');
    } finally {
      client.close();
    }
  });
});
