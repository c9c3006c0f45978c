import { type SealedTokenPurpose, unsealToken } from '@gittix/common';

/**
 * The token an emailed link carries: auth seals it (EMAIL_TOKEN_KEY), so the stream
 * never holds it in clear. A sealed token that does not open (another key, another
 * user or address) fails the event, which is retried and then dead-lettered: a link
 * that could not work is never sent.
 */
export function linkToken(
  key: string,
  purpose: SealedTokenPurpose,
  data: { userId: string; email: string; sealedToken: string },
): string {
  try {
    return unsealToken(key, data.sealedToken, { purpose, userId: data.userId, email: data.email });
  } catch (error) {
    throw new Error(`${purpose}: the sealed token does not open; is EMAIL_TOKEN_KEY auth's?`, {
      cause: error,
    });
  }
}
