import type { ColumnType, Generated } from 'kysely';

export interface UsersTable {
  id: Generated<string>;
  /** Stored trimmed and lower-cased; unique through the index on lower(email). */
  email: string;
  password_hash: string;
  created_at: ColumnType<Date, never, never>;
}

/** One counter per email and per client address; see sign-in-throttle.ts. */
export interface SignInFailuresTable {
  key: string;
  failures: number;
  window_started_at: ColumnType<Date, Date | undefined, Date>;
}

export interface AuthDatabase {
  users: UsersTable;
  sign_in_failures: SignInFailuresTable;
}
