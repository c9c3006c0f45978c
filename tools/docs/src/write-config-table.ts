/**
 * `npm run docs:config`: rewrites the configuration table in README.md from the
 * config schemas, keeping each key's description. A new key gets an empty one to
 * fill in (the test in tools/docs/test fails until it is).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { configSchemas } from './config-schemas.js';
import { descriptionsIn, renderConfigTable, withTable } from './config-table.js';

const readmeUrl = new URL('../../../README.md', import.meta.url);
const readme = await readFile(readmeUrl, 'utf8');
const table = renderConfigTable(configSchemas, descriptionsIn(readme));
await writeFile(readmeUrl, withTable(readme, table));
const undescribed = table.split('\n').filter((row) => row.endsWith('|  |'));
console.log(`README.md: configuration table written, ${undescribed.length} key(s) to describe`);
