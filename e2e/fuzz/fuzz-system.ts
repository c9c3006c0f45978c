import { createServer, type Server } from 'node:http';
import { type RunningSystem, startSystem } from '../harness/system.js';
import { Fixtures } from './fixtures.js';
import { send } from './raw-http.js';
import { SystemState } from './system-state.js';

export interface FuzzSystem {
  system: RunningSystem;
  state: SystemState;
  fixtures: Fixtures;
  stop(): Promise<void>;
}

/**
 * Auth's and payments' limits are raised and auth's hashing made cheap so that thousands of
 * sign-ups and sign-ins reach validation and the database instead of the
 * per-address 429; the per-email failure limit stays as shipped.
 */
const fuzzEnv = {
  AUTH_REQUESTS_PER_MINUTE: '1000000',
  SIGNIN_MAX_FAILURES_PER_ADDRESS: '1000000',
  ARGON2_MEMORY_KIB: '1024',
  ARGON2_TIME_COST: '2',
  ARGON2_PARALLELISM: '1',
  // Likewise payments' per-user limits: the fuzzer's one buyer pays far more than a person.
  PAYMENTS_RATE_LIMIT_PER_MINUTE: '1000000',
  PAYMENTS_MAX_IN_FLIGHT_PER_USER: '100',
  // An email whose first try failed while the machine was starting several systems at
  // once must be retried within a settle, not up to 5 minutes later.
  EMAIL_RETRY_MAX_MS: '2000',
  // Its made-up ids would each wait out the replica wait (2 s) before their 404; every
  // entity it names for real is settled before a run starts.
  REPLICA_WAIT_MS: '100',
};

/**
 * With `web: false` nothing listens on the web app's port and the gateway would
 * answer 503 for every path outside /api. This stand-in answers those in the
 * error shape, so that any 5xx the fuzzer sees comes from GitTix itself.
 */
function webStandIn(port: number): Promise<Server> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ errors: [{ message: 'Not found (web stand-in)' }] }));
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

/** One running GitTix for a fuzz file, with fixtures made and every event settled. */
export async function startFuzzSystem(): Promise<FuzzSystem> {
  // Holds outlast the longest run: an expiry firing mid-run would be a state change nobody made.
  const system = await startSystem({
    web: false,
    extraEnv: fuzzEnv,
    orderExpirationSeconds: 86_400,
  });
  const web = await webStandIn(system.settings.ports.web!);
  const state = await SystemState.open(system);
  try {
    const fixtures = await Fixtures.make(system.baseUrl);
    // The first settle follows the start, when other files' systems may be starting too.
    await state.settle(120_000);
    return {
      system,
      state,
      fixtures,
      async stop() {
        await state.close();
        await new Promise((resolve) => web.close(resolve));
        await system.stop();
      },
    };
  } catch (error) {
    await state.close();
    web.close();
    await system.stop();
    throw error;
  }
}

/** Every process still serves: liveness and readiness on each service's own port. */
export async function assertAllAlive(system: RunningSystem): Promise<void> {
  for (const [name, port] of Object.entries(system.settings.ports)) {
    if (name === 'web') continue;
    const path = name === 'gateway' ? '/healthz' : '/readyz';
    const response = await send(`http://127.0.0.1:${port}`, { method: 'GET', path }, 5_000).catch(
      (error: Error) => ({ status: 0, text: error.message }),
    );
    if (response.status !== 200) {
      throw new Error(
        `${name} is not ready (${response.status} ${response.text}); see ${system.logDir}/${name}.log`,
      );
    }
  }
}
