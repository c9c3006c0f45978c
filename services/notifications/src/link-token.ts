import { type SealedTokenPurpose, unsealToken } from '@gittix/common';

/**
 * The token an emailed link carries: auth seals it (EMAIL_TOKEN_KEY), so the stream
 * never holds it in clear; an event from an auth release before sealing has it in
 * clear. A sealed token that does not open (another key) fails the event, which is
 * retried and then dead-lettered: a link that could not work is never sent.
 */
export function linkToken(
  key: string,
  purpose: SealedTokenPurpose,
  data: {
    userId: string;
    email: string;
    token?: string | undefined;
    sealedToken?: string | undefined;
  },
): string {
  if (data.sealedToken === undefined) {
    if (data.token === undefined) throw new Error(`${purpose} carries no token`);
    return data.token;
  }
  try {
    return unsealToken(key, data.sealedToken, { purpose, userId: data.userId, email: data.email });
  } catch (error) {
    throw new Error(`${purpose}: the sealed token does not open; is EMAIL_TOKEN_KEY auth's?`, {
      cause: error,
    });
  }
}
