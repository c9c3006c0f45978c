import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './services.js';

function run(command: string, args: string[], what: string): void {
  const result = spawnSync(command, args, {
    cwd: repoRoot,
    stdio: 'inherit',
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
  });
  if (result.status !== 0)
    throw new Error(`${what} failed (exit ${result.status ?? result.signal})`);
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', '.next', 'test', 'dist'].includes(entry.name)) continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Compiles @gittix/common, the services and the CLI to dist/ (incremental). */
export function buildServices(): void {
  run(
    process.execPath,
    [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-b'],
    'TypeScript build',
  );
}

const webDir = join(repoRoot, 'apps/web');

/** True when the web app's production build is missing or older than its sources. */
export function webBuildStale(): boolean {
  const buildId = join(webDir, '.next', 'BUILD_ID');
  return !existsSync(buildId) || statSync(buildId).mtimeMs < newestMtime(webDir);
}

/** Runs `next build` for the web app unless its build is up to date. */
export function ensureWebBuild(log: (line: string) => void): void {
  if (!existsSync(join(webDir, 'package.json'))) return;
  if (!webBuildStale()) return;
  log('building the web app (next build)…');
  run('npm', ['run', 'build', '--workspace', '@gittix/web'], 'Web build');
}

export function nextBin(): string {
  return join(repoRoot, 'node_modules/next/dist/bin/next');
}
