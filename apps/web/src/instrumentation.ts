import type { Instrumentation } from 'next';

/** Runs once as the server starts; the Node.js part lives apart from the Edge bundle. */
export async function register() {
  if (process.env.NEXT_RUNTIME === 'nodejs') await import('./instrumentation-node');
}

/** A page or route failed on the server: one JSON log line with its trace id. */
export const onRequestError: Instrumentation.onRequestError = async (error, request, context) => {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { logRequestError } = await import('./lib/request-errors');
  logRequestError(error, request, context);
};
