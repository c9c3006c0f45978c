/** Static checks of infra/docker/*.Dockerfile and .dockerignore (no Docker engine here). */
import { describe, expect, it } from 'vitest';
import {
  type Dockerfile,
  envOf,
  execForm,
  healthcheckCommand,
  instructions,
  parseDockerfile,
  type Stage,
} from './lib/dockerfile.js';
import { readRepoFile } from './lib/repo.js';
import { closedPort, fakeServer, run } from './lib/run.js';

const files = {
  'infra/docker/Dockerfile': { health: 'http' as const },
  'infra/docker/web.Dockerfile': { health: 'http' as const },
};
type File = keyof typeof files;
const parsed = Object.fromEntries(
  Object.keys(files).map((path) => [path, parseDockerfile(readRepoFile(path))]),
) as Record<File, Dockerfile>;
const paths = Object.keys(files) as File[];

const finalStage = (file: File): Stage => parsed[file].stages.at(-1)!;
const runs = (stage: Stage): string[] => instructions(stage, 'RUN').map((i) => i.args);
const stageNamed = (file: File, name: string): Stage => {
  const stage = parsed[file].stages.find((s) => s.name === name);
  if (!stage) throw new Error(`${file} has no stage ${name}`);
  return stage;
};

describe.each(paths)('%s', (file) => {
  const dockerfile = parsed[file];

  it('when built, then it is multi-stage and ends on a slim runtime of the pinned Node LTS', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(3);
    const major = dockerfile.globalArgs.NODE_MAJOR;
    const release = dockerfile.globalArgs.DEBIAN_RELEASE;
    expect(major, 'NODE_MAJOR pins a major version').toMatch(/^\d+$/);
    // LTS lines are the even majors; the project supports Node >= 20.
    expect(Number(major) % 2).toBe(0);
    expect(Number(major)).toBeGreaterThanOrEqual(20);
    for (const stage of dockerfile.stages) {
      expect(stage.from, `stage ${stage.name}`).toMatch(
        new RegExp(`^node:${major}-${release}(-slim)?$`),
      );
    }
    expect(finalStage(file).from).toBe(`node:${major}-${release}-slim`);
    expect(finalStage(file).name).toBe('runtime');
  });

  it('when building, then it installs with npm ci and builds with the workspace scripts', () => {
    const build = stageNamed(file, 'build');
    const commands = runs(build).join('\n');
    expect(commands).toMatch(/npm ci\b/);
    expect(commands).toMatch(file.endsWith('web.Dockerfile') ? /npm run build\b/ : /npx tsc -b\b/);
  });

  it('when the runtime is assembled, then it holds production dependencies of one workspace only', () => {
    const deps = runs(stageNamed(file, 'deps')).join('\n');
    expect(deps).toMatch(
      /npm ci --omit=dev --workspace="?@gittix\/(\$SERVICE|web)"? --include-workspace-root=false/,
    );
    const runtime = finalStage(file);
    expect(runs(runtime), 'nothing is installed in the runtime stage').toEqual([]);
    for (const copy of instructions(runtime, 'COPY')) {
      const from = /--from=(\S+)/.exec(copy.args)?.[1];
      expect(from, `${copy.args} copies from a build stage, not the context`).toBeDefined();
      expect(dockerfile.stages.map((s) => s.name)).toContain(from);
    }
  });

  it('when the container runs, then it is non-root, in production mode, on all interfaces', () => {
    const runtime = finalStage(file);
    const users = instructions(runtime, 'USER');
    expect(users).toHaveLength(1);
    const [uid, gid] = users[0]!.args.split(':');
    // Numeric, so Kubernetes can verify runAsNonRoot; the k8s pods run as this uid.
    expect(uid).toMatch(/^\d+$/);
    expect(Number(uid)).toBe(1000);
    expect(Number(gid)).toBe(1000);
    const cmdLine = instructions(runtime, 'CMD')[0]!.line;
    expect(users[0]!.line).toBeLessThan(cmdLine);
    const env = envOf(runtime);
    expect(env.NODE_ENV).toBe('production');
    expect(env.HOST).toBe('0.0.0.0');
  });

  it('when the container stops, then SIGTERM reaches node directly (exec-form CMD)', () => {
    const runtime = finalStage(file);
    const cmds = instructions(runtime, 'CMD');
    expect(cmds).toHaveLength(1);
    const argv = execForm(cmds[0]!.args);
    expect(argv, 'CMD is a JSON array').toBeDefined();
    expect(argv![0]).toBe('node');
    for (const entrypoint of instructions(runtime, 'ENTRYPOINT')) {
      expect(execForm(entrypoint.args), 'ENTRYPOINT is exec form').toBeDefined();
    }
    for (const signal of instructions(runtime, 'STOPSIGNAL')) expect(signal.args).toBe('SIGTERM');
  });

  it('when Docker checks health, then the image asks node, not curl', () => {
    const checks = instructions(finalStage(file), 'HEALTHCHECK');
    expect(checks).toHaveLength(1);
    const argv = healthcheckCommand(checks[0]!.args);
    expect(argv?.slice(0, 2)).toEqual(['node', '-e']);
    if (files[file].health === 'http') expect(argv![2]).toContain("'/healthz'");
    else expect(argv![2]).toContain("require('node:net')");
  });

  it('when the healthcheck runs, then it passes on a healthy process and fails otherwise', async () => {
    const script = healthcheckCommand(instructions(finalStage(file), 'HEALTHCHECK')[0]!.args)![2]!;
    const healthy = await fakeServer((path) => (path === '/healthz' ? 200 : 404));
    const sick = await fakeServer(() => 500);
    try {
      expect(
        (await run('node', ['-e', script], { env: { PORT: String(healthy.port) } })).code,
      ).toBe(0);
      const closed = await closedPort();
      expect((await run('node', ['-e', script], { env: { PORT: String(closed) } })).code).toBe(1);
      if (files[file].health === 'http') {
        expect((await run('node', ['-e', script], { env: { PORT: String(sick.port) } })).code).toBe(
          1,
        );
      }
    } finally {
      await healthy.close();
      await sick.close();
    }
  });

  it('when the image is built, then no secret is baked into it', () => {
    for (const stage of dockerfile.stages) {
      for (const instruction of [...instructions(stage, 'ENV'), ...instructions(stage, 'ARG')]) {
        expect(instruction.args, `${stage.name}: ${instruction.args}`).not.toMatch(
          /(SECRET|PASSWORD|TOKEN|PRIVATE|_KEY)\b/i,
        );
      }
      for (const add of instructions(stage, 'ADD')) {
        expect(add.args, 'no ADD of remote URLs').not.toMatch(/https?:\/\//);
      }
    }
  });
});

describe('the service Dockerfile', () => {
  it('when SERVICE is missing or unknown, then the build stops with a message', () => {
    const deps = runs(stageNamed('infra/docker/Dockerfile', 'deps')).join('\n');
    expect(deps).toContain('if [ -z "$SERVICE" ]');
    expect(deps).toContain('services/$SERVICE/package.json');
    expect(
      instructions(stageNamed('infra/docker/Dockerfile', 'deps'), 'ARG').map((a) => a.args),
    ).toContain('SERVICE');
  });

  it('when native addons are installed, then they are compiled and loaded at build time', () => {
    const deps = runs(stageNamed('infra/docker/Dockerfile', 'deps')).join('\n');
    expect(deps).toContain('node-gyp.js');
    expect(deps).toContain('rebuild');
    expect(deps).toMatch(/require\(process\.argv\[1\]\)/);
  });
});

describe('.dockerignore', () => {
  const patterns = readRepoFile('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const ignored = (name: string) =>
    patterns.some((p) => p.replace(/^\*\*\//, '') === name || p === `**/${name}` || p === name);

  it('when the context is sent, then build output, dependencies, VCS and local state stay out', () => {
    for (const name of [
      'node_modules',
      'dist',
      '.next',
      '.git',
      '.gittix',
      'test-output',
      'bench/results',
    ]) {
      expect(ignored(name), name).toBe(true);
    }
  });

  it('when the context is sent, then local secrets stay out', () => {
    expect(ignored('.env')).toBe(true);
    expect(patterns).toContain('**/*.pem');
  });

  it('when the images build, then the files they copy are not ignored', () => {
    const rootPackage = JSON.parse(readRepoFile('package.json')) as { workspaces: string[] };
    for (const name of ['package.json', 'package-lock.json', 'services.json', '.npmrc']) {
      expect(ignored(name), name).toBe(false);
    }
    for (const workspace of rootPackage.workspaces) {
      expect(ignored(workspace), workspace).toBe(false);
      expect(() => readRepoFile(`${workspace}/package.json`), workspace).not.toThrow();
    }
    expect(patterns.some((p) => p === '*.json' || p === '**/*.json')).toBe(false);
  });
});
