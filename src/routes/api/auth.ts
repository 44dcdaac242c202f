// POST /api/auth/login (public) and POST /api/auth/logout. Failed logins are limited per username + client address:
// 5 failures in 15 minutes → 429 rate_limited with Retry-After. The limiter is in memory, one per app instance
// (a custom one rather than @fastify/rate-limit, which counts every request, not failures).
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { RelayError } from '../../errors.js';
import { bearerFrom } from '../../auth/secrets.js';
import { LoginLimiter, login, logout } from '../../services/auth.js';
import type { AppContext } from '../../context.js';
import { errorResponses } from './schemas.js';

const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 128 }),
  },
  { additionalProperties: false },
);

const LoginResponse = Type.Object({
  key: Type.String({ description: 'management key for Authorization: Bearer; valid 7 days' }),
  expiresAt: Type.String({ format: 'date-time' }),
});

/**
 * Runs a password check under the failed-login limit of `limitKey`: refused with 429 (and Retry-After) while over it.
 * The attempt is counted before the check, so parallel guesses cannot all slip in under the limit; a success clears
 * it unless `keepCount` (registrations count every attempt).
 */
export async function underLoginLimit<T>(
  limiter: LoginLimiter,
  limitKey: string,
  reply: FastifyReply,
  attempt: () => Promise<T>,
  opts: { keepCount?: boolean } = {},
): Promise<T> {
  const wait = limiter.retryAfter(limitKey);
  if (wait > 0) {
    reply.header('retry-after', String(wait));
    throw new RelayError('rate_limited', `too many attempts; try again in ${wait} seconds`, 429, { retryAfter: wait });
  }
  limiter.fail(limitKey);
  const result = await attempt();
  if (!opts.keepCount) limiter.reset(limitKey);
  return result;
}

export const authRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext; limiter?: LoginLimiter }> = async (api, opts) => {
  const { ctx } = opts;
  const limiter = opts.limiter ?? new LoginLimiter();

  api.post(
    '/auth/login',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Log in with username and password; returns a management key',
        security: [],
        body: LoginBody,
        response: { 200: LoginResponse, ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (request, reply) => {
      const limitKey = LoginLimiter.keyFor(request.body.username, request.ip);
      const result = await underLoginLimit(limiter, limitKey, reply, () => login(ctx, request.body));
      return { key: result.key, expiresAt: result.expiresAt };
    },
  );

  api.post(
    '/auth/logout',
    {
      schema: {
        tags: ['auth'],
        summary: 'Delete the login key this request was made with',
        response: { 204: Type.Null({ description: 'Logged out' }), ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const key = bearerFrom(request.headers);
      if (!key) throw new RelayError('missing_key', 'a management key is required');
      await logout(ctx, key);
      return reply.code(204).send(null);
    },
  );
};
