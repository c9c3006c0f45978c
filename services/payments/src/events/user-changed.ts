import { applyUserToReplica, type EventHandler } from '@gittix/common';
import type { PaymentsDatabase } from '../db/schema.js';

/** user.created / user.updated → the users replica (a newer version wins): payouts need a verified email. */
export const onUserChanged: EventHandler<
  PaymentsDatabase,
  'user.created' | 'user.updated'
> = async (trx, event) => {
  await applyUserToReplica(trx, event.data);
};
