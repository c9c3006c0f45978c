/** Runs once as the server starts; the Node.js part lives apart from the Edge bundle. */
export async function register() {
  if (process.env.NEXT_RUNTIME === 'nodejs') await import('./instrumentation-node');
}
