import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { z } from 'zod';

/**
 * An emailed link's token travels from auth to notifications sealed (AES-256-GCM)
 * with a key only those two hold, so auth's outbox rows, the event stream, its dead
 * letters and `npm run events -- tail` never show a usable token. The subject, the
 * user and the address the link is emailed to are the associated data: a sealed token
 * moved into another event, another user's, or one sending it to another address (a
 * copy republished by whoever can tail and publish) does not open.
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
  .trim()
  .default(DEVELOPMENT_EMAIL_TOKEN_KEY)
  .refine((value) => isCanonicalBase64(value) && keyBytes(value).length === 32, {
    message: 'Must be 32 bytes, base64 (openssl rand -base64 32)',
  });

/**
 * Whether `value` is exactly the standard, padded base64 of its bytes. Buffer.from(…,
 * 'base64') reads what it can and skips the rest (a stray character, base64url's `-_`),
 * so a mistyped key, a passphrase or hex would otherwise pass as some 32 bytes.
 */
function isCanonicalBase64(value: string): boolean {
  return Buffer.from(value, 'base64').toString('base64') === value;
}

/** Why a production config may not use this key, or undefined when it may. */
export function emailTokenKeyIssue(key: string, nodeEnv: string): string | undefined {
  if (nodeEnv !== 'production') return undefined;
  return keyBytes(key).equals(keyBytes(DEVELOPMENT_EMAIL_TOKEN_KEY))
    ? 'Required in production (32 random bytes, base64; the same in auth and notifications)'
    : undefined;
}

const keyBytes = (key: string) => Buffer.from(key, 'base64');

/** What a sealed token is bound to: the event it travels in and where its link is sent. */
export interface SealedTokenContext {
  purpose: SealedTokenPurpose;
  userId: string;
  /** The address the event asks notifications to email the link to. */
  email: string;
}

// The email last: the purpose and the user id (a uuid) hold no ':', so this is unambiguous.
const associatedData = ({ purpose, userId, email }: SealedTokenContext) =>
  Buffer.from(`${purpose}:${userId}:${email}`);

/** Seals `token` with `key` (EMAIL_TOKEN_KEY, base64) for the event of `purpose` about `userId`, to `email`. */
export function sealToken(key: string, token: string, context: SealedTokenContext): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keyBytes(key), iv);
  cipher.setAAD(associatedData(context));
  const sealed = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
  return `${VERSION}.${Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url')}`;
}

/** The token, or an Error when the key, the purpose, the user or the address is not the one it was sealed with. */
export function unsealToken(key: string, sealed: string, context: SealedTokenContext): string {
  const [version, body] = sealed.split('.');
  const bytes = Buffer.from(body ?? '', 'base64url');
  if (version !== VERSION || bytes.length <= IV_BYTES + TAG_BYTES) {
    throw new Error(`not a sealed token of version ${VERSION}`);
  }
  const decipher = createDecipheriv('aes-256-gcm', keyBytes(key), bytes.subarray(0, IV_BYTES));
  decipher.setAAD(associatedData(context));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  return Buffer.concat([
    decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
    decipher.final(),
  ]).toString('utf8');
}
