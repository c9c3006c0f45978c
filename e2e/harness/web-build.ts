import { spawnSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';

/**
 * Global setup of the e2e projects: the web app's production build, once, before
 * any file starts a system (`next build` only when its sources changed). Two
 * files building it at once, in two workers, would write the same `.next/`.
 * Run by tsx in a process of its own: the launcher code loads @gittix/common from
 * source, which Vitest's global-setup runner does not resolve.
 */
export default function setup(project: TestProject): void {
  const result = spawnSync(
    process.execPath,
    [
      '--conditions=@gittix/source',
      '--import',
      'tsx',
      '--eval',
      "import('./scripts/system/build.ts').then((b) => b.ensureWebBuild(console.log))",
    ],
    { cwd: project.config.root, stdio: 'inherit' },
  );
  // Not thrown: the unit files need no web app; the files that do try again and fail.
  if (result.status !== 0)
    console.warn(`e2e: the web build failed (exit ${result.status ?? result.signal})`);
}
