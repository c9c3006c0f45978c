import type { ColumnType, Generated } from 'kysely';

export interface UsersTable {
  id: Generated<string>;
  /** Stored trimmed and lower-cased; unique through the index on lower(email). */
  email: string;
  password_hash: string;
  email_verified: Generated<boolean>;
  /** Bumped on every change user.* events carry, so replicas keep the newest. */
  version: Generated<number>;
  created_at: ColumnType<Date, never, never>;
}

/** A verification or reset link's token, by its SHA-256 (the raw token is only ever emailed). */
export interface EmailTokensTable {
  token_hash: string;
  user_id: string;
  purpose: 'verify' | 'reset';
  expires_at: Date;
  used_at: Date | null;
  created_at: ColumnType<Date, never, never>;
}

/** A session token issued (its `sid`); revoked_at set once it was ended. */
export interface SessionsTable {
  id: string;
  user_id: string;
  created_at: ColumnType<Date, never, never>;
  expires_at: Date;
  revoked_at: Date | null;
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
  email_tokens: EmailTokensTable;
  sessions: SessionsTable;
}
