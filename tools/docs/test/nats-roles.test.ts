import { readFile } from 'node:fs/promises';
import { isNatsRole, type NatsRole, natsRoles, type Subject } from '@gittix/common';
import { describe, expect, it } from 'vitest';
import { expirationSubscriptions } from '../../../services/expiration/src/events/subscriptions.js';
import { notificationsSubscriptions } from '../../../services/notifications/src/events/subscriptions.js';
import { ordersSubscriptions } from '../../../services/orders/src/events/subscriptions.js';
import { paymentsSubscriptions } from '../../../services/payments/src/events/subscriptions.js';
import { ticketsSubscriptions } from '../../../services/tickets/src/events/subscriptions.js';
import { eventsTable } from '../src/diagram-checks.js';

// Only the subjects are read: the handlers' collaborators are never called.
const unused = {} as never;
const subscribed: Record<string, Subject[]> = {
  tickets: ticketsSubscriptions.map((s) => s.subject),
  orders: ordersSubscriptions.map((s) => s.subject),
  expiration: expirationSubscriptions(unused).map((s) => s.subject),
  payments: paymentsSubscriptions.map((s) => s.subject),
  notifications: notificationsSubscriptions(unused).map((s) => s.subject),
};

describe('NATS permissions follow who publishes and consumes what', () => {
  it('when docs/events.md says a service publishes or consumes a subject, then its NATS role allows exactly that', async () => {
    const table = eventsTable(
      await readFile(new URL('../../../docs/events.md', import.meta.url), 'utf8'),
    );
    const publishes = new Map<string, Subject[]>();
    const consumes = new Map<string, Subject[]>();
    for (const [subject, { publisher, consumers }] of table) {
      publishes.set(publisher, [...(publishes.get(publisher) ?? []), subject as Subject]);
      for (const consumer of consumers) {
        consumes.set(consumer, [...(consumes.get(consumer) ?? []), subject as Subject]);
      }
    }
    for (const name of [...publishes.keys(), ...consumes.keys()]) {
      expect(isNatsRole(name), `${name} has a NATS role`).toBe(true);
    }
    for (const [role, { publishes: allowed, consumes: reads }] of Object.entries(natsRoles)) {
      expect([...allowed].sort(), `${role} publishes`).toEqual((publishes.get(role) ?? []).sort());
      expect([...reads].sort(), `${role} consumes`).toEqual((consumes.get(role) ?? []).sort());
    }
  });

  it('when a service subscribes to a subject, then its NATS role lets it consume that subject', () => {
    for (const [service, subjects] of Object.entries(subscribed)) {
      const role = natsRoles[service as NatsRole];
      expect(role, service).toBeDefined();
      const allowed: readonly Subject[] = role.consumes;
      expect(
        subjects.filter((subject) => !allowed.includes(subject)),
        service,
      ).toEqual([]);
    }
  });
});
