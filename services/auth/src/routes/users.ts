import { SESSION_COOKIE } from '@gittix/common';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { AuthDatabase } from '../db/schema.js';
import type { PasswordHasher } from '../passwords.js';
import type { SessionSigner } from '../sessions.js';
import { signIn } from '../sign-in.js';
import { type SignInLimits, SignInThrottledError } from '../sign-in-throttle.js';
import { signUp } from '../sign-up.js';
import type { User } from '../users.js';

const emailMessage = 'Email must be a valid email address';
const passwordMessage = 'Password must be between 8 and 128 characters';

const credentials = z.object({
  email: z
    .string({ error: emailMessage })
    .trim()
    .toLowerCase()
    .max(254, { message: emailMessage })
    .pipe(z.email({ message: emailMessage }))
    .meta({ format: 'email' }),
  password: z
    .string({ error: passwordMessage })
    .min(8, { message: passwordMessage })
    .max(128, { message: passwordMessage }),
});
const user = z.object({ id: z.uuid(), email: z.string() });
const sessionUser = z.object({ id: z.string(), email: z.string() });
const errorBody = z.object({
  errors: z.array(z.object({ message: z.string(), field: z.string().optional() })),
});

export interface UsersRoutesOptions {
  db: Kysely<AuthDatabase>;
  passwords: PasswordHasher;
  sessions: SessionSigner;
  signInLimits: SignInLimits;
  cookieSecure: boolean;
  /** Sign-up and sign-in requests per client address per minute (this replica). */
  requestsPerMinute: number;
}

/** The Users section of the API: sign up, sign in, sign out, who am I, and the JWKS. */
export const usersRoutes: FastifyPluginAsyncZod<UsersRoutesOptions> = async (app, options) => {
  const { db, passwords, sessions } = options;
  const cookie = {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: options.cookieSecure,
  } as const;
  // Returns nothing on purpose: a reply is thenable, and awaiting it waits for the response.
  const startSession = async (reply: FastifyReply, signedIn: User): Promise<void> => {
    const token = await sessions.sign(signedIn);
    reply.setCookie(SESSION_COOKIE, token, { ...cookie, maxAge: sessions.ttlSeconds });
  };
  const rateLimit = { max: options.requestsPerMinute, timeWindow: 60_000 };

  // Answers about who is signed in must never come from a cache.
  app.addHook('onSend', async (_request, reply) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });

  app.post(
    '/signup',
    {
      config: { rateLimit },
      schema: {
        summary: 'Create an account and sign in',
        body: credentials,
        response: { 201: user, 400: errorBody, 429: errorBody },
      },
    },
    async (request, reply) => {
      const created = await signUp({ db, passwords }, request.body);
      await startSession(reply, created);
      return reply.code(201).send(created);
    },
  );

  app.post(
    '/signin',
    {
      config: { rateLimit },
      schema: {
        summary: 'Sign in with email and password',
        body: credentials,
        response: { 200: user, 400: errorBody, 429: errorBody },
      },
    },
    async (request, reply) => {
      try {
        const signedIn = await signIn(
          { db, passwords, limits: options.signInLimits },
          { ...request.body, clientAddress: request.ip },
        );
        await startSession(reply, signedIn);
        return signedIn;
      } catch (error) {
        if (error instanceof SignInThrottledError) {
          reply.header('retry-after', String(error.retryAfterSeconds));
        }
        throw error;
      }
    },
  );

  app.post(
    '/signout',
    {
      schema: { summary: 'Sign out (clears the session cookie)', response: { 200: z.object({}) } },
    },
    async (_request, reply) => {
      reply.clearCookie(SESSION_COOKIE, cookie);
      return {};
    },
  );

  app.get(
    '/currentuser',
    {
      schema: {
        summary: 'Who is signed in',
        response: { 200: z.object({ currentUser: sessionUser.nullable() }) },
      },
    },
    async (request) => ({ currentUser: request.currentUser }),
  );

  app.get(
    '/.well-known/jwks.json',
    { schema: { summary: 'Public keys that verify session tokens (JWKS)' } },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return sessions.jwks;
    },
  );
};
