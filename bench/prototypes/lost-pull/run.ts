/**
 * `npm run bench:lost-pull`: does this machine's NATS drop a pull request without a word
 * when a message arrives as the request expires? (docs/fuzzing.md, finding #13)
 *
 * Each round makes one fetch of one message on a stream of its own, and publishes one
 * message within a few milliseconds of that fetch's expiry. A server that answers every
 * request delivers it, or ends the request with a 408 and the next fetch gets it at
 * once. One that drops the request sends neither: the fetch waits for its idle
 * heartbeats, which stop coming, and the message waits for the next fetch.
 *
 *   npm run bench:lost-pull -- [--rounds 300] [--expires-ms 1000] [--spread-ms 3]
 */
import { parseArgs } from 'node:util';
import { AckPolicy, type Consumer, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '300' },
    'expires-ms': { type: 'string', default: '1000' },
    'spread-ms': { type: 'string', default: '3' },
    nats: { type: 'string', default: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' },
  },
});
const rounds = Number(args.rounds);
const expiresMs = Number(args['expires-ms']);
const spreadMs = Number(args['spread-ms']);

interface Round {
  /** When the message was published, relative to the fetch's expiry (ms). */
  offsetMs: number;
  /** How the fetch ended: with the message, empty (a 408), or by missed heartbeats. */
  ending: 'message' | 'expired' | 'heartbeats missed';
  /** Publish to the message reaching this process (ms). */
  latencyMs: number;
}

const nc = await connect({ servers: args.nats });
const jsm = await jetstreamManager(nc);
const js = jetstream(nc);
const stream = `LOST_PULL_${process.pid}`;
const subject = `lostpull${process.pid}.probe`;
await jsm.streams.add({ name: stream, subjects: [subject], max_bytes: 1 << 20 });
try {
  await jsm.consumers.add(stream, { durable_name: 'probe', ack_policy: AckPolicy.Explicit });
  const consumer = await js.consumers.get(stream, 'probe');
  const results: Round[] = [];
  for (let round = 0; round < rounds; round++) {
    const offsetMs = (round % (2 * spreadMs + 1)) - spreadMs;
    results.push(await probe(consumer, offsetMs));
  }
  report(results);
} finally {
  await jsm.streams.delete(stream);
  await nc.close();
}

async function probe(consumer: Consumer, offsetMs: number): Promise<Round> {
  const messages = await consumer.fetch({ max_messages: 1, expires: expiresMs });
  let publishedAt = 0;
  const publishing = new Promise<void>((resolve, reject) => {
    setTimeout(() => {
      publishedAt = Date.now();
      js.publish(subject, String(offsetMs)).then(() => resolve(), reject);
    }, expiresMs + offsetMs);
  });
  let ending: Round['ending'] = 'expired';
  try {
    for await (const message of messages) {
      message.ack();
      await publishing;
      return { offsetMs, ending: 'message', latencyMs: Date.now() - publishedAt };
    }
  } catch (error) {
    if (!(error instanceof Error) || error.message !== 'heartbeats missed') throw error;
    ending = 'heartbeats missed';
  }
  await publishing;
  // The message is in the stream: the next fetch brings it.
  for await (const message of await consumer.fetch({ max_messages: 1, expires: expiresMs })) {
    message.ack();
    return { offsetMs, ending, latencyMs: Date.now() - publishedAt };
  }
  throw new Error(`the message published ${offsetMs} ms from the expiry never came`);
}

function report(results: Round[]): void {
  const lost = results.filter((round) => round.ending === 'heartbeats missed');
  const latencies = results.map((round) => round.latencyMs).toSorted((a, b) => a - b);
  const server = nc.info?.version ?? 'unknown';
  console.log(
    `nats-server ${server}: ${rounds} fetches of ${expiresMs} ms, a message published ` +
      `${-spreadMs} to +${spreadMs} ms from each one's expiry`,
  );
  console.log(
    `  ended with the message: ${results.filter((round) => round.ending === 'message').length}; ` +
      `empty with a 408: ${results.filter((round) => round.ending === 'expired').length}; ` +
      `lost (no 408, no heartbeat): ${lost.length}`,
  );
  console.log(
    `  lost at offsets (ms): ${lost.map((round) => round.offsetMs).join(', ') || 'none'}`,
  );
  console.log(
    `  publish → received: median ${latencies[latencies.length >> 1]} ms, ` +
      `worst ${latencies.at(-1)} ms`,
  );
}
