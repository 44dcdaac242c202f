// The web console's session: sign in with username and password to get an httpOnly, SameSite=Strict cookie (Secure
// over HTTPS) that page scripts cannot read; sign out revokes it. Optional self-registration (the admin option
// allowRegistration), limited per client address (ctx.guesses.registrations); sign-ins share the password guess limits. GET /api/site tells the sign-in page what it may offer.
// The session itself is a row in ManagementKey (kind 'session', stored as a SHA-256 hash, expiring like a login key):
// revoked by sign-out, by a password change and with the user; refused when the account is disabled.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { RelayError } from '../../errors.js';
import { hashSecret } from '../../auth/secrets.js';
import { issueLoginKey, login, type LoginResult } from '../../services/auth.js';
import { claimSignInCode } from '../../services/sign-in-links.js';
import { USERNAME_PATTERN, createUser, getAccount } from '../../services/users.js';
import { QUOTA_PER_USD } from '../../billing/decimal.js';
import {
  SESSION_COOKIE,
  SESSION_COOKIE_PATH,
  assertSameSiteRequest,
  sessionFrom,
} from '../../plugins/management-auth.js';
import type { AppContext } from '../../context.js';
import { Account } from './me.js';
import { NoQuery, errorResponses } from './schemas.js';

const Credentials = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 128 }),
  },
  { additionalProperties: false },
);

const RegisterBody = Type.Object(
  {
    username: Type.String({ pattern: USERNAME_PATTERN, description: '2–64 letters, digits, _ . @ -' }),
    password: Type.String({ minLength: 8, maxLength: 128, description: '8–128 characters' }),
  },
  { additionalProperties: false },
);

const Session = Type.Object({
  account: Account,
  expiresAt: Type.String({ format: 'date-time', description: 'when the session ends; sign in again after it' }),
});

const Site = Type.Object({
  allowRegistration: Type.Boolean({ description: 'the sign-in page may offer to create an account' }),
  telegramBotUsername: Type.String({ description: 'for the t.me deep link that links a Telegram account; "" = unknown' }),
  topUpLink: Type.String(),
  currency: Type.String(),
  exchangeRate: Type.Number({ description: 'price of 1 USD of quota in `currency`' }),
  quotaPerUsd: Type.Integer(),
});

const LinkLoginQuery = Type.Object(
  { code: Type.String({ minLength: 8, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$', description: 'the one-time code from the bot' }) },
  { additionalProperties: false },
);

/** Where the sign-in page says a link did not work (web/src/pages/SignIn.tsx reads `link`). */
const LINK_FAILED = '/signin?link=invalid';

const tags = ['session'];

function setSessionCookie(request: FastifyRequest, reply: FastifyReply, result: LoginResult): void {
  reply.setCookie(SESSION_COOKIE, result.key, {
    httpOnly: true,
    sameSite: 'strict',
    secure: request.protocol === 'https',
    path: SESSION_COOKIE_PATH,
    expires: new Date(result.expiresAt),
  });
}

function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure: request.protocol === 'https', path: SESSION_COOKIE_PATH });
}

export const sessionRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (api, opts) => {
  const { ctx } = opts;

  api.post(
    '/auth/session',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'Sign in to the web console: sets the session cookie (httpOnly, SameSite=Strict); needs x-relay-console: 1',
        security: [],
        querystring: NoQuery,
        body: Credentials,
        response: { 200: Session, ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (request, reply) => {
      assertSameSiteRequest(request);
      const result = await login(ctx, request.body, request.ip, 'session');
      setSessionCookie(request, reply, result);
      return { account: await getAccount(ctx, result.userId), expiresAt: result.expiresAt };
    },
  );

  api.delete(
    '/auth/session',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'Sign out: revokes the session and clears the cookie (also when it had already ended)',
        security: [],
        querystring: NoQuery,
        response: { 204: Type.Null({ description: 'Signed out' }), ...errorResponses(400, 403) },
      },
    },
    async (request, reply) => {
      assertSameSiteRequest(request);
      const session = sessionFrom(request);
      if (session) {
        await ctx.db.prisma.managementKey.deleteMany({ where: { keyHash: hashSecret(session), kind: 'session' } });
      }
      clearSessionCookie(request, reply);
      return reply.code(204).send(null);
    },
  );

  api.post(
    '/auth/register',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'Create an account and sign in (only when the admin option allowRegistration is on)',
        security: [],
        querystring: NoQuery,
        body: RegisterBody,
        response: { 201: Session, ...errorResponses(400, 403, 409, 429) },
      },
    },
    async (request, reply) => {
      assertSameSiteRequest(request);
      if (!ctx.options.get('allowRegistration')) {
        throw new RelayError('forbidden', 'registration is closed; ask an administrator for an account');
      }
      // Every attempt counts (successes too): one address cannot mint accounts at network speed.
      const wait = await ctx.guesses.registrations.tryAttempt(request.ip);
      if (wait > 0) throw new RelayError('rate_limited', `too many attempts; try again in ${wait} seconds`, 429, { retryAfter: wait });
      const { username, password } = request.body;
      await createUser(ctx, { username, password });
      const result = await login(ctx, { username, password }, request.ip, 'session');
      setSessionCookie(request, reply, result);
      return reply.code(201).send({ account: await getAccount(ctx, result.userId), expiresAt: result.expiresAt });
    },
  );

  // A one-time link from a bot's /web (private chat only): the code becomes a console session and the browser goes to
  // the console. A GET because it is opened from a chat; the code is single-use and expires in minutes, and the
  // redirect drops it from the address bar (no-referrer, no-store keep it out of other sites and caches). Any failure
  // goes to the sign-in page, which says the link did not work.
  api.get(
    '/auth/link-login',
    {
      config: { public: true },
      schema: {
        tags,
        summary: "Sign in with a bot's one-time link (/web): sets the session cookie and redirects to the console",
        security: [],
        querystring: LinkLoginQuery,
        response: { 302: Type.Null({ description: 'to / when signed in, to /signin?link=invalid when not' }), ...errorResponses(400) },
      },
    },
    async (request, reply) => {
      reply.header('referrer-policy', 'no-referrer').header('cache-control', 'no-store');
      try {
        const userId = await claimSignInCode(ctx, request.query.code, request.ip);
        setSessionCookie(request, reply, await issueLoginKey(ctx, userId, 'session'));
        return reply.redirect('/', 302);
      } catch (err) {
        if (!(err instanceof RelayError)) throw err;
        return reply.redirect(LINK_FAILED, 302);
      }
    },
  );

  api.get(
    '/site',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'What the console shows before sign-in: registration, the Telegram bot, the top-up link and currency',
        security: [],
        querystring: NoQuery,
        response: { 200: Site, ...errorResponses(400) },
      },
    },
    async () => {
      const o = ctx.options.current;
      return {
        allowRegistration: o.allowRegistration,
        telegramBotUsername: o.telegramBotUsername,
        topUpLink: o.topUpLink,
        currency: o.currency,
        exchangeRate: o.exchangeRate,
        quotaPerUsd: QUOTA_PER_USD,
      };
    },
  );
};
