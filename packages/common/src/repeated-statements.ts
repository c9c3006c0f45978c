import { createHash } from 'node:crypto';
import type pg from 'pg';

/** Distinct statements a process prepares at most (each connection holds one plan per name). */
const MAX_PREPARED = 500;
/** Statements seen once are counted up to this many, then forgotten together. */
const MAX_COUNTED = 5_000;

/**
 * `*` other than in `count(*)`: `SELECT *`, `t.*`, `RETURNING *`. Such a statement's
 * result type is fixed when it is prepared, so once a migration adds a column (a
 * rolling deploy: the new version's migrate step, the old replicas still serving)
 * Postgres refuses to run it again ("cached plan must not change result type")
 * until the process restarts. Those stay unnamed; explicit columns are safe.
 */
const STAR = /(?<!\()\*/;

/**
 * Which statement texts to run as prepared statements: those seen a second time,
 * named by a digest of their text. Kysely sends every query unnamed, so Postgres
 * parses and plans each call again (in the flash sale most of the database's CPU
 * beyond the order itself: the relays, the consumers' inbox rows, the tickets
 * service's reservations and listings). A statement that runs again is worth a
 * plan per connection; one-offs (migrations, ad hoc queries) stay unnamed, and
 * a process names at most MAX_PREPARED texts, so a query whose text varies with
 * its input cannot grow the cache without bound.
 */
export class RepeatedStatements {
  private readonly named = new Map<string, string>();
  private readonly counted = new Map<string, number>();

  /** The name to prepare `text` under, or undefined to run it unnamed. */
  nameOf(text: string): string | undefined {
    if (STAR.test(text)) return undefined;
    const known = this.named.get(text);
    if (known !== undefined || this.named.size >= MAX_PREPARED) return known;
    if (!this.counted.has(text)) {
      if (this.counted.size >= MAX_COUNTED) this.counted.clear();
      this.counted.set(text, 1);
      return undefined;
    }
    this.counted.delete(text);
    const name = `auto_${createHash('sha256').update(text).digest('hex').slice(0, 20)}`;
    this.named.set(text, name);
    return name;
  }
}

/** One per process: names are digests of the text, so every pool can share them. */
const repeated = new RepeatedStatements();

type Query = (config: unknown, values?: unknown, callback?: unknown) => unknown;

/**
 * Makes `client` run a parameterised statement it was given as text (Kysely's
 * `query(sql, parameters)`) as a prepared statement once its text repeats. Only
 * statements with parameters: those go through the extended protocol anyway,
 * while BEGIN, COMMIT and other bare statements stay one simple-protocol message.
 */
export function prepareRepeatedStatements(
  client: pg.PoolClient,
  statements: RepeatedStatements = repeated,
): void {
  const query = client.query.bind(client) as Query;
  const preparing: Query = (config, values, callback) => {
    if (
      typeof config === 'string' &&
      Array.isArray(values) &&
      values.length > 0 &&
      callback === undefined
    ) {
      const name = statements.nameOf(config);
      if (name !== undefined) return query({ name, text: config, values });
    }
    return query(config, values, callback);
  };
  // pg's overloaded `query` cannot be restated here; `preparing` passes every call through.
  client.query = preparing as typeof client.query;
}
