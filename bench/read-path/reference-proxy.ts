/**
 * The ceiling for one proxy hop in Node on this machine: a bare node:http
 * server forwarding every request to the reference server over kept-alive
 * connections and streaming the answer back. The gateway does this plus its
 * own work (routing, request ids, forwarded headers, timeouts, metrics, logs).
 *
 *   UPSTREAM=http://127.0.0.1:… PORT=… node --import tsx bench/read-path/reference-proxy.ts
 */
import { Agent, createServer, request } from 'node:http';

const upstream = new URL(process.env.UPSTREAM!);
const agent = new Agent({ keepAlive: true, maxSockets: 128 });

const server = createServer((incoming, outgoing) => {
  const forwarded = request(
    {
      agent,
      host: upstream.hostname,
      port: upstream.port,
      method: incoming.method,
      path: incoming.url,
      headers: incoming.headers,
    },
    (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    },
  );
  forwarded.on('error', () => outgoing.writeHead(502).end());
  incoming.pipe(forwarded);
});
server.keepAliveTimeout = 72_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  agent.destroy();
});
