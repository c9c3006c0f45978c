/**
 * The stub service behind the gateway in bench/gateway-cost: answers every request
 * at once with a fixed ticket-sized JSON body, so the gateway's own work is what
 * the benchmark measures (its CPU is not counted).
 *
 *   PORT=… node --import tsx bench/gateway-cost/upstream.ts
 */
import { createServer } from 'node:http';

const body = Buffer.from(
  JSON.stringify({
    id: '0b5f3d2c-6a51-4b0e-9a8e-6b1f2f7d9c11',
    title: 'Stub seat 42',
    price: 2500,
    currency: 'EUR',
    userId: '4c1d2e3f-1a2b-4c5d-8e9f-0a1b2c3d4e5f',
    orderId: null,
    version: 3,
    createdAt: '2026-12-02T12:00:00.000Z',
  }),
);
const server = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    response.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': body.length,
      'x-request-id': String(request.headers['x-request-id'] ?? ''),
    });
    response.end(body);
  });
});
server.keepAliveTimeout = 72_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
});
