import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const script = new URL('../docker/keep-bundle-externals.mjs', import.meta.url).pathname;

/** A package folder with a manifest naming its dependencies. */
function pkg(dir: string, dependencies: Record<string, string> = {}, extra = {}): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ dependencies, ...extra }));
}

describe('keep-bundle-externals.mjs (the image keeps only what its bundle imports)', () => {
  let app: string;
  afterEach(() => rmSync(app, { recursive: true, force: true }));

  it('when run on an install, then it keeps the externals and everything they need, wherever npm put them, and removes the rest', () => {
    app = mkdtempSync(join(tmpdir(), 'gx-prune-'));
    const root = join(app, 'node_modules');
    const own = join(app, 'services/gateway/node_modules');
    pkg(join(root, 'pino'), { 'atomic-sleep': '1' }, { optionalDependencies: { '@x/kept': '1' } });
    pkg(join(root, 'atomic-sleep'));
    pkg(join(root, '@x/kept'));
    pkg(join(root, '@x/unused'));
    pkg(join(root, 'fastify'), { avvio: '1' });
    pkg(join(root, 'avvio'));
    pkg(join(root, 'glob'));
    mkdirSync(join(root, '.bin'));
    // The workspace's own versions, where npm keeps them: resolved first.
    pkg(join(own, '@fastify/swagger-ui'), { '@fastify/static': '1' });
    pkg(join(own, '@fastify/static'), { glob: '1' });
    pkg(join(own, 'other'));
    const externals = join(app, 'externals.json');
    writeFileSync(externals, JSON.stringify(['@fastify/swagger-ui', 'pg-native', 'pino']));

    const result = spawnSync(
      process.execPath,
      [script, app, join(app, 'services/gateway'), externals],
      {
        encoding: 'utf8',
      },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^kept 6 packages .*; removed 5\n$/);

    const kept = [
      'node_modules/pino',
      'node_modules/atomic-sleep',
      'node_modules/@x/kept',
      'node_modules/glob',
      'services/gateway/node_modules/@fastify/swagger-ui',
      'services/gateway/node_modules/@fastify/static',
    ];
    for (const path of kept) expect(existsSync(join(app, path)), path).toBe(true);
    const removed = [
      'node_modules/fastify',
      'node_modules/avvio',
      'node_modules/@x/unused',
      'node_modules/.bin',
      'services/gateway/node_modules/other',
    ];
    for (const path of removed) expect(existsSync(join(app, path)), path).toBe(false);
  });

  it('when a scope is left empty, then the scope folder goes too', () => {
    app = mkdtempSync(join(tmpdir(), 'gx-prune-'));
    pkg(join(app, 'node_modules/pino'));
    pkg(join(app, 'node_modules/@gittix/common'));
    mkdirSync(join(app, 'services/auth'), { recursive: true });
    const externals = join(app, 'externals.json');
    writeFileSync(externals, JSON.stringify(['pino']));
    const result = spawnSync(
      process.execPath,
      [script, app, join(app, 'services/auth'), externals],
      {
        encoding: 'utf8',
      },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(existsSync(join(app, 'node_modules/pino'))).toBe(true);
    expect(existsSync(join(app, 'node_modules/@gittix'))).toBe(false);
  });
});
