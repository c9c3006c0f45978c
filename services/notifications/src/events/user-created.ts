import type { EventHandler } from '@gittix/common';
import type { NotificationsDatabase } from '../db/schema.js';
import { applyUser } from '../users.js';

/** user.created → the replica learns the address; emails waiting for the user go out. */
export const onUserCreated: EventHandler<NotificationsDatabase, 'user.created'> = (trx, event) =>
  applyUser(trx, event.data);
