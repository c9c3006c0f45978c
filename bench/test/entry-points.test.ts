import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { repoRoot, services } from '../../scripts/system/services.js';

/** Module specifiers of static imports, re-exports and dynamic imports in a source text. */
function importsOf(source: string): string[] {
  const specifiers = source.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g);
  return [...specifiers].map((match) => match[1]!);
}

/** A service's insides: its folder (`services/orders/src/…`) or its workspace package. */
const serviceNames = services.map((s) => s.name).join('|');
const SERVICE_INSIDES = new RegExp(`(^|/)services/|^@gittix/(${serviceNames})(/|$)`);

// This file: the sample imports in its first test would count against it.
const thisFile = fileURLToPath(import.meta.url);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
    return /\.(ts|tsx|js|mjs)$/.test(entry.name) && path !== thisFile ? [path] : [];
  });
}

describe('bench and the end-to-end tests reach GitTix only through its entry points', () => {
  it('when a file imports a service folder or package, then the check sees it', () => {
    const source = `import { createOrder } from '../../services/orders/src/create-order.js';
      export { x } from "@gittix/tickets/src/x.js";
      const m = await import('../services/expiration/src/queue.js');
      import { EventBus } from '@gittix/common';`;
    expect(importsOf(source).filter((s) => SERVICE_INSIDES.test(s))).toEqual([
      '../../services/orders/src/create-order.js',
      '@gittix/tickets/src/x.js',
      '../services/expiration/src/queue.js',
    ]);
  });

  it('when bench/ or e2e/ imports a module, then it is never one of a service', () => {
    const offenders = ['bench', 'e2e'].flatMap((dir) =>
      sourceFiles(join(repoRoot, dir)).flatMap((file) =>
        importsOf(readFileSync(file, 'utf8'))
          .filter((specifier) => SERVICE_INSIDES.test(specifier))
          .map((specifier) => `${relative(repoRoot, file)} imports ${specifier}`),
      ),
    );
    expect(offenders).toEqual([]);
  });
});
