import { dropDatabase, ensureDatabase } from '../db.js';
import { testInfra, uniqueName } from './names.js';

export interface TestDatabase {
  url: string;
  drop: () => Promise<void>;
}

/** A fresh database of its own for one test file. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const url = `${testInfra.postgresUrl}/${uniqueName(label)}`;
  await ensureDatabase(url);
  return { url, drop: () => dropDatabase(url) };
}
