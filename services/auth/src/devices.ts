import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The cookie a browser gets after it signed in to an account (OWASP's device cookie). */
export const DEVICE_COOKIE = 'device';
/** A device stays known for a year after its last successful sign-in. */
export const DEVICE_COOKIE_MAX_AGE_SECONDS = 365 * 24 * 60 * 60;

export interface Device {
  email: string;
  nonce: string;
}

/** The account a device cookie vouches for: its email and its current password hash. */
export interface DeviceAccount {
  email: string;
  passwordHash: string;
}

/**
 * Signs and reads device cookies: `<email, base64url>.<nonce>.<HMAC-SHA256>`. The key
 * is derived from the session signing key, so every replica with the same
 * JWT_PRIVATE_KEY agrees without another secret to configure.
 *
 * The HMAC also covers the account's password hash (never in the cookie): a reset or
 * change makes a new hash (a new salt), so every cookie issued before it stops naming a
 * known device, without a timestamp to compare or a column to keep.
 */
export interface DeviceCookies {
  issue(account: DeviceAccount): string;
  /**
   * The device a cookie names, or null when it is missing, forged, truncated, for
   * another account, or issued before the account's password last changed.
   */
  read(cookie: string | undefined, account: DeviceAccount): Device | null;
}

export function createDeviceCookies(secret: string): DeviceCookies {
  // A new label since cookies cover the password: older cookies never verify.
  const key = createHmac('sha256', secret).update('gittix device cookie v2').digest();
  const mac = (body: string, passwordHash: string) =>
    createHmac('sha256', key).update(`${body}.${passwordHash}`).digest('base64url');
  return {
    issue({ email, passwordHash }) {
      const body = `${Buffer.from(email).toString('base64url')}.${randomBytes(16).toString('base64url')}`;
      return `${body}.${mac(body, passwordHash)}`;
    },
    read(cookie, { email, passwordHash }) {
      if (!cookie || cookie.length > 1024) return null;
      const parts = cookie.split('.');
      if (parts.length !== 3) return null;
      const [encodedEmail, nonce, signature] = parts as [string, string, string];
      if (encodedEmail !== Buffer.from(email).toString('base64url')) return null;
      const expected = Buffer.from(mac(`${encodedEmail}.${nonce}`, passwordHash));
      const given = Buffer.from(signature);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      return { email, nonce };
    },
  };
}
