import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configSchemas } from '../src/config-schemas.js';
import {
  descriptionsIn,
  renderConfigTable,
  TABLE_END,
  TABLE_START,
  tableIn,
} from '../src/config-table.js';

const readRepoFile = (path: string) =>
  readFile(new URL(`../../../${path}`, import.meta.url), 'utf8');

describe("the README's configuration table", () => {
  it('when a config schema changes, then the table still matches it (npm run docs:config rewrites it)', async () => {
    const readme = await readRepoFile('README.md');

    expect(tableIn(readme)).toBe(renderConfigTable(configSchemas, descriptionsIn(readme)));
  });

  it('when a key is in the table, then it says what the key sets', async () => {
    const descriptions = descriptionsIn(await readRepoFile('README.md'));

    expect(descriptions.size).toBeGreaterThan(0);
    expect([...descriptions].filter(([, text]) => text === '').map(([key]) => key)).toEqual([]);
  });

  it('when a process is in services.json, then its config schema feeds the table', async () => {
    const { services } = JSON.parse(await readRepoFile('services.json')) as {
      services: Array<{ name: string }>;
    };

    expect(Object.keys(configSchemas)).toEqual(services.map((service) => service.name));
  });
});

describe('renderConfigTable', () => {
  const schemas = {
    api: z.object({
      PORT: z.coerce.number().default(3001),
      DATABASE_URL: z.string().default('postgres://db/api'),
      LOG_LEVEL: z.string().default('info'),
      SECRET: z.string().optional(),
    }),
    // Refinements and transforms, as auth's schema has, hide nothing.
    worker: z
      .object({
        PORT: z.coerce.number().default(3002),
        DATABASE_URL: z.string().default('postgres://db/worker'),
        LOG_LEVEL: z.string().default('info'),
        TOKEN: z.string(),
      })
      .superRefine(() => {})
      .transform((config) => ({ ...config, extra: true })),
    web: z.object({ LOG_LEVEL: z.string().default('info') }),
  };
  const readme = (table: string) => `intro\n${TABLE_START}\n${table}\n${TABLE_END}\nmore`;

  it('when keys are shared, then one row each says who reads it and its default, shared keys first', () => {
    const described = new Map([['LOG_LEVEL', 'how much to log']]);

    expect(renderConfigTable(schemas, described).split('\n').slice(2)).toEqual([
      '| `LOG_LEVEL` | every service | `info` | how much to log |',
      '| `PORT` | every service but web | api `3001`, worker `3002` |  |',
      '| `DATABASE_URL` | every service but web | `postgres://db/<service>` |  |',
      '| `SECRET` | api | — |  |',
      '| `TOKEN` | worker | required |  |',
    ]);
  });

  it('when a key leaves every schema, then its row goes and its description with it', () => {
    const old = renderConfigTable(
      { ...schemas, api: schemas.api.extend({ OLD: z.string() }) },
      new Map(),
    );
    const descriptions = descriptionsIn(
      readme(old.replace('| `OLD` | api | required |  |', '| `OLD` | api | required | gone |')),
    );

    expect(descriptions.get('OLD')).toBe('gone');
    expect(renderConfigTable(schemas, descriptions)).not.toContain('OLD');
  });
});
