/**
 * What a service process costs to start, from tsc's output and from its bundle:
 * each run loads the whole module graph and stops at the config check (PORT is not
 * a number), so it measures loading, not connecting. Alternates the variants per
 * service; reports the median CPU (user + system) and wall time of `--runs` runs.
 *
 *   npm run bench:startup [-- --runs 7 --report bench/startup/REPORT.md]
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BUNDLE_FILE, BUNDLED_SERVICES, buildServices } from '../../scripts/system/build.js';
import { repoRoot } from '../../scripts/system/services.js';
import { machineNow } from '../harness/machine.js';
import { markdownTable } from '../harness/markdown.js';
import { median } from '../harness/stats.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    report: { type: 'string', default: join(repoRoot, 'bench/startup/REPORT.md') },
  },
});
const runs = Number(args.runs);

const variants = [
  { name: 'tsc output (dist/main.js)', file: 'dist/main.js', nodeOptions: '' },
  { name: `bundle (${BUNDLE_FILE})`, file: BUNDLE_FILE, nodeOptions: '' },
  {
    name: 'bundle, --enable-source-maps (as the images run it)',
    file: BUNDLE_FILE,
    nodeOptions: '--enable-source-maps',
  },
] as const;

interface Sample {
  cpu: number;
  wall: number;
  /** The process's peak resident memory, MB. */
  rss: number;
}

/** One start: `/usr/bin/time` reports the child's user and system CPU, wall time and peak RSS. */
function startOnce(service: string, variant: (typeof variants)[number]): Sample {
  const result = spawnSync(
    '/usr/bin/time',
    ['-f', 'TIME %U %S %e %M', process.execPath, variant.file],
    {
      cwd: join(repoRoot, 'services', service),
      env: { PATH: process.env.PATH, PORT: 'not-a-port', NODE_OPTIONS: variant.nodeOptions },
      encoding: 'utf8',
    },
  );
  const stderr = result.stderr ?? '';
  // It must have loaded everything and stopped at the config check, nowhere else.
  if (!stderr.includes('Invalid configuration'))
    throw new Error(`${service} (${variant.file}) did not stop at its config check:\n${stderr}`);
  const match = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(stderr);
  if (!match) throw new Error(`no timing from /usr/bin/time:\n${stderr}`);
  return {
    cpu: Number(match[1]) + Number(match[2]),
    wall: Number(match[3]),
    rss: Number(match[4]) / 1024,
  };
}

const before = machineNow();
const started = new Date();
console.log('building the services (tsc -b and bundles, incremental)…');
buildServices();
const rows: string[][] = [];
for (const service of BUNDLED_SERVICES) {
  const samples = variants.map(() => [] as Sample[]);
  for (let run = 0; run < runs; run++) {
    for (const [i, variant] of variants.entries()) samples[i]!.push(startOnce(service, variant));
  }
  const cpu = samples.map((s) => median(s.map((x) => x.cpu)));
  const wall = samples.map((s) => median(s.map((x) => x.wall)));
  const rss = samples.map((s) => median(s.map((x) => x.rss)));
  rows.push([
    service,
    ...variants.map(
      (_, i) => `${cpu[i]!.toFixed(2)} s / ${wall[i]!.toFixed(2)} s / ${Math.round(rss[i]!)} MB`,
    ),
    `${(cpu[1]! / cpu[0]!).toFixed(2)}×`,
  ]);
  console.log(rows.at(-1)!.join(' | '));
}
const after = machineNow();

const report = `# Starting a service: tsc's output against the bundle

\`npm run bench:startup -- --runs ${runs}\` at ${started.toISOString().slice(0, 16)}Z
(${before.cpus} CPUs, ${before.cpuModel}; Node ${before.node}; load ${before.load.join(', ')}
before, ${after.load.join(', ')} after).

Each run starts a service's process with \`PORT=not-a-port\`: it loads its whole module
graph and stops at the config check, so this is the cost of loading, before any
connection. The variants alternate; each cell is the median of ${runs} runs: CPU (user +
system) / wall time / peak resident memory, from \`/usr/bin/time\`. The services run the bundle
(\`npm run build:services\`; scripts/system/build.ts).

${markdownTable([['service', ...variants.map((v) => v.name), 'bundle CPU ÷ tsc output CPU'], ...rows])}

With \`--enable-source-maps\` Node reads the bundle's source map when it loads it (a few
MB: the mappings into node_modules are in it too) and keeps it: the third column's extra
CPU and memory over the second is that. The images pay it for stack traces that name
lines of \`src/*.ts\`; drop the flag from \`NODE_OPTIONS\` to save it.
`;
writeFileSync(args.report, report);
console.log(`Report: ${args.report}`);
