import type { EventHandler } from '@gittix/common';
import type { NotificationsDatabase } from '../db/schema.js';
import { applyUser } from '../users.js';

/** user.updated → the replica takes the newer address (or verification). */
export const onUserUpdated: EventHandler<NotificationsDatabase, 'user.updated'> = (trx, event) =>
  applyUser(trx, event.data);
