import { describe, expect, it } from 'vitest';
import { nothingHandledTwice, replicaShareSection, shareOfWork } from '../chaos/replica-share.js';

const line = (entry: Record<string, unknown>) => JSON.stringify({ level: 30, ...entry });
const request = (url: string) => line({ msg: 'request completed', req: { method: 'GET', url } });
const handled = (subject: string, eventId: string) =>
  line({ level: 20, msg: 'event handled', subject, eventId });
const duplicate = (subject: string, eventId: string) =>
  line({ level: 20, msg: 'duplicate event ignored', subject, eventId });
const log = (...lines: string[]) => `${lines.join('\n')}\n`;

describe('chaos cluster: per-replica share of work', () => {
  it('when two replicas share requests and a durable consumer, then each one is counted apart and nothing is twice', () => {
    const share = shareOfWork({
      orders: log(
        request('/api/orders'),
        request('/api/orders/1'),
        request('/readyz'),
        handled('ticket.created', 'e1'),
        'not json: a stack trace line',
      ),
      'orders-2': log(request('/api/orders'), handled('ticket.created', 'e2')),
    });

    expect(share.replicas.map((r) => [r.process, r.requests, r.handled])).toEqual([
      ['orders', 2, { 'ticket.created': 1 }],
      ['orders-2', 1, { 'ticket.created': 1 }],
    ]);
    expect(share.eventsHandled).toBe(2);
    expect(nothingHandledTwice(share).pass).toBe(true);
  });

  it('when an event is delivered again to the other replica and its inbox ignores it, then it is a duplicate ignored, not handled twice', () => {
    const share = shareOfWork({
      payments: log(handled('order.created', 'e1')),
      'payments-2': log(duplicate('order.created', 'e1'), handled('order.created', 'e1')),
    });

    expect(share.duplicatesIgnored).toBe(1);
    expect(share.appliedTwice).toEqual([]);
    expect(nothingHandledTwice(share).pass).toBe(true);
  });

  it('when two replicas both applied the same event, then the invariant fails naming it', () => {
    const share = shareOfWork({
      tickets: log(handled('order.created', 'e9')),
      'tickets-2': log(handled('order.created', 'e9')),
    });

    const result = nothingHandledTwice(share);
    expect(result.pass).toBe(false);
    expect(result.violations).toEqual(['tickets order.created e9: applied 2 times']);
  });

  it('when the same event id reaches two services, then each service handling it once is not twice', () => {
    const share = shareOfWork({
      tickets: log(handled('order.created', 'e1')),
      payments: log(handled('order.created', 'e1')),
    });

    expect(share.appliedTwice).toEqual([]);
  });

  it('when the section is rendered, then each replica has its row with its share of its service', () => {
    const section = replicaShareSection(
      shareOfWork({
        orders: log(request('/api/orders'), request('/api/orders'), request('/api/orders')),
        'orders-2': log(request('/api/orders'), handled('ticket.created', 'e1')),
      }),
    );

    expect(section).toContain('## Per-replica share of work');
    expect(section).toMatch(/\| orders\s+\| 3\s+\| 75 %\s+\| 0\s+\| 0 %/);
    expect(section).toMatch(/\| orders-2\s+\| 1\s+\| 25 %\s+\| 1\s+\| 100 %\s+\| ticket.created 1/);
    expect(section).toContain('effects applied twice: 0');
  });
});
