import type { EventBus } from '@gittix/common';
import { JetStreamApiCodes, JetStreamApiError, type StreamInfo } from '@nats-io/jetstream';
import { CliError } from './output.js';

/**
 * The stream's info, or a CliError saying it is not there: a mistyped NATS_STREAM
 * or a server no service has started on is the user's to fix, not a stack trace.
 */
export async function requireStream(bus: EventBus, name: string): Promise<StreamInfo> {
  try {
    return await bus.jsm.streams.info(name);
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) {
      throw new CliError(
        `Stream ${name} does not exist (is NATS_STREAM right, and has a service started with it?)`,
      );
    }
    throw error;
  }
}
