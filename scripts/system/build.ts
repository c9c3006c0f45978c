import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { basename, join } from 'node:path';
import { type BuildOptions, buildSync, type Metafile } from 'esbuild';
import { repoRoot, services } from './services.js';

function run(command: string, args: string[], what: string): void {
  const result = spawnSync(command, args, {
    cwd: repoRoot,
    stdio: 'inherit',
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
  });
  if (result.status !== 0)
    throw new Error(`${what} failed (exit ${result.status ?? result.signal})`);
}

/**
 * The newest modification time of the files under `dir`, skipping folders named in `skip`.
 * With `folders`, also of the folders below `dir` (not `dir` itself): a folder's time moves
 * when a file in it is deleted or renamed, which no remaining file's time shows.
 */
function newestMtime(
  dir: string,
  skip: readonly string[] = ['node_modules', '.next', 'test', 'dist'],
  folders = false,
): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (skip.includes(entry.name)) continue;
    const path = join(dir, entry.name);
    const own = !entry.isDirectory() || folders ? statSync(path).mtimeMs : 0;
    const below = entry.isDirectory() ? newestMtime(path, skip, folders) : 0;
    newest = Math.max(newest, own, below);
  }
  return newest;
}

const mtimeOf = (path: string): number => (existsSync(path) ? statSync(path).mtimeMs : 0);

/** The services that run from a bundle: all but the web app (Next.js builds its own). */
export const BUNDLED_SERVICES = services.filter((s) => s.name !== 'web').map((s) => s.name);

/** The file a service runs from: its compiled main with every dependency it can hold. */
export const BUNDLE_FILE = 'dist/main.bundle.js';
/**
 * Beside it, the packages it still imports from node_modules (JSON, a list of names):
 * the image keeps only those and what they depend on (infra/docker/keep-bundle-externals.mjs).
 */
export const BUNDLE_EXTERNALS_FILE = 'dist/main.bundle.externals.json';
/** The names, in dist/, of the files bundleServices writes. */
const BUNDLE_OUTPUTS = [BUNDLE_FILE, `${BUNDLE_FILE}.map`, BUNDLE_EXTERNALS_FILE].map((file) =>
  basename(file),
);

/**
 * Left as imports of node_modules, not bundled: native addons (argon2; msgpackr's
 * optional extractor; pg's optional native client), files read from the package's
 * own folder at run time (Swagger UI's static assets), and pino with its pretty
 * printer, which start worker threads from their own files.
 */
export const NOT_BUNDLED = [
  '@node-rs/argon2',
  'msgpackr-extract',
  'pg-native',
  '@fastify/swagger-ui',
  'pino',
  'pino-pretty',
];

/**
 * CommonJS code in the bundle still asks for `require`, `__filename` and
 * `__dirname`, which an ES module does not have: defined once, at the top.
 */
const COMMONJS_GLOBALS = [
  "import { createRequire as __gxRequire } from 'node:module';",
  "import { dirname as __gxDirname } from 'node:path';",
  "import { fileURLToPath as __gxPath } from 'node:url';",
  'const require = __gxRequire(import.meta.url);',
  'const __filename = __gxPath(import.meta.url);',
  'const __dirname = __gxDirname(__filename);',
].join('\n');

/** How esbuild bundles one service's compiled main (bundleServices; its test reads the metafile). */
export function bundleOptions(service: string): BuildOptions {
  const dir = join(repoRoot, 'services', service);
  return {
    entryPoints: [join(dir, 'dist/main.js')],
    outfile: join(dir, BUNDLE_FILE),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: NOT_BUNDLED,
    banner: { js: COMMONJS_GLOBALS },
    sourcemap: 'linked',
    sourcesContent: false,
    metafile: true,
    logLevel: 'warning',
  };
}

/** The package a bare import names (`@scope/name/sub` → `@scope/name`). */
const packageOf = (path: string): string =>
  path.startsWith('@') ? path.split('/').slice(0, 2).join('/') : path.split('/')[0]!;

const isBuiltin = (path: string): boolean =>
  path.startsWith('node:') || builtinModules.includes(path.split('/')[0]!);

/** The packages a bundle imports from node_modules, by its metafile (sorted, each once). */
export function externalPackagesOf(metafile: Metafile): string[] {
  const names = Object.values(metafile.outputs)
    .flatMap((output) => output.imports)
    .filter((imported) => imported.external && !isBuiltin(imported.path))
    .map((imported) => packageOf(imported.path));
  return [...new Set(names)].sort();
}

/**
 * Bundles each service's compiled main (dist/main.js, as tsc emits it) with its
 * dependencies into one file, dist/main.bundle.js: a process then reads and
 * compiles one file instead of ~1,400 modules (auth; tickets ~1,950; its imports took
 * ~0.8 s of CPU through Node's module loader, ~0.25 s as one file). The source
 * map goes through dist/*.js's own maps back to src/*.ts.
 */
export function bundleServices(): void {
  // What every bundle is made of besides its service's own dist/: @gittix/common's
  // dist/ and the installed dependencies (npm ci rewrites this file).
  const shared = Math.max(
    newestMtime(join(repoRoot, 'packages/common/dist'), []),
    mtimeOf(join(repoRoot, 'node_modules/.package-lock.json')),
  );
  for (const service of BUNDLED_SERVICES) {
    const dir = join(repoRoot, 'services', service);
    const bundled = mtimeOf(join(dir, BUNDLE_FILE));
    // tsc's output only: the bundle's own files are what is compared with it.
    const compiled = newestMtime(join(dir, 'dist'), BUNDLE_OUTPUTS);
    const listed = existsSync(join(dir, BUNDLE_EXTERNALS_FILE));
    if (listed && bundled > shared && bundled > compiled) continue;
    const result = buildSync(bundleOptions(service));
    if (result.errors.length > 0 || !result.metafile) throw new Error(`bundling ${service} failed`);
    // Also those loaded by name rather than imported (pino's transport loads
    // pino-pretty): the image keeps any of them it has installed.
    const externals = [...new Set([...externalPackagesOf(result.metafile), ...NOT_BUNDLED])].sort();
    writeFileSync(join(dir, BUNDLE_EXTERNALS_FILE), `${JSON.stringify(externals, null, 2)}\n`);
  }
}

/**
 * Compiles @gittix/common, the services and the CLI to dist/ (incremental), then
 * bundles each service's main (bundleServices).
 */
export function buildServices(): void {
  run(
    process.execPath,
    [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-b'],
    'TypeScript build',
  );
  bundleServices();
}

const webDir = join(repoRoot, 'apps/web');

/** True when the web app's production build is missing or older than its sources. */
export function webBuildStale(): boolean {
  const buildId = join(webDir, '.next', 'BUILD_ID');
  // Folders too: a page or icon deleted changes what Next builds.
  return !existsSync(buildId) || statSync(buildId).mtimeMs < newestMtime(webDir, undefined, true);
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
