import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { z } from 'zod';

/**
 * An emailed link's token travels from auth to notifications sealed (AES-256-GCM)
 * with a key only those two hold, so auth's outbox rows, the event stream, its dead
 * letters and `npm run events -- tail` never show a usable token. The subject and
 * the user are the associated data: a sealed token moved into another event or
 * another user's event does not open.
 */
export type SealedTokenPurpose = 'user.verification_requested' | 'user.password_reset_requested';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Local development's key (32 bytes, public: it is in this file): refused in production. */
export const DEVELOPMENT_EMAIL_TOKEN_KEY = 'ZGV2ZWxvcG1lbnQgb25seTogbm90IGEgc2VjcmV0ISE=';

/**
 * EMAIL_TOKEN_KEY: 32 random bytes, base64 (`openssl rand -base64 32`); auth and
 * notifications must hold the same. Defaults to the development key, which a
 * service's config refuses when NODE_ENV=production (see emailTokenKeyIssue).
 */
export const emailTokenKeySchema = z
  .string()
  .default(DEVELOPMENT_EMAIL_TOKEN_KEY)
  .refine((value) => keyBytes(value).length === 32, {
    message: 'Must be 32 bytes, base64 (openssl rand -base64 32)',
  });

/** Why a production config may not use this key, or undefined when it may. */
export function emailTokenKeyIssue(key: string, nodeEnv: string): string | undefined {
  if (nodeEnv !== 'production') return undefined;
  return keyBytes(key).equals(keyBytes(DEVELOPMENT_EMAIL_TOKEN_KEY))
    ? 'Required in production (32 random bytes, base64; the same in auth and notifications)'
    : undefined;
}

const keyBytes = (key: string) => Buffer.from(key, 'base64');

const associatedData = (purpose: SealedTokenPurpose, userId: string) =>
  Buffer.from(`${purpose}:${userId}`);

/** Seals `token` with `key` (EMAIL_TOKEN_KEY, base64) for the event of `purpose` about `userId`. */
export function sealToken(
  key: string,
  token: string,
  context: { purpose: SealedTokenPurpose; userId: string },
): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keyBytes(key), iv);
  cipher.setAAD(associatedData(context.purpose, context.userId));
  const sealed = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
  return `${VERSION}.${Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url')}`;
}

/** The token, or an Error when the key, the purpose or the user is not the one it was sealed with. */
export function unsealToken(
  key: string,
  sealed: string,
  context: { purpose: SealedTokenPurpose; userId: string },
): string {
  const [version, body] = sealed.split('.');
  const bytes = Buffer.from(body ?? '', 'base64url');
  if (version !== VERSION || bytes.length <= IV_BYTES + TAG_BYTES) {
    throw new Error(`not a sealed token of version ${VERSION}`);
  }
  const decipher = createDecipheriv('aes-256-gcm', keyBytes(key), bytes.subarray(0, IV_BYTES));
  decipher.setAAD(associatedData(context.purpose, context.userId));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  return Buffer.concat([
    decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
    decipher.final(),
  ]).toString('utf8');
}
