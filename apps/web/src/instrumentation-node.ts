import { webConfig } from './lib/config';
import { startTracing } from './lib/tracing';

// A wrong setting stops the server at start-up, with one line naming it, rather than
// failing every page later (Next only logs an error thrown by `register`).
try {
  startTracing(webConfig());
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
