import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { generateKeyPair, importPKCS8, type JWTPayload, SignJWT } from 'jose';
import { hostileString, percentEncode } from './hostile-json.js';

export interface SessionUser {
  id: string;
  email: string;
  /** The session JWT auth gave this user at sign-up. */
  token: string;
}

/** How a request presents itself: `valid` sessions act as a user, nothing else may. */
export interface Credentials {
  kind: 'none' | 'valid' | 'forged';
  label: string;
  headers: Record<string, string>;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Tokens that look like sessions of `victim` but must never be accepted: unsigned,
 * signed by another key, expired, for another issuer or audience, HMAC-signed
 * with the public key (algorithm confusion), tampered with, truncated.
 */
export async function forgeTokens(
  victim: SessionUser,
  authKeys: { privateKeyPem: string; publicKeyPem: string },
): Promise<Array<{ label: string; token: string }>> {
  const claims: JWTPayload = { email: victim.email };
  const now = Math.floor(Date.now() / 1000);
  const realKey = await importPKCS8(authKeys.privateKeyPem, 'EdDSA');
  const otherKey = (await generateKeyPair('EdDSA')).privateKey;
  const sign = (
    key: Parameters<SignJWT['sign']>[0],
    edit: (jwt: SignJWT) => SignJWT,
    alg = 'EdDSA',
  ) => edit(new SignJWT(claims).setProtectedHeader({ alg }).setSubject(victim.id)).sign(key);
  const standard = (jwt: SignJWT) =>
    jwt.setIssuer('gittix-auth').setAudience('gittix').setIssuedAt().setExpirationTime('1h');
  const [head, body, signature] = victim.token.split('.') as [string, string, string];
  const unsignedBody = b64({
    sub: victim.id,
    email: victim.email,
    iss: 'gittix-auth',
    aud: 'gittix',
    exp: now + 3600,
  });
  const flipped =
    signature.slice(0, -2) + (signature.at(-2) === 'A' ? 'B' : 'A') + signature.at(-1);

  return [
    { label: 'alg none', token: `${b64({ alg: 'none', typ: 'JWT' })}.${unsignedBody}.` },
    {
      label: 'alg none, signature kept',
      token: `${b64({ alg: 'none' })}.${unsignedBody}.${signature}`,
    },
    { label: 'another key', token: await sign(otherKey, standard) },
    {
      label: 'expired',
      token: await sign(realKey, (jwt) =>
        jwt
          .setIssuer('gittix-auth')
          .setAudience('gittix')
          .setIssuedAt(now - 7200)
          .setExpirationTime(now - 3600),
      ),
    },
    {
      label: 'not yet valid',
      token: await sign(realKey, (jwt) => standard(jwt).setNotBefore(now + 3600)),
    },
    { label: 'wrong issuer', token: await sign(realKey, (jwt) => standard(jwt).setIssuer('evil')) },
    {
      label: 'wrong audience',
      token: await sign(realKey, (jwt) => standard(jwt).setAudience('x')),
    },
    {
      label: 'HS256 keyed with the public key',
      token: await sign(new TextEncoder().encode(authKeys.publicKeyPem), standard, 'HS256'),
    },
    {
      label: 'payload swapped',
      token: `${head}.${b64({ sub: randomUUID(), email: 'x@example.com', iss: 'gittix-auth', aud: 'gittix', exp: now + 3600 })}.${signature}`,
    },
    { label: 'signature flipped', token: `${head}.${body}.${flipped}` },
    { label: 'signature cut', token: `${head}.${body}.` },
    { label: 'two parts', token: `${head}.${body}` },
    { label: 'four parts', token: `${victim.token}.${signature}` },
    { label: 'padded', token: `${head}=.${body}==.${signature}` },
  ];
}

/** Latin-1 only: Node refuses other header values before they leave the client. */
export const headerSafe = (value: string) =>
  value.replace(/[^\t\x20-\x7e\x80-\xff]/gu, (c) => percentEncode(c));

const asCookie = (token: string) => ({ cookie: `session=${token}` });
const asBearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A real session of one of `users`, as a cookie or a bearer token. */
export function signedIn(users: SessionUser[]): fc.Arbitrary<Credentials> {
  return fc.tuple(fc.constantFrom(...users), fc.boolean()).map(
    ([user, bearer]): Credentials => ({
      kind: 'valid',
      label: `${user.email} (${bearer ? 'bearer' : 'cookie'})`,
      headers: bearer ? asBearer(user.token) : asCookie(user.token),
    }),
  );
}

/** Every way the fuzzer presents itself: real sessions, forged ones, junk, nothing. */
export function credentials(
  users: SessionUser[],
  forged: Array<{ label: string; token: string }>,
): fc.Arbitrary<Credentials> {
  const valid = signedIn(users);
  const forgedToken = fc.tuple(fc.constantFrom(...forged), fc.boolean()).map(
    ([{ label, token }, bearer]): Credentials => ({
      kind: 'forged',
      label: `${label} (${bearer ? 'bearer' : 'cookie'})`,
      headers: bearer ? asBearer(token) : asCookie(token),
    }),
  );
  const junk = fc
    .oneof<fc.Arbitrary<Record<string, string>>[]>(
      hostileString.map((s) => ({ cookie: `session=${headerSafe(s)}` })),
      hostileString.map((s) => ({ authorization: headerSafe(s) })),
      hostileString.map((s) => ({ authorization: `Bearer ${headerSafe(s)}` })),
      fc.constantFrom<Record<string, string>>(
        { cookie: 'session=' },
        { cookie: 'session' },
        { cookie: '=session' },
        { cookie: ';;;;' },
        { cookie: 'session="quoted"' },
        { cookie: 'session=a; session=b; session=c' },
        { cookie: `session=%E0%A4%A; other=${'x'.repeat(20)}` },
        { authorization: 'Bearer' },
        { authorization: 'Bearer ' },
        { authorization: 'bearer x.y.z' },
        { authorization: 'Basic YWRtaW46YWRtaW4=' },
        { authorization: 'Bearer a.b.c', cookie: 'session=x.y.z' },
      ),
      fc.integer({ min: 1_000, max: 12_000 }).map((n) => ({ cookie: `session=${'A'.repeat(n)}` })),
    )
    .map(
      (headers): Credentials => ({
        kind: 'forged',
        label: `junk ${JSON.stringify(headers).slice(0, 80)}`,
        headers,
      }),
    );
  // A valid cookie with a forged bearer: the bearer wins, so this is not signed in.
  const mixed = fc.tuple(fc.constantFrom(...users), fc.constantFrom(...forged)).map(
    ([user, f]): Credentials => ({
      kind: 'forged',
      label: `valid cookie + forged bearer (${f.label})`,
      headers: { ...asCookie(user.token), ...asBearer(f.token) },
    }),
  );
  return fc.oneof(
    { weight: 4, arbitrary: valid },
    {
      weight: 2,
      arbitrary: fc.constant<Credentials>({ kind: 'none', label: 'none', headers: {} }),
    },
    { weight: 2, arbitrary: forgedToken },
    { weight: 2, arbitrary: junk },
    { weight: 1, arbitrary: mixed },
  );
}
