import { DeliverPolicy, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';

/**
 * Every message of `stream` (only those `filter` matches, when given) as it is
 * now, oldest first, through a throwaway ordered consumer: nothing durable is
 * left behind. The events CLI's dead-letters reads this way, and so do bench
 * and chaos when a figure needs what the broker holds.
 */
export async function readStream(
  js: JetStreamClient,
  stream: string,
  filter?: string,
): Promise<JsMsg[]> {
  const consumer = await js.consumers.get(stream, {
    deliver_policy: DeliverPolicy.All,
    ...(filter ? { filter_subjects: filter } : {}),
  });
  const messages: JsMsg[] = [];
  try {
    // What matches right now; a fetch only ends early once it has them all.
    let remaining = (await consumer.info()).num_pending;
    while (remaining > 0) {
      const batch = await consumer.fetch({
        max_messages: Math.min(remaining, 512),
        expires: 5_000,
      });
      let got = 0;
      for await (const message of batch) {
        got++;
        messages.push(message);
        remaining = message.info.pending;
      }
      if (got === 0) break;
    }
  } finally {
    await consumer.delete().catch(() => {});
  }
  return messages;
}
