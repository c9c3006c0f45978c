import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUNDLE_EXTERNALS_FILE,
  BUNDLE_FILE,
  BUNDLED_SERVICES,
  buildServices,
  bundleOptions,
  externalPackagesOf,
  NOT_BUNDLED,
} from '../system/build.js';
import { repoRoot } from '../system/services.js';

/** Where Node finds `pkg` from the service's dist/: its own node_modules, then the root's. */
const installed = (service: string, pkg: string): boolean =>
  existsSync(join(repoRoot, 'services', service, 'node_modules', pkg)) ||
  existsSync(join(repoRoot, 'node_modules', pkg));

// Current already in a whole run (the e2e setup built them); alone, from a clean
// clone, this compiles everything first. Both describes below read the build: one
// file, so two never build at once.
beforeAll(() => buildServices(), 300_000);

describe('the services’ bundles', () => {
  it.each(BUNDLED_SERVICES)(
    'when %s is bundled, then it imports from node_modules only what is meant to stay out, and lists it for the image',
    (service) => {
      const { metafile } = buildSync({ ...bundleOptions(service), write: false, metafile: true });
      const external = externalPackagesOf(metafile!);
      // The list written beside the bundle, which the image keeps, names every one
      // (and those loaded by name, such as pino-pretty).
      const listed = JSON.parse(
        readFileSync(join(repoRoot, 'services', service, BUNDLE_EXTERNALS_FILE), 'utf8'),
      );
      expect(listed).toEqual(expect.arrayContaining([...external, ...NOT_BUNDLED]));
      // A package that is not installed at all was left out by esbuild because its
      // require() sits in a try (pg-native, ws's bufferutil): optional, may fail.
      const left = external.filter((pkg) => installed(service, pkg));
      for (const pkg of left) expect(NOT_BUNDLED, `${service}: ${pkg} left out`).toContain(pkg);
      // The rest is in the file: @gittix/common and the libraries it is made of.
      expect(left).not.toContain('fastify');
      expect(left).not.toContain('@gittix/common');
    },
    60_000,
  );
});

const prune = join(repoRoot, 'infra/docker/keep-bundle-externals.mjs');

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 120_000 });
}

/**
 * Without Docker, what the service Dockerfile's deps and runtime stages do, in a
 * temporary folder: the manifests alone, the workspace's production install (from
 * the npm cache the repository's own `npm ci` filled), the prune to the bundle's
 * externals, then the bundle beside what is left, started as the image starts it.
 */
describe('a service image’s files (infra/docker/Dockerfile, run without Docker)', () => {
  const folders: string[] = [];
  afterAll(() => {
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });

  // The gateway: npm keeps its Swagger UI in services/gateway/node_modules, which the
  // image once left behind. (auth's native argon2 and the others were checked by hand,
  // infra/README.md; each install takes 10-20 s of the suite.)
  it.each(['gateway'])(
    'when %s’s dependencies are installed and pruned as the image does, then its bundle loads from what is left',
    (service) => {
      const app = mkdtempSync(join(tmpdir(), `gx-image-${service}-`));
      folders.push(app);
      const listed = run('git', ['ls-files', '-z'], repoRoot);
      expect(listed.status, listed.stderr).toBe(0);
      const manifests = listed.stdout
        .split('\0')
        .filter((file) => /(^|\/)(package\.json|package-lock\.json|\.npmrc)$/.test(file));
      for (const file of manifests) cpSync(join(repoRoot, file), join(app, file));

      const install = run(
        'npm',
        [
          'ci',
          '--omit=dev',
          `--workspace=@gittix/${service}`,
          '--include-workspace-root=false',
          '--ignore-scripts',
          '--offline',
          '--no-audit',
          '--no-fund',
        ],
        app,
      );
      expect(install.status, install.stderr).toBe(0);
      const externals = join(repoRoot, 'services', service, BUNDLE_EXTERNALS_FILE);
      const pruned = run(process.execPath, [prune, '.', `services/${service}`, externals], app);
      expect(pruned.status, pruned.stderr).toBe(0);
      // Nothing of the workspace links (@gittix/*) or the bundled libraries is left.
      expect(readdirSync(join(app, 'node_modules'))).not.toContain('fastify');
      expect(existsSync(join(app, 'node_modules/@gittix'))).toBe(false);

      // The runtime stage's files, copied as its COPY lines copy them, and nothing else.
      const image = join(app, 'image');
      const copy = (from: string, to: string) => {
        if (existsSync(from)) cpSync(from, join(image, to), { recursive: true });
      };
      copy(join(app, 'package.json'), 'package.json');
      copy(join(app, 'node_modules'), 'node_modules');
      copy(join(app, 'services', service, 'package.json'), `services/${service}/package.json`);
      copy(join(app, 'services', service, 'node_modules'), `services/${service}/node_modules`);
      copy(join(repoRoot, 'services', service, 'dist'), `services/${service}/dist`);
      const started = run(
        process.execPath,
        [BUNDLE_FILE],
        join(image, 'services', service),
        // As the image runs it; PORT that is no port stops it at its config check,
        // after every module has loaded.
        { PATH: process.env.PATH, NODE_OPTIONS: '--enable-source-maps', PORT: 'not-a-port' },
      );
      expect(started.stderr).toContain(`${service}: Invalid configuration: PORT`);
    },
    120_000,
  );
});
