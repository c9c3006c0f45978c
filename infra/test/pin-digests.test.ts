/**
 * infra/scripts/pin-digests.sh, run for real on copies of the manifests with a
 * stand-in resolver (no registry is reachable here; the digests it prints are
 * made up for the test and never written to the repository).
 */
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from './lib/repo.js';
import { run } from './lib/run.js';

const script = join(repoRoot, 'infra/scripts/pin-digests.sh');
const dir = mkdtempSync(join(tmpdir(), 'pin-digests-'));
/** Prints `sha256:` and the SHA-256 of the image's name; logs each image it was asked for. */
const fakeResolver = join(dir, 'resolve.sh');
writeFileSync(
  fakeResolver,
  `#!/bin/sh\necho "$1" >> "${dir}/asked"\nprintf 'sha256:%s\\n' "$(printf '%s' "$1" | sha256sum | cut -c1-64)"\n`,
);
chmodSync(fakeResolver, 0o755);
const failingResolver = join(dir, 'fail.sh');
writeFileSync(failingResolver, '#!/bin/sh\necho "registry unreachable" >&2\nexit 1\n');
chmodSync(failingResolver, 0o755);

const copy = (from: string, name: string) => {
  const to = join(dir, name);
  copyFileSync(join(repoRoot, from), to);
  return to;
};
const pin = (args: string[], resolver = fakeResolver) =>
  run('sh', [script, ...args], { env: { DIGEST_RESOLVER: resolver } });
const imageLines = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => /^\s*-?\s*image:/.test(line))
    .map((line) => line.trim());

describe('infra/scripts/pin-digests.sh', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('when checking the repository, then it names each third-party image still without a digest and fails', async () => {
    const result = await run('sh', [script, '--check']);
    expect(result.code).toBe(1);
    for (const image of ['postgres:16-alpine', 'nats:2.12-alpine', 'redis:7-alpine']) {
      expect(result.stdout).toContain(`infra/compose.yaml: ${image}`);
    }
    expect(result.stdout).toContain('infra/k8s/single-node-data/postgres.yaml: postgres:16-alpine');
    expect(result.stdout).not.toContain('gittix/');
  });

  it('when pinning Compose and a manifest, then every third-party image gets its digest after its tag, GitTix’s own stay, and nothing else changes', async () => {
    const compose = copy('infra/compose.yaml', 'compose.yaml');
    const postgres = copy('infra/k8s/single-node-data/postgres.yaml', 'postgres.yaml');
    const before = readFileSync(compose, 'utf8');
    const result = await pin([compose, postgres]);
    expect(result.code, result.stderr).toBe(0);

    const after = readFileSync(compose, 'utf8');
    expect(after.replace(/@sha256:[0-9a-f]{64}/g, '')).toBe(before);
    for (const line of imageLines(compose)) {
      if (line.includes('gittix/')) expect(line).not.toContain('@sha256:');
      else expect(line).toMatch(/^image: [\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}$/);
    }
    expect(imageLines(postgres)).toEqual([
      expect.stringMatching(/^image: postgres:16-alpine@sha256:[0-9a-f]{64}$/),
    ]);

    const check = await pin(['--check', compose, postgres]);
    expect(check.code, check.stdout).toBe(0);
  });

  it('when prod runs PostgreSQL on CloudNativePG, then its `imageName` is checked and pinned like an `image`', async () => {
    const check = await run('sh', [script, '--check']);
    expect(check.stdout).toContain(
      'infra/k8s/overlays/prod/data/postgres.yaml: ghcr.io/cloudnative-pg/postgresql:16',
    );
    const cluster = copy('infra/k8s/overlays/prod/data/postgres.yaml', 'cnpg-postgres.yaml');
    const before = readFileSync(cluster, 'utf8');
    const result = await pin([cluster]);
    expect(result.code, result.stderr).toBe(0);
    const after = readFileSync(cluster, 'utf8');
    expect(after.replace(/@sha256:[0-9a-f]{64}/g, '')).toBe(before);
    expect(after).toMatch(
      /\n {2}imageName: ghcr\.io\/cloudnative-pg\/postgresql:16@sha256:[0-9a-f]{64}\n/,
    );
    const again = await pin(['--check', cluster]);
    expect(again.code, again.stdout).toBe(0);
  });

  it('when run again on pinned files, then it asks the registry nothing and changes nothing', async () => {
    const compose = join(dir, 'compose.yaml');
    const pinned = readFileSync(compose, 'utf8');
    rmSync(join(dir, 'asked'), { force: true });
    const again = await pin([compose]);
    expect(again.code).toBe(0);
    expect(readFileSync(compose, 'utf8')).toBe(pinned);
    expect(() => readFileSync(join(dir, 'asked'), 'utf8')).toThrow();
  });

  it('when the registry cannot be read, then it stops without touching the file', async () => {
    const redis = copy('infra/k8s/single-node-data/redis.yaml', 'redis.yaml');
    const before = readFileSync(redis, 'utf8');
    const result = await pin([redis], failingResolver);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('could not read the digest of redis:7-alpine');
    expect(readFileSync(redis, 'utf8')).toBe(before);
  });

  it('when an image is :latest or untagged, then it refuses to pin it', async () => {
    for (const image of ['busybox:latest', 'busybox', 'ghcr.io/acme/tool']) {
      const file = join(dir, 'latest.yaml');
      writeFileSync(file, `containers:\n  - name: x\n    image: ${image}\n`);
      const result = await pin([file]);
      expect(result.code, image).toBe(2);
      expect(result.stderr).toMatch(/pin a version first/);
      expect(readFileSync(file, 'utf8')).toContain(`image: ${image}\n`);
    }
  });
});
