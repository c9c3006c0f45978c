import { createVerifier } from 'fast-jwt';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';
import { NotAuthorizedError } from '../errors.js';
import type { RevokedSessions } from './revoked-sessions.js';

/** Who a request is signed in as. */
export interface SessionUser {
  id: string;
  email: string;
  /** The session the token belongs to (its `sid` claim): what sign-out ends. */
  sessionId?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    currentUser: SessionUser | null;
  }
}

export const SESSION_COOKIE = 'session';
export const SESSION_ALGORITHM = 'EdDSA';
export const SESSION_ISSUER = 'gittix-auth';
export const SESSION_AUDIENCE = 'gittix';

/** Resolves a token to its user, or null for anything not validly signed by auth. */
export type SessionVerifier = (token: string) => Promise<SessionUser | null>;

export interface SessionVerifierOptions {
  /** Auth's public key (SPKI PEM). Preferred: no network needed. */
  publicKeyPem?: string | undefined;
  /** Auth's JWKS URL, used when no key is configured; keys are cached and refreshed. */
  jwksUrl?: string | undefined;
  /**
   * Sessions ended before their tokens expire; a token of one of them is refused.
   * Without it only the signature and the times are checked.
   */
  revoked?: RevokedSessions | undefined;
  /**
   * Tokens whose signature was verified are remembered (up to this many, least
   * recently used dropped first) so a buyer's next request skips the signature
   * check, the largest CPU cost of a signed-in request. Times and revocation are
   * still checked on every request. 0 turns it off. Default 10,000.
   */
  cacheSize?: number;
}

/** The claims of a token whose signature and claims were verified once. */
interface VerifiedToken {
  user: SessionUser & { sessionId: string };
  issuedAt: number;
  /** `exp` in ms (none: the token does not expire). */
  expiresAtMs: number | undefined;
}

/**
 * How long a verified token is remembered at most: bounds how long a token signed
 * by a key that JWKS has since dropped (a rotation) is still accepted.
 */
const VERIFIED_TOKEN_TTL_MS = 60_000;

/**
 * A token's verified claims, or a throw for anything not validly signed by auth
 * with its issuer, audience, algorithm and times.
 */
type SignatureCheck = (token: string) => Promise<JWTPayload> | JWTPayload;

/**
 * With auth's public key: fast-jwt, node:crypto's synchronous Ed25519 verify
 * (~100 µs of CPU a token on this machine, jose's WebCrypto path ~150–180 µs: a
 * flash sale's buyers each send a token the service has not seen). With a JWKS
 * URL: jose, which fetches, caches and refreshes the key set.
 */
function signatureCheck(options: SessionVerifierOptions): SignatureCheck {
  if (options.publicKeyPem) {
    const verify = createVerifier({
      key: options.publicKeyPem,
      algorithms: [SESSION_ALGORITHM],
      allowedIss: SESSION_ISSUER,
      allowedAud: SESSION_AUDIENCE,
    });
    // fast-jwt returns the payload as parsed JSON, the claims checked above.
    return (token) => verify(token) as JWTPayload;
  }
  if (options.jwksUrl) {
    const keys = createRemoteJWKSet(new URL(options.jwksUrl));
    return async (token) =>
      (
        await jwtVerify(token, keys, {
          issuer: SESSION_ISSUER,
          audience: SESSION_AUDIENCE,
          algorithms: [SESSION_ALGORITHM],
        })
      ).payload;
  }
  throw new Error('A session verifier needs a public key or a JWKS URL');
}

export function createSessionVerifier(options: SessionVerifierOptions): SessionVerifier {
  const check = signatureCheck(options);

  const cacheSize = options.cacheSize ?? 10_000;
  // Keyed by the whole token, signature included: a token differing in one byte misses.
  const verified =
    cacheSize > 0 ? new LRUCache<string, VerifiedToken>({ max: cacheSize }) : undefined;

  const verifySignature = async (token: string): Promise<VerifiedToken | null> => {
    try {
      const { sub, email, sid, iat, exp } = await check(token);
      // Every session has an id (sid): a token without one could never be ended.
      if (typeof sub !== 'string' || typeof email !== 'string') return null;
      if (typeof sid !== 'string' || typeof iat !== 'number') return null;
      return {
        user: { id: sub, email, sessionId: sid },
        issuedAt: iat,
        expiresAtMs: typeof exp === 'number' ? exp * 1000 : undefined,
      };
    } catch {
      // Tampered, expired, wrong algorithm, unreachable JWKS: all mean "signed out".
      return null;
    }
  };

  return async (token) => {
    const now = Date.now();
    let claims = verified?.get(token);
    if (!claims) {
      const fresh = await verifySignature(token);
      if (!fresh) return null;
      claims = fresh;
      const ttl = Math.min(VERIFIED_TOKEN_TTL_MS, (claims.expiresAtMs ?? Infinity) - now);
      if (ttl > 0) verified?.set(token, claims, { ttl });
    }
    // A remembered token still expires on time (jwtVerify checked it the first time only).
    if (claims.expiresAtMs !== undefined && claims.expiresAtMs <= now) return null;
    const { user, issuedAt } = claims;
    if (options.revoked?.isRevoked({ userId: user.id, sessionId: user.sessionId, issuedAt })) {
      return null;
    }
    return { ...user };
  };
}

/** The token of an `Authorization: Bearer …` header; the scheme's case does not matter (RFC 9110). */
export function bearerTokenOf(request: Pick<FastifyRequest, 'headers'>): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined || header.length <= 7) return undefined;
  return header.slice(0, 7).toLowerCase() === 'bearer ' ? header.slice(7).trim() : undefined;
}

function tokenOf(request: FastifyRequest): string | undefined {
  return bearerTokenOf(request) ?? request.cookies[SESSION_COOKIE];
}

/** Sets `request.currentUser` from the session cookie or a Bearer token. */
export const authPlugin = fp(
  async (app: FastifyInstance, options: { verify: SessionVerifier }) => {
    app.decorateRequest('currentUser', null);
    app.addHook('onRequest', async (request) => {
      const token = tokenOf(request);
      request.currentUser = token ? await options.verify(token) : null;
    });
  },
  { name: 'gittix-auth', dependencies: ['@fastify/cookie'] },
);

/** Route guard: 401 unless signed in. Returns the user for handlers that want it. */
export function requireUser(request: FastifyRequest): SessionUser {
  if (!request.currentUser) throw new NotAuthorizedError();
  return request.currentUser;
}

/** preHandler form of requireUser, for route options. */
export async function requireAuth(request: FastifyRequest): Promise<void> {
  requireUser(request);
}
