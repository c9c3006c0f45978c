import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BUNDLE_EXTERNALS_FILE,
  buildServices,
  bundleOptions,
  externalPackagesOf,
  NOT_BUNDLED,
} from '../system/build.js';
import { repoRoot, services } from '../system/services.js';

const backend = services.filter((s) => s.name !== 'web').map((s) => s.name);

function manifestOf(dir: string): {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
} {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
}

const installedDir = (pkg: string): string => join(repoRoot, 'node_modules', pkg);

/**
 * What the image's `npm ci --omit=dev --workspace=@gittix/<service>` installs: the
 * service's and @gittix/common's dependencies and theirs, optional ones included.
 */
function productionClosure(service: string): Set<string> {
  const seen = new Set<string>();
  const queue = [`services/${service}`, 'packages/common'].flatMap((workspace) =>
    Object.keys(manifestOf(join(repoRoot, workspace)).dependencies ?? {}),
  );
  while (queue.length > 0) {
    const pkg = queue.pop()!;
    if (seen.has(pkg) || pkg.startsWith('@gittix/') || !existsSync(installedDir(pkg))) continue;
    seen.add(pkg);
    const manifest = manifestOf(installedDir(pkg));
    queue.push(
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.optionalDependencies ?? {}),
    );
  }
  return seen;
}

describe('the services’ bundles', () => {
  beforeAll(() => {
    // Current already in a whole run (the e2e setup built them); alone, from a clean
    // clone, this compiles everything first.
    buildServices();
  }, 300_000);

  it.each(backend)(
    'when %s is bundled, then everything it imports at load time is Node’s or a production dependency its image installs',
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
      const left = external.filter((pkg) => existsSync(installedDir(pkg)));
      const image = productionClosure(service);
      for (const pkg of left) {
        expect(NOT_BUNDLED, `${service}: ${pkg} left out of the bundle`).toContain(pkg);
        expect(image.has(pkg), `${service}: ${pkg} in the image's node_modules`).toBe(true);
      }
      // The rest is in the file: @gittix/common and the libraries it is made of.
      expect(left).not.toContain('fastify');
      expect(left).not.toContain('@gittix/common');
    },
    60_000,
  );
});
