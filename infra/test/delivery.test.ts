/** GitHub Actions workflows, skaffold.yaml and the docs that tell people what to run. */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { portOf, readRepoFile, readYaml, repoRoot, services, type Yaml } from './lib/repo.js';
import { run } from './lib/run.js';

const ci: Yaml = readYaml('.github/workflows/ci.yml');
const images: Yaml = readYaml('.github/workflows/images.yml');
const skaffold: Yaml = readYaml('skaffold.yaml');

/** A GitHub Actions expression as it appears in the workflow text: gha('matrix.node'). */
const gha = (expression: string) => ['$', '{{ ', expression, ' }}'].join('');
const dockerfileFor = (name: string) =>
  name === 'web' ? 'infra/docker/web.Dockerfile' : 'infra/docker/Dockerfile';
const stepsOf = (job: Yaml): Yaml[] => job.steps;

describe('.github/workflows/ci.yml', () => {
  const job = ci.jobs.test;

  it('when a pull request is opened or main is pushed, then CI runs', () => {
    expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push']);
    expect(ci.on.push.branches).toEqual(['main']);
    expect(ci.permissions).toEqual({ contents: 'read' });
  });

  it('when CI installs Node, then it tests on Node 20', () => {
    expect(job.strategy.matrix.node).toContain('20');
    const setup = stepsOf(job).find((s) => String(s.uses).startsWith('actions/setup-node@'));
    expect(setup.with['node-version']).toBe(gha('matrix.node'));
    // npm ci links Node 26 for the scripts (docs/CONVENTIONS.md, "Runtime"): unlinked
    // after it and before lint and tests, the scripts run on the matrix's Node.
    const runs = stepsOf(job).map((s) => String(s.run ?? '').trim());
    const unlink = runs.findIndex((r) => r.startsWith('rm -f node_modules/.bin/node'));
    expect(unlink, 'a step removes node_modules/.bin/node').toBeGreaterThan(runs.indexOf('npm ci'));
    expect(unlink).toBeLessThan(runs.indexOf('npm run lint'));
  });

  it('when tests run, then PostgreSQL and Redis are healthy service containers the tests reach', () => {
    const { postgres, redis } = job.services;
    expect(postgres.image).toMatch(/^postgres:1[56]/);
    expect(postgres.ports).toContain('5432:5432');
    expect(postgres.options).toContain('--health-cmd');
    expect(redis.image).toMatch(/^redis:7/);
    expect(redis.ports).toContain('6379:6379');
    expect(redis.options).toContain('--health-cmd');
    const url = new URL(job.env.TEST_POSTGRES_URL);
    expect(decodeURIComponent(url.password)).toBe(postgres.env.POSTGRES_PASSWORD);
    expect([url.hostname, url.port]).toEqual(['127.0.0.1', '5432']);
  });

  it('when tests run, then NATS runs with JetStream from a docker run step (2.9, the oldest supported)', () => {
    expect(job.services.nats).toBeUndefined();
    const step = stepsOf(job).find((s) => /docker run\b.*\bnats:/.test(s.run ?? ''));
    expect(step, 'a docker run step starts NATS').toBeDefined();
    expect(step.run).toMatch(/nats:2\.9\b.*\s-js\b/);
    expect(step.run).toContain('-p 4222:4222');
    expect(step.run).toContain('healthz?js-enabled-only=true');
  });

  it('when CI runs, then it installs, lints and tests, in that order', () => {
    const runs = stepsOf(job).map((s) => String(s.run ?? '').trim());
    const at = (command: string) => runs.indexOf(command);
    expect(at('npm ci')).toBeGreaterThanOrEqual(0);
    expect(at('npm run lint')).toBeGreaterThan(at('npm ci'));
    expect(at('npm test')).toBeGreaterThan(at('npm run lint'));
  });

  it('when the infra tests run, then kubectl has been shown to be there first', () => {
    const runs = stepsOf(job).map((s) => String(s.run ?? '').trim());
    expect(runs.indexOf('kubectl version --client')).toBeGreaterThanOrEqual(0);
    expect(runs.indexOf('kubectl version --client')).toBeLessThan(runs.indexOf('npm test'));
  });
});

describe('.ci/run', () => {
  const script = readRepoFile('.ci/run');
  const check = script.slice(script.indexOf('log "kubectl'), script.indexOf('log "npm ci"'));
  /**
   * Runs .ci/run's kubectl check alone, with `path` as PATH. kubectl answers in 0.1 s on
   * a quiet machine, but with the whole suite running beside it one check was killed at
   * run()'s default 10 s: it gets a minute, as its test does.
   */
  const runCheck = (path: string) =>
    run('/bin/bash', ['-euo', 'pipefail', '-c', `log() { :; }\n${check}`], {
      env: { PATH: path },
      timeoutMs: 60_000,
    });

  it('when CI runs, then kubectl is checked before npm ci and npm test', () => {
    expect(check).toContain('kubectl version --client');
    expect(script.indexOf(check)).toBeLessThan(script.indexOf('\nnpm test'));
  });

  it('when kubectl with kustomize v5 is installed, then the check passes', async () => {
    const result = await runCheck(process.env.PATH ?? '');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^kubectl with kustomize v[5-9]/);
  }, 90_000);

  it('when kubectl is missing or too old, then the check fails and says how to install it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gittix-ci-kubectl-'));
    try {
      const missing = await runCheck(dir);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(
        /kubectl is missing: install kubectl 1\.27 or newer.*infra\/README\.md/,
      );
      const kubectl = join(dir, 'kubectl');
      writeFileSync(
        kubectl,
        '#!/bin/sh\necho "Client Version: v1.26.0"\necho "Kustomize Version: v4.5.7"\n',
      );
      chmodSync(kubectl, 0o755);
      const old = await runCheck(`${dir}:/usr/bin:/bin`);
      expect(old.code).toBe(1);
      expect(old.stderr).toMatch(/kustomize '4\.5\.7', older than v5: install kubectl/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('.github/workflows/images.yml', () => {
  it('when main is pushed, then images are built and pushed to ghcr.io', () => {
    expect(images.on.push.branches).toEqual(['main']);
    const build = images.jobs.build;
    expect(build.permissions.packages).toBe('write');
    const steps = stepsOf(build);
    const login = steps.find((s) => String(s.uses).startsWith('docker/login-action@'));
    expect(login.with.registry).toBe('ghcr.io');
    const push = steps.find((s) => String(s.uses).startsWith('docker/build-push-action@'));
    expect(push.with.context).toBe('.');
    expect(push.with.file).toBe(gha('matrix.dockerfile'));
    expect(push.with['build-args']).toBe(`SERVICE=${gha('matrix.service')}`);
    expect(push.with.push).toBe(gha("github.event_name != 'pull_request'"));
    const name = steps.find((s) => s.id === 'image');
    const owner = ['$', '{GITHUB_REPOSITORY_OWNER,,}'].join('');
    expect(name.run).toContain(`ghcr.io/${owner}/gittix-${gha('matrix.service')}`);
  });

  it('when the matrix step runs, then it lists every service of services.json with its Dockerfile', async () => {
    expect(images.jobs.build.strategy.matrix.include).toBe(
      gha('fromJSON(needs.matrix.outputs.include)'),
    );
    const step = stepsOf(images.jobs.matrix).find((s) => s.id === 'services');
    const dir = mkdtempSync(join(tmpdir(), 'gittix-gha-'));
    try {
      const output = join(dir, 'output');
      const result = await run('bash', ['-e', '-c', step.run], {
        cwd: repoRoot,
        env: { GITHUB_OUTPUT: output },
      });
      expect(result.code, result.stderr).toBe(0);
      const line = readFileSync(output, 'utf8').trim();
      expect(line.startsWith('include=')).toBe(true);
      const include = JSON.parse(line.slice('include='.length)) as Array<{
        service: string;
        dockerfile: string;
      }>;
      expect(include).toEqual(
        services.map((s) => ({ service: s.name, dockerfile: dockerfileFor(s.name) })),
      );
      for (const entry of include) expect(existsSync(join(repoRoot, entry.dockerfile))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('GitHub Actions in general', () => {
  it('when workflows use actions, then each is pinned to a major version', () => {
    for (const workflow of [ci, images]) {
      for (const job of Object.values(workflow.jobs) as Yaml[]) {
        for (const step of stepsOf(job)) {
          if (step.uses) expect(step.uses).toMatch(/^[\w-]+\/[\w-]+@v\d+$/);
        }
      }
    }
  });
});

describe('skaffold.yaml', () => {
  it('when skaffold builds, then it builds every service from its Dockerfile under the manifest image names', () => {
    const artifacts = skaffold.build.artifacts as Yaml[];
    expect(artifacts.map((a) => a.image)).toEqual(services.map((s) => `gittix/${s.name}`));
    for (const spec of services) {
      const artifact = artifacts.find((a) => a.image === `gittix/${spec.name}`);
      expect(artifact.docker.dockerfile).toBe(dockerfileFor(spec.name));
      if (spec.name !== 'web') expect(artifact.docker.buildArgs).toEqual({ SERVICE: spec.name });
      const manifest = readRepoFile(`infra/k8s/base/apps/${spec.name}.yaml`);
      expect(manifest).toContain(`image: gittix/${spec.name}\n`);
    }
  });

  it('when skaffold deploys, then it applies the dev overlay and forwards the gateway', () => {
    expect(skaffold.apiVersion).toMatch(/^skaffold\/v4/);
    expect(skaffold.manifests.kustomize.paths).toEqual(['infra/k8s/overlays/dev']);
    expect(existsSync(join(repoRoot, 'infra/k8s/overlays/dev/kustomization.yaml'))).toBe(true);
    expect(skaffold.portForward).toEqual([
      {
        resourceType: 'service',
        resourceName: 'gateway',
        namespace: 'gittix-dev',
        port: portOf('gateway'),
        localPort: portOf('gateway'),
      },
    ]);
  });
});

describe('the docs', () => {
  const section = readRepoFile('README.md');
  const readme = readRepoFile('infra/README.md');

  it('when a reader follows the main README, then it gives the exact commands', () => {
    expect(section).toContain('docker compose -f infra/compose.yaml up --build');
    expect(section).toContain('node infra/scripts/session-keys.mjs > infra/.env');
    expect(section).toContain('kubectl apply -k infra/k8s/overlays/dev');
    expect(section).toContain(
      'node infra/scripts/session-keys.mjs --k8s gittix-dev | kubectl apply -f -',
    );
    expect(section).toContain('skaffold dev');
  });

  it('when the docs name repository paths, then those paths exist', () => {
    const mentioned = new Set<string>();
    for (const text of [section, readme]) {
      for (const match of text.matchAll(
        /(?:^|[\s`(])((?:infra|\.github|services|packages|docs)\/[\w./-]*[\w])/g,
      )) {
        mentioned.add(match[1]!);
      }
    }
    // Made by the reader, by the command the docs give, or by `npm run build`.
    const created = new Set(['infra/.env']);
    const builtOutput = /(^|\/)(dist|\.next)(\/|$)/;
    expect(mentioned.size).toBeGreaterThan(5);
    for (const path of mentioned) {
      if (created.has(path) || builtOutput.test(path)) continue;
      expect(existsSync(join(repoRoot, path)), path).toBe(true);
    }
  });
});
