import { randomUUID } from 'node:crypto';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  createSessionVerifier,
  RevokedSessions,
  SESSION_ALGORITHM,
  SESSION_AUDIENCE,
  SESSION_ISSUER,
} from '../../src/index.js';
import { createTestSessionKeys, testUser, waitFor } from '../../src/testing/index.js';

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

describe('session verifier: verified tokens remembered', () => {
  it('when a remembered token reaches its expiry, then it is refused although its signature was checked before', async () => {
    const keys = await createTestSessionKeys();
    const verify = createSessionVerifier({ publicKeyPem: keys.publicKeyPem });
    const user = testUser();
    const token = await keys.sign(user, { expiresIn: '2s' });

    expect(await verify(token)).toMatchObject({ id: user.id, email: user.email });
    expect(await verify(token)).toMatchObject({ id: user.id });
    await waitFor(async () => (await verify(token)) === null, { timeoutMs: 6_000 });
  });

  it('when a token differs from a remembered one only in its signature, then it is refused', async () => {
    const keys = await createTestSessionKeys();
    const verify = createSessionVerifier({ publicKeyPem: keys.publicKeyPem });
    const token = await keys.sign(testUser());
    expect(await verify(token)).not.toBeNull();

    const [header, payload, signature] = token.split('.');
    const flipped = `${signature!.startsWith('A') ? 'B' : 'A'}${signature!.slice(1)}`;

    expect(await verify(`${header}.${payload}.${flipped}`)).toBeNull();
    expect(await verify(token)).not.toBeNull();
  });

  it('when a remembered token is signed by another key, then it is refused by a verifier of this key', async () => {
    const keys = await createTestSessionKeys();
    const other = await createTestSessionKeys();
    const verify = createSessionVerifier({ publicKeyPem: keys.publicKeyPem });
    const verifyOther = createSessionVerifier({ publicKeyPem: other.publicKeyPem });
    const token = await other.sign(testUser());

    expect(await verifyOther(token)).not.toBeNull();
    expect(await verify(token)).toBeNull();
  });

  it('when the session of a remembered token is revoked, then the next request with it is refused', async () => {
    const keys = await createTestSessionKeys();
    const revoked = RevokedSessions.empty();
    const verify = createSessionVerifier({ publicKeyPem: keys.publicKeyPem, revoked });
    const user = { ...testUser(), sessionId: randomUUID() };
    const token = await keys.sign(user);
    expect(await verify(token)).toEqual(user);

    revoked.apply({
      userId: user.id,
      sessionId: user.sessionId,
      issuedBefore: null,
      exceptSessionId: null,
      expiresAt: inAnHour(),
    });

    expect(await verify(token)).toBeNull();
  });

  it('when the cache is turned off, then every call verifies and answers the same', async () => {
    const keys = await createTestSessionKeys();
    const verify = createSessionVerifier({ publicKeyPem: keys.publicKeyPem, cacheSize: 0 });
    const user = { ...testUser(), sessionId: randomUUID() };
    const token = await keys.sign(user);

    expect(await verify(token)).toEqual(user);
    expect(await verify(token)).toEqual(user);
    expect(await verify(`${token}x`)).toBeNull();
  });
});

describe('session verifier: the claims of a token signed by the right key', () => {
  it('when the issuer, the audience or the algorithm is not auth’s, or sid is missing, then it is refused', async () => {
    const { privateKey, publicKey } = await generateKeyPair(SESSION_ALGORITHM, {
      extractable: true,
    });
    const verify = createSessionVerifier({ publicKeyPem: await exportSPKI(publicKey) });
    const user = testUser();
    const sign = (claims: { iss?: string; aud?: string; sid?: string | undefined }) =>
      new SignJWT({
        email: user.email,
        ...('sid' in claims ? {} : { sid: randomUUID() }),
        ...claims,
      })
        .setProtectedHeader({ alg: SESSION_ALGORITHM })
        .setSubject(user.id)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey);
    const valid = { iss: SESSION_ISSUER, aud: SESSION_AUDIENCE };

    expect(await verify(await sign(valid))).toMatchObject({ id: user.id, email: user.email });
    expect(await verify(await sign({ ...valid, iss: 'someone-else' }))).toBeNull();
    expect(await verify(await sign({ ...valid, aud: 'another-app' }))).toBeNull();
    expect(await verify(await sign({ ...valid, sid: undefined }))).toBeNull();
    const hmac = await new SignJWT({ email: user.email, sid: randomUUID() })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setIssuer(SESSION_ISSUER)
      .setAudience(SESSION_AUDIENCE)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(await exportSPKI(publicKey)));
    expect(await verify(hmac)).toBeNull();
  });
});
