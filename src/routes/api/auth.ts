// POST /api/auth/login (public) and POST /api/auth/logout. Wrong passwords are limited (services/auth.ts
// PASSWORD_LIMITS) per username + client address, per address and per username → 429 rate_limited with Retry-After.
// The limiter counts failures, not requests, so it is our own rather than @fastify/rate-limit.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { RelayError } from '../../errors.js';
import { bearerFrom } from '../../auth/secrets.js';
import { login, logout } from '../../services/auth.js';
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

export const authRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (api, opts) => {
  const { ctx } = opts;

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
    async (request) => {
      const result = await login(ctx, request.body, request.ip);
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
