import { spawnSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';

/**
 * Global setup of the e2e projects: the build their systems run, once, before any
 * file starts one. The services' `dist/` (`tsc -b`, incremental, then each service's
 * bundle: a few seconds when nothing changed) is what e2e systems run, as `npm start`
 * and the images do: booting from dist took a file's system 8–10 s less than from
 * source under tsx, and from the bundles another ~2 s less. Then the
 * web app's production build (`next build` only when its sources changed): two files
 * building it at once, in two workers, would write the same `.next/`.
 * Run by tsx in a process of its own: the launcher code loads @gittix/common from
 * source, which Vitest's global-setup runner does not resolve.
 */
export default function setup(project: TestProject): void {
  // Both e2e projects list this setup; Vitest runs each project's in this one process.
  if (process.env.GITTIX_E2E_BUILT === '1') return;
  const build = (call: string) =>
    spawnSync(
      process.execPath,
      [
        '--conditions=@gittix/source',
        '--import',
        'tsx',
        '--eval',
        `import('./scripts/system/build.ts').then((b) => b.${call})`,
      ],
      { cwd: project.config.root, stdio: 'inherit' },
    );
  const services = build('buildServices()');
  // Thrown: the systems would run an older dist than the sources under test.
  if (services.status !== 0)
    throw new Error(`e2e: the services' build failed (exit ${services.status ?? services.signal})`);
  const web = build('ensureWebBuild(console.log)');
  // Not thrown: the unit files need no web app; the files that do try again and fail.
  if (web.status !== 0)
    console.warn(`e2e: the web build failed (exit ${web.status ?? web.signal})`);
  else process.env.GITTIX_E2E_BUILT = '1';
}
