import { describe, expect, it } from 'vitest';
import {
  cpuProfileSchema,
  flameSvg,
  frameLabel,
  framesOf,
  packageOf,
  topTables,
} from '../profiles/flame.js';

const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({
  id,
  callFrame: { functionName, url, lineNumber: 9, columnNumber: 0, scriptId: '0' },
  hitCount: 0,
  children,
});

/** 10 samples of 1 ms: 5 idle, 3 in handler, 2 in verify (called by handler). */
const profile = cpuProfileSchema.parse({
  nodes: [
    frame(1, '(root)', '', [2, 3]),
    frame(2, '(idle)', ''),
    frame(3, 'handler', 'file:///repo/services/orders/dist/create-order.js', [4]),
    frame(4, 'verify', 'file:///repo/node_modules/jose/dist/webapi/jwt/verify.js'),
  ],
  startTime: 0,
  endTime: 10_000,
  samples: [2, 2, 2, 2, 2, 3, 3, 3, 4, 4],
});

describe('flame graphs from .cpuprofile', () => {
  it('when frames are named, then their package is GitTix, a dependency, Node or V8', () => {
    expect(packageOf('file:///r/services/orders/dist/x.js', 'f')).toBe('gittix orders');
    expect(packageOf('file:///r/node_modules/@fastify/reply-from/index.js', 'f')).toBe(
      '@fastify/reply-from',
    );
    expect(packageOf('node:internal/url', 'URL')).toBe('node');
    expect(packageOf('', '(garbage collector)')).toBe('(garbage collector)');
    expect(frameLabel('file:///r/node_modules/pg/lib/query.js', 'submit', 151)).toBe(
      'submit (pg/lib/query.js:152)',
    );
  });

  it('when a profile is summed, then idle is left out and each frame gets its own samples as self time', () => {
    const { frames } = framesOf(profile);
    const tables = topTables('orders', frames, 5);

    expect(tables).toContain('Busy 5 ms of 10 ms profiled (50.0 %).');
    expect(tables).toMatch(
      /\| 3 ms +\| 60\.0 % +\| `handler \(services\/orders\/dist\/create-order\.js:10\)`/,
    );
    expect(tables).toMatch(
      /\| 2 ms +\| 40\.0 % +\| `verify \(jose\/dist\/webapi\/jwt\/verify\.js:10\)`/,
    );
    expect(tables).not.toContain('(idle)');
  });

  it('when drawn, then the SVG has a box per busy frame, widths by CPU time, and none for idle', async () => {
    const svg = await flameSvg('orders (test)', framesOf(profile).frames);

    expect(svg).toMatch(/^<svg[^>]*><title>orders \(test\)<\/title>/);
    expect(svg).toContain('all busy time: 5 ms');
    expect(svg).toContain(
      'handler (services/orders/dist/create-order.js:10): 100.0 % of busy time',
    );
    expect(svg).toContain('verify (jose/dist/webapi/jwt/verify.js:10): 40.0 % of busy time');
    expect(svg).not.toContain('(idle)');
  });
});
