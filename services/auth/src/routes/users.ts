import {
  bearerTokenOf,
  isWellFormedText,
  type RevokedSessions,
  requireUser,
  SESSION_COOKIE,
} from '@gittix/common';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import {
  type AccountDeps,
  type AccountSettings,
  accountOf,
  changePassword,
  endSession,
  requestPasswordReset,
  resendVerification,
  resetPassword,
  verifyEmail,
} from '../accounts.js';
import type { AuthDatabase } from '../db/schema.js';
import {
  DEVICE_COOKIE,
  DEVICE_COOKIE_MAX_AGE_SECONDS,
  type DeviceAccount,
  type DeviceCookies,
} from '../devices.js';
import type { PasswordHasher } from '../passwords.js';
import { openSession } from '../session-store.js';
import type { SessionSigner } from '../sessions.js';
import { signIn } from '../sign-in.js';
import { type SignInLimits, ThrottledError } from '../sign-in-throttle.js';
import { signUp } from '../sign-up.js';
import type { User } from '../users.js';

const emailMessage = 'Email must be a valid email address';
const passwordMessage = 'Password must be between 8 and 128 characters';
const tokenMessage = 'Token is required';

const email = z
  .string({ error: emailMessage })
  .trim()
  .toLowerCase()
  .max(254, { message: emailMessage })
  .pipe(z.email({ message: emailMessage }))
  .meta({ format: 'email' });
const newPassword = z
  .string({ error: passwordMessage })
  .min(8, { message: passwordMessage })
  .max(128, { message: passwordMessage })
  // Half a character would be hashed as U+FFFD, so another half (or U+FFFD) would match.
  .refine(isWellFormedText, {
    message: 'Password must not contain a broken character (half of a surrogate pair)',
  });
const credentials = z.object({ email, password: newPassword });
/** A link's token: anything too long to be one is refused before it is hashed. */
const token = z.string({ error: tokenMessage }).min(1, { message: tokenMessage }).max(512);
const user = z.object({ id: z.uuid(), email: z.string() });
const account = z.object({ id: z.string(), email: z.string(), emailVerified: z.boolean() });
const errorBody = z.object({
  errors: z.array(z.object({ message: z.string(), field: z.string().optional() })),
});
const empty = z.object({});

export interface UsersRoutesOptions {
  db: Kysely<AuthDatabase>;
  passwords: PasswordHasher;
  sessions: SessionSigner;
  devices: DeviceCookies;
  revokedSessions: RevokedSessions;
  signInLimits: SignInLimits;
  accounts: AccountSettings;
  /** EMAIL_TOKEN_KEY: emailed links' tokens are sealed for notifications with it. */
  emailTokenKey: string;
  cookieSecure: boolean;
  /** Sign-up, sign-in and email requests per client address per minute (this replica). */
  requestsPerMinute: number;
}

/** The Users section of the API: accounts, sessions, emailed links, and the JWKS. */
export const usersRoutes: FastifyPluginAsyncZod<UsersRoutesOptions> = async (app, options) => {
  const { db, passwords, sessions, devices } = options;
  const cookie = {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: options.cookieSecure,
  } as const;
  const accountDeps: AccountDeps = {
    db,
    passwords,
    sessions,
    settings: options.accounts,
    emailTokenKey: options.emailTokenKey,
    onRevoked: (revocations) => {
      for (const revocation of revocations) options.revokedSessions.apply(revocation);
    },
  };
  const setSession = (reply: FastifyReply, token: string) => {
    reply.setCookie(SESSION_COOKIE, token, { ...cookie, maxAge: sessions.ttlSeconds });
  };
  // This browser proved the account's current password: from now on it is a known device.
  const setDevice = (reply: FastifyReply, account: DeviceAccount) => {
    reply.setCookie(DEVICE_COOKIE, devices.issue(account), {
      ...cookie,
      path: '/api/users',
      maxAge: DEVICE_COOKIE_MAX_AGE_SECONDS,
    });
  };
  // Returns nothing on purpose: a reply is thenable, and awaiting it waits for the response.
  const startSession = async (
    reply: FastifyReply,
    signedIn: User & { passwordHash: string },
  ): Promise<boolean> => {
    const session = await openSession(db, sessions, signedIn, signedIn.passwordHash);
    if (!session) return false;
    setSession(reply, session.token);
    setDevice(reply, signedIn);
    return true;
  };
  const rateLimit = { max: options.requestsPerMinute, timeWindow: 60_000 };
  const withRetryAfter = async <T>(reply: FastifyReply, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ThrottledError) {
        reply.header('retry-after', String(error.retryAfterSeconds));
      }
      throw error;
    }
  };

  // Answers about who is signed in must never come from a cache.
  app.addHook('onSend', async (_request, reply) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });

  app.post(
    '/signup',
    {
      config: { rateLimit },
      schema: {
        summary: 'Create an account and sign in; a verification email is sent',
        body: credentials,
        response: { 201: user, 400: errorBody, 429: errorBody },
      },
    },
    async (request, reply) => {
      const created = await signUp(
        {
          db,
          passwords,
          verificationTtlSeconds: options.accounts.verificationTtlSeconds,
          emailTokenKey: options.emailTokenKey,
        },
        request.body,
      );
      await startSession(reply, created);
      return reply.code(201).send({ id: created.id, email: created.email });
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
    async (request, reply) =>
      withRetryAfter(reply, async () => {
        const signedIn = await signIn(
          { db, passwords, devices, limits: options.signInLimits },
          {
            ...request.body,
            clientAddress: request.ip,
            deviceCookie: request.cookies[DEVICE_COOKIE],
          },
        );
        // The password changed between the check and now: the old one opens nothing.
        if (!(await startSession(reply, signedIn))) {
          return reply.code(400).send({ errors: [{ message: 'Invalid credentials' }] });
        }
        return { id: signedIn.id, email: signedIn.email };
      }),
  );

  app.post(
    '/signout',
    {
      schema: {
        summary: 'Sign out: this session ends everywhere and the cookie is cleared',
        response: { 200: empty },
      },
    },
    async (request, reply) => {
      const current = request.currentUser;
      if (current?.sessionId) {
        await endSession(accountDeps, { userId: current.id, sessionId: current.sessionId });
      }
      // A Bearer token wins over the cookie for who is calling, but the cookie cleared
      // below names a session of its own: it ends too, as the answer says it does.
      const cookieToken = request.cookies[SESSION_COOKIE];
      if (cookieToken && bearerTokenOf(request) !== undefined) {
        const cookieUser = await sessions.verify(cookieToken);
        if (cookieUser?.sessionId && cookieUser.sessionId !== current?.sessionId) {
          await endSession(accountDeps, {
            userId: cookieUser.id,
            sessionId: cookieUser.sessionId,
          });
        }
      }
      reply.clearCookie(SESSION_COOKIE, cookie);
      return {};
    },
  );

  app.get(
    '/currentuser',
    {
      schema: {
        summary: 'Who is signed in, and whether their email is verified',
        response: { 200: z.object({ currentUser: account.nullable() }) },
      },
    },
    async (request) => ({
      currentUser: request.currentUser ? await accountOf(db, request.currentUser.id) : null,
    }),
  );

  app.post(
    '/verify',
    {
      config: { rateLimit },
      schema: {
        summary: 'Verify the email with the token from the emailed link',
        body: z.object({ token }),
        response: { 200: account, 400: errorBody, 429: errorBody },
      },
    },
    async (request) => verifyEmail(accountDeps, request.body.token),
  );

  app.post(
    '/verify/resend',
    {
      config: { rateLimit },
      schema: {
        summary: 'Send a new verification email to the signed-in user',
        response: { 202: empty, 401: errorBody, 429: errorBody },
      },
    },
    async (request, reply) =>
      withRetryAfter(reply, async () => {
        await resendVerification(accountDeps, requireUser(request).id);
        return reply.code(202).send({});
      }),
  );

  app.post(
    '/password/forgot',
    {
      config: { rateLimit },
      schema: {
        summary: 'Email a password reset link (202 whether or not the email has an account)',
        body: z.object({ email }),
        response: { 202: empty, 400: errorBody, 429: errorBody },
      },
    },
    async (request, reply) =>
      withRetryAfter(reply, async () => {
        const { afterAnswer } = await requestPasswordReset(accountDeps, {
          email: request.body.email,
          clientAddress: request.ip,
        });
        // After the answer: its timing cannot tell whether the email has an account.
        setImmediate(() => {
          afterAnswer().catch((error: unknown) =>
            request.log.error({ err: error }, 'could not make a password reset link'),
          );
        });
        return reply.code(202).send({});
      }),
  );

  app.post(
    '/password/reset',
    {
      config: { rateLimit },
      schema: {
        summary: 'Set a new password with the token from the emailed link; every session ends',
        body: z.object({ token, password: newPassword }),
        response: { 200: user, 400: errorBody, 429: errorBody },
      },
    },
    async (request, reply) => {
      const reset = await resetPassword(accountDeps, request.body);
      // It proved the mailbox and chose the password: the one browser known from the start.
      setDevice(reply, reset);
      return { id: reset.id, email: reset.email };
    },
  );

  app.put(
    '/password',
    {
      config: { rateLimit },
      schema: {
        summary: 'Change the password; every other session ends, this one gets new cookies',
        body: z.object({
          currentPassword: z
            .string({ error: 'Current password is required' })
            .max(1024, { error: 'Current password is too long' }),
          newPassword,
        }),
        response: { 200: user, 400: errorBody, 401: errorBody, 429: errorBody },
      },
    },
    async (request, reply) => {
      const signedIn = requireUser(request);
      const changed = await withRetryAfter(reply, () =>
        changePassword(accountDeps, {
          userId: signedIn.id,
          currentPassword: request.body.currentPassword,
          newPassword: request.body.newPassword,
        }),
      );
      setSession(reply, changed.token);
      // Cookies from before the change no longer count; this browser's does.
      setDevice(reply, { email: changed.user.email, passwordHash: changed.passwordHash });
      return changed.user;
    },
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
