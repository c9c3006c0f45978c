import { errorMessage, runLoad } from '../harness/load.js';
import { bearer } from '../harness/sessions.js';
import type { Attempt, RaceResult } from './buyers.js';

/** The buyers race through the gateway: one `POST /api/orders` each, `connections` in flight. */
export async function raceThroughGateway(
  baseUrl: string,
  attempts: Attempt[],
  connections: number,
): Promise<RaceResult> {
  const rejections: Record<string, number> = {};
  const prepared = attempts.map(({ buyer, ticketId }) => ({
    path: '/api/orders',
    body: JSON.stringify({ ticketId }),
    headers: { 'content-type': 'application/json', ...bearer(buyer) },
  }));
  let sent = 0;
  const result = await runLoad({
    url: baseUrl,
    connections,
    amount: attempts.length,
    method: 'POST',
    request: (n) => {
      sent = Math.max(sent, n + 1);
      return prepared[n % prepared.length]!;
    },
    onRejected: (status, body) => {
      const key = `${status} ${errorMessage(body)}`;
      rejections[key] = (rejections[key] ?? 0) + 1;
    },
  });
  if (sent !== attempts.length) {
    throw new Error(`sent ${sent} requests for ${attempts.length} buyers: some buyer went twice`);
  }
  return {
    requests: result.requests,
    seconds: result.seconds,
    latencies: result.latencies,
    statuses: result.statuses,
    rejections,
    ordersPerSecond: (result.statuses['201'] ?? 0) / result.seconds,
  };
}
