import { randomBytes } from 'node:crypto';
import { defineConfig } from 'vitest/config';

// One id per run: every database, stream, subject prefix and queue a test creates
// starts with it, so parallel runs never collide and teardown knows what to drop.
const runId = process.env.GITTIX_TEST_RUN ?? `t${randomBytes(3).toString('hex')}`;
process.env.GITTIX_TEST_RUN = runId;
// No `module` condition: Node does not use it (services run without it), and
// OpenTelemetry's `module` builds import extensionless paths Node cannot load.
const sourceConditions = ['@gittix/source', 'node', 'development|production'];

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
    include: [
      'packages/*/test/**/*.test.ts',
      'services/*/test/**/*.test.ts',
      'tools/*/test/**/*.test.ts',
      'infra/test/**/*.test.ts',
      'scripts/test/**/*.test.ts',
      'bench/test/**/*.test.ts',
      'e2e/**/*.test.ts',
      'apps/web/test/**/*.test.{ts,tsx}',
    ],
    env: { GITTIX_TEST_RUN: runId },
    globalSetup: ['./scripts/test-global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    // A browser test starts the whole system (services, web app, mail catcher) in its
    // beforeAll: on a busy 2-core machine that has taken more than two minutes.
    hookTimeout: 300_000,
  },
});
