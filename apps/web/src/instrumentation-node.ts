import { webConfig } from './lib/config';

// A wrong setting stops the server at start-up, with one line naming it, rather than
// failing every page later (Next only logs an error thrown by `register`).
try {
  webConfig();
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
