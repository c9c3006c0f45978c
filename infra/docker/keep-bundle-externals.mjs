// Prunes a service image's node_modules to what its bundle still imports.
//
//   node keep-bundle-externals.mjs <app root> <service dir> <externals.json>
//
// A service runs as one bundled file (dist/main.bundle.js, scripts/system/build.ts);
// only the packages left out of the bundle (native addons, pino, Swagger UI's files)
// are imported from node_modules at run time. <externals.json> is the list the build
// wrote beside the bundle (dist/main.bundle.externals.json). They resolve as Node
// resolves them from the service: <service dir>/node_modules first (npm keeps a
// workspace's own versions there), then <app root>/node_modules. Every top-level
// package of those two that none of them needs, directly or through their
// dependencies (optional and peer ones included), is removed. Names on the list that
// are not installed are optional imports the bundle guards with a try (pg-native,
// ws's bufferutil) or packages of another service (argon2 is auth's).
// Plain Node, no dependencies: it runs in the image's deps stage.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The package directory `name` resolves to from `from`, looking up to `appRoot` as Node does. */
function resolveFrom(appRoot, from, name) {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === appRoot || !dir.startsWith(appRoot)) return undefined;
  }
}

/** The top-level entry (`<node_modules>/name` or `<node_modules>/@scope/name`) a package dir is in. */
function topLevelOf(nodeModulesDirs, dir) {
  const base = nodeModulesDirs.find((candidate) => dir.startsWith(candidate + sep));
  const parts = relative(base, dir).split(sep);
  return join(base, parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]);
}

/** The node_modules folders the service's imports are found in, nearest first. */
export function nodeModulesOf(appRoot, serviceDir) {
  return [join(serviceDir, 'node_modules'), join(appRoot, 'node_modules')].filter((dir) =>
    existsSync(dir),
  );
}

/** Top-level entries (absolute paths) that `externals` need, with all they depend on. */
export function neededPackages(appRoot, serviceDir, externals) {
  const nodeModulesDirs = nodeModulesOf(appRoot, serviceDir);
  const needed = new Set();
  const seen = new Set();
  const queue = externals
    .map((name) => resolveFrom(appRoot, serviceDir, name))
    .filter((dir) => dir !== undefined);
  while (queue.length > 0) {
    const dir = queue.pop();
    if (seen.has(dir)) continue;
    seen.add(dir);
    needed.add(topLevelOf(nodeModulesDirs, dir));
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const names = [
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.optionalDependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
    ];
    for (const name of names) {
      const found = resolveFrom(appRoot, dir, name);
      if (found) queue.push(found);
    }
  }
  return needed;
}

/** Removes every top-level entry of `nodeModules` not in `needed`; returns what it removed. */
export function pruneTo(nodeModules, needed) {
  const removed = [];
  for (const entry of readdirSync(nodeModules)) {
    if (entry === '.package-lock.json') continue;
    const names = entry.startsWith('@')
      ? readdirSync(join(nodeModules, entry)).map((name) => `${entry}/${name}`)
      : [entry];
    for (const name of names) {
      if (needed.has(join(nodeModules, name))) continue;
      rmSync(join(nodeModules, name), { recursive: true, force: true });
      removed.push(name);
    }
    if (entry.startsWith('@') && readdirSync(join(nodeModules, entry)).length === 0)
      rmSync(join(nodeModules, entry), { recursive: true, force: true });
  }
  return removed;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [appRootArg, serviceDirArg, externalsFile] = process.argv.slice(2);
  if (!appRootArg || !serviceDirArg || !externalsFile) {
    console.error(
      'usage: node keep-bundle-externals.mjs <app root> <service dir> <externals.json>',
    );
    process.exit(2);
  }
  const appRoot = resolve(appRootArg);
  const serviceDir = resolve(serviceDirArg);
  const externals = JSON.parse(readFileSync(externalsFile, 'utf8'));
  const needed = neededPackages(appRoot, serviceDir, externals);
  let removed = 0;
  for (const nodeModules of nodeModulesOf(appRoot, serviceDir))
    removed += pruneTo(nodeModules, needed).length;
  const kept = [...needed].map((dir) => relative(appRoot, dir)).sort();
  console.log(
    `kept ${kept.length} packages for the bundle (${kept.join(', ')}); removed ${removed}`,
  );
}
