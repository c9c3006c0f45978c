/**
 * Child process of the benchmark: hears, through LISTEN, each probe ticket's
 * commit in the tickets database and its arrival committed in the orders
 * replica (both notified by triggers the benchmark installs, see triggers.ts),
 * and timestamps them. A process of its own so that the load generator's busy
 * event loop does not delay the timestamps.
 *
 *   TICKETS_DATABASE_URL=… ORDERS_DATABASE_URL=… node --import tsx bench/propagation/observer.ts
 */
import pg from 'pg';
import { COMMITTED_CHANNEL, REPLICATED_CHANNEL } from './triggers.js';

const now = () => performance.timeOrigin + performance.now();
const heard = { committed: new Map<string, number>(), replicated: new Map<string, number>() };

async function listen(url: string, channel: string, into: Map<string, number>) {
  const client = new pg.Client({ connectionString: url });
  // A lost connection ends the observer; the benchmark then times out waiting for it.
  client.on('error', (error) => {
    process.stderr.write(`propagation observer: ${error.message}\n`);
    process.exit(1);
  });
  client.on('notification', (message) => {
    if (message.payload && !into.has(message.payload)) into.set(message.payload, now());
  });
  await client.connect();
  await client.query(`LISTEN ${channel}`);
  return client;
}

const clients = await Promise.all([
  listen(process.env.TICKETS_DATABASE_URL!, COMMITTED_CHANNEL, heard.committed),
  listen(process.env.ORDERS_DATABASE_URL!, REPLICATED_CHANNEL, heard.replicated),
]);

process.on('message', (message) => {
  if (message === 'collect') {
    process.send?.({
      committed: [...heard.committed],
      replicated: [...heard.replicated],
      // JetStream stamps messages with the wall clock: what to add to one of its times.
      wallToObserver: now() - Date.now(),
    });
    heard.committed.clear();
    heard.replicated.clear();
  }
});
process.on('disconnect', () => void Promise.all(clients.map((c) => c.end())));
process.send?.('ready');
