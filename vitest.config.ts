import { randomBytes } from 'node:crypto';
import { configDefaults, defineConfig } from 'vitest/config';

// One id per run: every database, stream, subject prefix and queue a test creates
// starts with it, so parallel runs never collide and teardown knows what to drop.
const runId = process.env.GITTIX_TEST_RUN ?? `t${randomBytes(3).toString('hex')}`;
process.env.GITTIX_TEST_RUN = runId;
// No `module` condition: Node does not use it (services run without it), and
// OpenTelemetry's `module` builds import extensionless paths Node cannot load.
const sourceConditions = ['@gittix/source', 'node', 'development|production'];

// Checks the infrastructure first, drops the run's data last (every project has it:
// its teardown is idempotent, and a project's own systems stop before it runs).
const infraSetup = './scripts/test-global-setup.ts';
// The services' dist and the web app's build, once per run before any e2e file starts a system.
const systemBuild = './e2e/harness/build.ts';

/**
 * The end-to-end files that run against the whole system with its defaults: they
 * share one, started once by e2e/harness/shared-system.ts (docs: README, Tests).
 * A file that needs other options (Stripe, S3, tracing, NATS users, short
 * expiry, fuzzing) or stops a part of the system starts its own.
 */
const sharedSystemFiles = [
  'e2e/api/accounts.test.ts',
  'e2e/api/contract.test.ts',
  'e2e/api/listing-lifecycle.test.ts',
  'e2e/web/accounts.test.ts',
  'e2e/web/events.test.ts',
  'e2e/web/journey.test.ts',
  'e2e/web/payouts.test.ts',
  'e2e/web/security-headers.test.ts',
  'e2e/web/ticket-file.test.ts',
];

const unitFiles = [
  'packages/*/test/**/*.test.ts',
  'services/*/test/**/*.test.ts',
  'tools/*/test/**/*.test.ts',
  'infra/test/**/*.test.ts',
  'scripts/test/**/*.test.ts',
  'bench/test/**/*.test.ts',
  'apps/web/test/**/*.test.{ts,tsx}',
];

/**
 * Unit files that need a process of their own: they set something once per process
 * (the tracer provider, which initTracing installs only once, so an earlier file's
 * would win) or replace modules for the whole file (vi.mock, a browser environment).
 */
const ownProcessUnitFiles = [
  'packages/common/test/tracing/query-spans.test.ts',
  'tools/events/test/tail.test.ts',
  'apps/web/test/**/*.test.tsx',
];

export default defineConfig({
  resolve: { conditions: sourceConditions },
  ssr: {
    resolve: {
      // Not `module`: packages whose `module` build is bundler-only (imports
      // without file extensions, as the AWS SDK's) then load their Node build.
      conditions: sourceConditions.filter((c) => c !== 'module'),
      externalConditions: ['@gittix/source'],
    },
  },
  test: {
    env: { GITTIX_TEST_RUN: runId },
    pool: 'forks',
    testTimeout: 30_000,
    // A file with a system of its own starts the whole of it (services, web app,
    // mail catcher) in its beforeAll: on a busy 2-core machine that has taken more
    // than two minutes.
    hookTimeout: 300_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // The unit files first, two at a time (one per core): they wait on Postgres,
          // NATS and Redis as much as they compute, and start no system of their own.
          sequence: { groupOrder: 0 },
          maxWorkers: 2,
          include: unitFiles,
          exclude: [...configDefaults.exclude, ...ownProcessUnitFiles],
          // Each worker runs its files one after another in one process, importing
          // Fastify, Kysely, the SDKs… once rather than once per file: with a fresh
          // process per file, imports took 200 of the suite's 580 s (README, Tests).
          // So a file here closes what it opens and relies on no state another file
          // left or changed; one that cannot belongs in ownProcessUnitFiles.
          isolate: false,
          globalSetup: [infraSetup],
        },
      },
      {
        extends: true,
        test: {
          name: 'unit-own-process',
          // Beside the unit files, in processes of their own (see ownProcessUnitFiles),
          // sharing their two workers. The same maxWorkers as `unit` keeps it in that
          // group: Vitest runs a project of one worker, isolated, in group 0 in a group
          // of its own after every other (it ran after the e2e files, one at a time,
          // ~2 s of start-up each: 55 s of a run).
          sequence: { groupOrder: 0 },
          maxWorkers: 2,
          include: ownProcessUnitFiles,
          globalSetup: [infraSetup],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          // Then the end-to-end files, one at a time: each starts a whole system, and
          // several at once ran out of Postgres's connections (README, Tests).
          sequence: { groupOrder: 1 },
          maxWorkers: 1,
          include: ['e2e/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...sharedSystemFiles],
          globalSetup: [infraSetup, systemBuild],
          // A file's system start: on 2 cores under load one took over 300 s once
          // (payouts-stripe, 2 Dec, when e2e files still ran beside the unit files).
          hookTimeout: 600_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e-shared',
          sequence: { groupOrder: 1 },
          maxWorkers: 1,
          include: sharedSystemFiles,
          globalSetup: [infraSetup, systemBuild, './e2e/harness/shared-system.ts'],
          // Its files' beforeAll waits for the shared system, which starts meanwhile.
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
