import { type EventData, enqueueEvent } from '@gittix/common';
import type { Transaction } from 'kysely';
import type { AuthDatabase } from './db/schema.js';

/** A user as the API shows it: never the password hash. */
export interface User {
  id: string;
  email: string;
}

export interface Credentials {
  /** Already trimmed and lower-cased by the route schema. */
  email: string;
  password: string;
}

/** A user as user.* events carry it. */
export interface UserRow {
  id: string;
  email: string;
  email_verified: boolean;
  version: number;
}

export const userEventData = (row: UserRow): EventData<'user.created'> => ({
  id: row.id,
  version: row.version,
  email: row.email,
  emailVerified: row.email_verified,
});

/** Writes user.created or user.updated for `row`, in the transaction that changed it. */
export async function announceUser(
  trx: Transaction<AuthDatabase>,
  subject: 'user.created' | 'user.updated',
  row: UserRow,
): Promise<void> {
  await enqueueEvent(trx, subject, userEventData(row));
}
