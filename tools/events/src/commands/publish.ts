import { randomUUID } from 'node:crypto';
import { createEnvelope, type EventBus, eventSchemas, isSubject, subjects } from '@gittix/common';
import { CliError, type Output } from '../output.js';

/**
 * Publishes one event by hand: the data is checked against the subject's
 * schema from @gittix/common, wrapped in an envelope with a fresh id (also its
 * Nats-Msg-Id), and the id is printed.
 */
export async function publishCommand(
  bus: EventBus,
  out: Output,
  subject: string,
  json: string,
): Promise<string> {
  if (!isSubject(subject)) {
    throw new CliError(`Unknown subject "${subject}". Known subjects: ${subjects.join(', ')}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new CliError(`Data is not valid JSON: ${(error as Error).message}`);
  }
  const result = eventSchemas[subject].safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `  ${issue.path.join('.') || '(data)'}: ${issue.message}`,
    );
    throw new CliError(`Invalid ${subject} data:\n${problems.join('\n')}`);
  }
  const envelope = createEnvelope(subject, result.data, randomUUID());
  try {
    await bus.publish(envelope);
  } catch (error) {
    throw new CliError(
      `Could not publish to ${bus.subjectOf(subject)} in stream ${bus.stream}: ${(error as Error).message}` +
        ' (is NATS_STREAM/NATS_SUBJECT_PREFIX right, and has a service created the stream?)',
    );
  }
  out.line(envelope.id);
  return envelope.id;
}
