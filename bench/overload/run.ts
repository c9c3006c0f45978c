/**
 * `npm run bench:overload`: the overload phase of `npm run bench` alone (bench/overload),
 * on a system of its own, for working on admission control without the whole run.
 * Prints the steps; `npm run bench` puts them in bench/REPORT.md.
 *
 *   npm run bench:overload -- [--mode dist|source] [--seconds 10] [--multiples 1,2,5] [--tickets 100]
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { testInfra, testRunId, uniqueName } from '@gittix/common/testing';
import pg from 'pg';
import { buildServices } from '../../scripts/system/build.js';
import { dropRunData } from '../../scripts/system/run-data.js';
import { repoRoot } from '../../scripts/system/services.js';
import { isolatedSettings, startSystem } from '../../scripts/system/system.js';
import { listTicketsForSale, waitForRows } from '../harness/api.js';
import { cpuMeter, systemProcessGroups } from '../harness/cpu.js';
import { pidsNamed } from '../harness/machine.js';
import { signSessions } from '../harness/sessions.js';
import { measureOverload, overloadProbes } from './measure.js';
import { overloadCpuTable, overloadTable } from './report.js';

const { values: args } = parseArgs({
  options: {
    mode: { type: 'string', default: 'dist' },
    'skip-build': { type: 'boolean', default: false },
    seconds: { type: 'string', default: '10' },
    multiples: { type: 'string', default: '1,2,5' },
    tickets: { type: 'string', default: '100' },
    buyers: { type: 'string', default: '2000' },
    connections: { type: 'string', default: '50' },
    env: { type: 'string', multiple: true, default: [] },
  },
});
process.env.GITTIX_TEST_RUN ??= `bench${randomBytes(3).toString('hex')}`;
const say = (line: string) => process.stderr.write(`[overload] ${line}\n`);
const mode = args.mode === 'source' ? 'source' : 'dist';
const multiples = args.multiples.split(',').map(Number);

if (mode === 'dist' && !args['skip-build']) {
  say('compiling the services to dist/…');
  buildServices();
}
const logDir = join(repoRoot, 'test-output', 'bench', testRunId());
say(`starting GitTix (${mode}, logs in ${logDir})…`);
const system = await startSystem({
  mode,
  only: ['gateway', 'tickets', 'orders', 'auth'],
  logDir,
  settings: await isolatedSettings({
    infra: testInfra,
    name: uniqueName('sys'),
    logLevel: 'info',
    orderExpirationSeconds: 3600,
    extraEnv: {
      NODE_ENV: 'production',
      ...Object.fromEntries(args.env.map((pair) => pair.split('=') as [string, string])),
    },
  }),
});
const ordersPool = new pg.Pool({ connectionString: system.databaseUrl('orders'), max: 2 });
ordersPool.on('error', () => {});
const SERVICES = ['gateway', 'tickets', 'orders', 'auth'];
// Who spends the CPU in each step: the services, our databases' Postgres backends, NATS
// and this process (the load generator).
const meterCpu = () =>
  cpuMeter(
    systemProcessGroups({
      admin: ordersPool,
      databasePrefix: `gx_${testRunId()}_`,
      services: SERVICES,
      pidOf: (service) => system.pidOf(service),
      infra: { nats: pidsNamed('nats-server') },
    }),
  ).start();
try {
  const [seller] = await signSessions(system.settings.jwt.privateKeyPem, 1, 'seller');
  const perList = Number(args.tickets);
  const titles = Array.from(
    { length: (multiples.length + 1) * perList },
    (_, i) => `Overload seat ${i}`,
  );
  say(`listing ${titles.length} tickets…`);
  const listed = await listTicketsForSale(system.baseUrl, seller!, titles);
  await waitForRows(ordersPool, 'tickets', listed, 'listed tickets in the orders replica');
  const result = await measureOverload(
    {
      baseUrl: system.baseUrl,
      buyers: await signSessions(system.settings.jwt.privateKeyPem, Number(args.buyers), 'crowd'),
      ticketLists: Array.from({ length: multiples.length + 1 }, (_, i) =>
        listed.slice(i * perList, (i + 1) * perList),
      ),
      ordersPool,
      say,
      meterCpu,
      ...overloadProbes((service) => system.urlOf(service)),
    },
    { seconds: Number(args.seconds), multiples, connections: Number(args.connections) },
  );
  process.stdout.write(`${overloadTable(result.capacity, result.steps)}\n\n`);
  process.stdout.write(`${overloadCpuTable(result.capacity, result.steps)}\n`);
} finally {
  await ordersPool.end();
  await system.stop();
  await dropRunData(`gx_${testRunId()}_`, testInfra).catch((error) =>
    say(`cleanup failed: ${String(error)}`),
  );
}
