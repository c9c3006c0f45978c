/**
 * Static checks of infra/docker/*.Dockerfile and .dockerignore (no Docker engine here),
 * on the syntax tree of Microsoft's Dockerfile parser and its linter's findings.
 */
import { describe, expect, it } from 'vitest';
import {
  argsOf,
  commandOf,
  envOf,
  execForm,
  healthcheckCommand,
  instructions,
  lintDockerfile,
  type ParsedDockerfile,
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
const paths = Object.keys(files) as File[];
const texts = Object.fromEntries(paths.map((path) => [path, readRepoFile(path)])) as Record<
  File,
  string
>;
const parsed = Object.fromEntries(
  paths.map((path) => [path, parseDockerfile(texts[path])]),
) as Record<File, ParsedDockerfile>;

const finalStage = (file: File): Stage => parsed[file].stages.at(-1)!;
const runs = (stage: Stage): string[] => instructions(stage, 'RUN').map(commandOf);
const stageNamed = (file: File, name: string): Stage => {
  const stage = parsed[file].stages.find((s) => s.name === name);
  if (!stage) throw new Error(`${file} has no stage ${name}`);
  return stage;
};
const healthcheckOf = (file: File): string[] | undefined => {
  const [check] = finalStage(file).image.getHEALTHCHECKs();
  return check && healthcheckCommand(check, texts[file]);
};

describe.each(paths)('%s', (file) => {
  const dockerfile = parsed[file];

  it('when linted, then the linter finds nothing', () => {
    expect(lintDockerfile(texts[file])).toEqual([]);
  });

  it('when built, then it is multi-stage and ends on a slim runtime of the pinned Node LTS', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(3);
    const major = dockerfile.globalArgs.NODE_MAJOR;
    const release = dockerfile.globalArgs.DEBIAN_RELEASE;
    expect(major, 'NODE_MAJOR pins a major version').toMatch(/^\d+$/);
    // LTS lines are the even majors; the project supports Node >= 20.
    expect(Number(major) % 2).toBe(0);
    expect(Number(major)).toBeGreaterThanOrEqual(20);
    for (const stage of dockerfile.stages) {
      expect(stage.base, `stage ${stage.name}`).toMatch(
        new RegExp(`^node:${major}-${release}(-slim)?$`),
      );
    }
    expect(finalStage(file).base).toBe(`node:${major}-${release}-slim`);
    expect(finalStage(file).name).toBe('runtime');
  });

  it('when building, then it installs with npm ci and builds with the workspace scripts', () => {
    const build = stageNamed(file, 'build');
    const commands = runs(build).join('\n');
    expect(commands).toMatch(/npm ci\b/);
    expect(commands).toMatch(
      file.endsWith('web.Dockerfile') ? /npm run build\b/ : /npm run build:services\b/,
    );
  });

  it('when the runtime is assembled, then it holds production dependencies of one workspace only', () => {
    const deps = runs(stageNamed(file, 'deps')).join('\n');
    expect(deps).toMatch(
      /npm ci --omit=dev --workspace="?@gittix\/(\$SERVICE|web)"? --include-workspace-root=false/,
    );
    const runtime = finalStage(file);
    expect(runs(runtime), 'nothing is installed in the runtime stage').toEqual([]);
    for (const copy of runtime.image.getCOPYs()) {
      const from = copy.getFromFlag()?.getValue() ?? undefined;
      expect(from, `${commandOf(copy)} copies from a build stage, not the context`).toBeDefined();
      expect(dockerfile.stages.map((s) => s.name)).toContain(from);
    }
  });

  it('when the container runs, then it is non-root, in production mode, on all interfaces', () => {
    const runtime = finalStage(file);
    const users = instructions(runtime, 'USER');
    expect(users).toHaveLength(1);
    const [uid, gid] = commandOf(users[0]!).split(':');
    // Numeric, so Kubernetes can verify runAsNonRoot; the k8s pods run as this uid.
    expect(uid).toMatch(/^\d+$/);
    expect(Number(uid)).toBe(1000);
    expect(Number(gid)).toBe(1000);
    const cmdLine = runtime.image.getCMDs()[0]!.getRange().start.line;
    expect(users[0]!.getRange().start.line).toBeLessThan(cmdLine);
    const env = envOf(runtime);
    expect(env.NODE_ENV).toBe('production');
    expect(env.HOST).toBe('0.0.0.0');
  });

  it('when the container stops, then SIGTERM reaches node directly (exec-form CMD)', () => {
    const runtime = finalStage(file);
    const cmds = runtime.image.getCMDs();
    expect(cmds).toHaveLength(1);
    const argv = execForm(cmds[0]!, texts[file]);
    expect(argv, 'CMD is a JSON array').toBeDefined();
    expect(argv![0]).toBe('node');
    for (const entrypoint of runtime.image.getENTRYPOINTs()) {
      expect(execForm(entrypoint, texts[file]), 'ENTRYPOINT is exec form').toBeDefined();
    }
    for (const signal of instructions(runtime, 'STOPSIGNAL')) {
      expect(commandOf(signal)).toBe('SIGTERM');
    }
  });

  it('when a load balancer keeps an idle connection open 60 s, then the server keeps it longer', () => {
    const argv = execForm(finalStage(file).image.getCMDs()[0]!, texts[file])!;
    // The services do it themselves (HTTP_KEEP_ALIVE_TIMEOUT_MS, 72 s by default);
    // next start takes it as a flag, else Node's 5 s: ingress-nginx's idle upstream
    // connections (60 s) then meet closed sockets, and some requests get a 502.
    if (argv.includes('start')) {
      const flag = argv.indexOf('--keepAliveTimeout');
      expect(flag, 'next start --keepAliveTimeout').toBeGreaterThan(0);
      expect(Number(argv[flag + 1])).toBeGreaterThan(60_000);
    }
  });

  it('when Docker checks health, then the image asks node, not curl', () => {
    expect(finalStage(file).image.getHEALTHCHECKs()).toHaveLength(1);
    const argv = healthcheckOf(file);
    expect(argv?.slice(0, 2)).toEqual(['node', '-e']);
    if (files[file].health === 'http') expect(argv![2]).toContain("'/healthz'");
    else expect(argv![2]).toContain("require('node:net')");
  });

  it('when the healthcheck runs, then it passes on a healthy process and fails otherwise', async () => {
    const script = healthcheckOf(file)![2]!;
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
    const declared = [
      dockerfile.globalArgs,
      ...dockerfile.stages.flatMap((stage) => [envOf(stage), argsOf(stage)]),
    ].flatMap((vars) => Object.entries(vars).map(([name, value]) => `${name}=${value}`));
    expect(declared).toContain('NODE_ENV=production');
    for (const entry of declared) {
      expect(entry).not.toMatch(/(SECRET|PASSWORD|TOKEN|PRIVATE|_KEY)\b/i);
    }
    for (const stage of dockerfile.stages) {
      for (const add of instructions(stage, 'ADD')) {
        expect(commandOf(add), 'no ADD of remote URLs').not.toMatch(/https?:\/\//);
      }
    }
  });
});

describe('the service Dockerfile', () => {
  it('when SERVICE is missing or unknown, then the build stops with a message', () => {
    const deps = runs(stageNamed('infra/docker/Dockerfile', 'deps')).join('\n');
    expect(deps).toContain('if [ -z "$SERVICE" ]');
    expect(deps).toContain('services/$SERVICE/package.json');
    expect(argsOf(stageNamed('infra/docker/Dockerfile', 'deps'))).toHaveProperty('SERVICE');
  });

  it('when the runtime is assembled, then node_modules holds only what the bundle imports, the workspace’s own versions included', () => {
    const dockerfile = readRepoFile('infra/docker/Dockerfile');
    const deps = runs(stageNamed('infra/docker/Dockerfile', 'deps')).join('\n');
    expect(deps).toMatch(
      /keep-bundle-externals\.mjs \. "services\/\$SERVICE" \/tmp\/bundle-externals\.json/,
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile syntax, not a template
    const service = '${SERVICE}';
    expect(dockerfile).toContain(
      `COPY --from=build /app/services/${service}/dist/main.bundle.externals.json /tmp/bundle-externals.json`,
    );
    expect(dockerfile).toContain(
      `COPY --from=deps /app/services/${service}/node_modules ./services/${service}/node_modules`,
    );
    // @gittix/common is in the bundle.
    expect(dockerfile).not.toContain('packages/common/dist');
  });

  it('when native addons are installed, then they are compiled and loaded at build time', () => {
    const deps = runs(stageNamed('infra/docker/Dockerfile', 'deps')).join('\n');
    expect(deps).toContain('node-gyp.js');
    expect(deps).toContain('rebuild');
    expect(deps).toMatch(/require\(process\.argv\[1\]\)/);
  });
});

describe('the Dockerfile reader', () => {
  const sample = [
    'ARG NODE_MAJOR=22',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile syntax, not a template
    'FROM node:${NODE_MAJOR}-slim AS runtime',
    'HEALTHCHECK --interval=5s \\',
    '  CMD ["node", "-e", "const  p = 1"]',
    'CMD node dist/main.bundle.js',
    'ENTRYPOINT ["tini", "--"]',
  ].join('\n');
  const [stage] = parseDockerfile(sample).stages;

  it('when a base image uses global ARGs, then the stage sees it expanded', () => {
    expect(stage!.base).toBe('node:22-slim');
    expect(stage!.name).toBe('runtime');
  });

  it('when CMD is shell form, then it has no exec form; when it is JSON, then every argument is kept exactly', () => {
    expect(execForm(stage!.image.getCMDs()[0]!, sample)).toBeUndefined();
    expect(execForm(stage!.image.getENTRYPOINTs()[0]!, sample)).toEqual(['tini', '--']);
  });

  it('when a HEALTHCHECK spans lines, then its command keeps the spaces inside its strings', () => {
    const [check] = stage!.image.getHEALTHCHECKs();
    expect(healthcheckCommand(check!, sample)).toEqual(['node', '-e', 'const  p = 1']);
    const shell = 'FROM node:22\nHEALTHCHECK CMD curl -f http://localhost/\n';
    const [shellCheck] = parseDockerfile(shell).stages[0]!.image.getHEALTHCHECKs();
    expect(healthcheckCommand(shellCheck!, shell)).toBeUndefined();
  });

  it('when a Dockerfile has mistakes, then the linter reports each with its line', () => {
    const findings = lintDockerfile(
      'FROM node:22\nHEALTHCHECK --interval=abc CMD true\nCMD a\nCMD b\n',
    );
    expect(findings).toContain('line 2: time: invalid duration abc');
    expect(findings.some((f) => /^line 3: There can only be one CMD/.test(f))).toBe(true);
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
