// /api/tokens: relay tokens (sk-…) for /v1. Everyone manages their own; admins also plain users' (`?userId=` filters,
// `userId` in the body creates for someone else); root everyone's (services/permissions.ts). A token the caller may
// not act for answers 404, as if it did not exist.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { accountOf } from '../../plugins/management-auth.js';
import { createToken, deleteToken, getToken, listTokens, updateToken } from '../../services/tokens.js';
import type { AppContext } from '../../context.js';
import { CreatedToken, Id, IdParams, Page, Pagination, Query, RateLimit, Token, errorResponses } from './schemas.js';

const TokenFields = {
  name: Type.String({ minLength: 1, maxLength: 64 }),
  quota: Type.Union([Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }), Type.Null()], {
    description: 'quota units this token may still spend; null = unlimited',
  }),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'ISO 8601 date-time in the future; null = never',
  }),
  models: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
    maxItems: 1000,
    description: 'allowed models; empty = every model of the group',
  }),
  allowIps: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
    maxItems: 100,
    description: 'allowed client IPs or CIDR subnets (IPv4/IPv6); empty = any',
  }),
  group: Type.Union([Type.String({ minLength: 1, maxLength: 32 }), Type.Null()], {
    description: "overrides the owner's group; users may pick only userSelectable groups",
  }),
  rpm: RateLimit('requests per minute (the group limit applies as well)'),
  tpm: RateLimit('tokens per minute, prompt and output as billed (the group limit applies as well)'),
  maxConcurrent: RateLimit('calls in flight at once'),
};

const CreateTokenBody = Type.Object(
  {
    name: TokenFields.name,
    quota: Type.Optional(TokenFields.quota),
    expiresAt: Type.Optional(TokenFields.expiresAt),
    models: Type.Optional(TokenFields.models),
    allowIps: Type.Optional(TokenFields.allowIps),
    group: Type.Optional(TokenFields.group),
    rpm: Type.Optional(TokenFields.rpm),
    tpm: Type.Optional(TokenFields.tpm),
    maxConcurrent: Type.Optional(TokenFields.maxConcurrent),
    userId: Type.Optional(Id({ description: 'admins only: create the token for this user' })),
  },
  { additionalProperties: false },
);

const UpdateTokenBody = Type.Object(
  {
    name: Type.Optional(TokenFields.name),
    quota: Type.Optional(TokenFields.quota),
    status: Type.Optional(Type.Union([Type.Literal('enabled'), Type.Literal('disabled')])),
    expiresAt: Type.Optional(TokenFields.expiresAt),
    models: Type.Optional(TokenFields.models),
    allowIps: Type.Optional(TokenFields.allowIps),
    group: Type.Optional(TokenFields.group),
    rpm: Type.Optional(TokenFields.rpm),
    tpm: Type.Optional(TokenFields.tpm),
    maxConcurrent: Type.Optional(TokenFields.maxConcurrent),
  },
  { additionalProperties: false },
);

const ListTokensQuery = Query({
  ...Pagination.properties,
  userId: Type.Optional(Id({ description: 'admins: only this user’s tokens' })),
});

export const tokensRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (api, { ctx }) => {
  api.post(
    '/tokens',
    {
      schema: {
        tags: ['tokens'],
        summary: 'Create a relay token; the answer carries the full key, shown this once only',
        body: CreateTokenBody,
        response: { 201: CreatedToken, ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const account = accountOf(request);
      const { userId = account.id, ...fields } = request.body;
      const { token, key } = await createToken(ctx, account, { ...fields, userId });
      return reply.code(201).send({ ...token, key });
    },
  );

  api.get(
    '/tokens',
    {
      schema: {
        tags: ['tokens'],
        summary: 'List relay tokens (own; admins: also plain users’, or ?userId=; root: all)',
        querystring: ListTokensQuery,
        response: { 200: Page(Token), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { userId, ...page } = request.query;
      return listTokens(ctx, accountOf(request), { userId }, page);
    },
  );

  api.get(
    '/tokens/:id',
    {
      schema: {
        tags: ['tokens'],
        summary: 'Read a relay token (never its key)',
        params: IdParams,
        response: { 200: Token, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => getToken(ctx, accountOf(request), request.params.id),
  );

  api.patch(
    '/tokens/:id',
    {
      schema: {
        tags: ['tokens'],
        summary: 'Change a relay token: name, quota (remaining), status, expiresAt, models, allowIps, group, rate limits',
        params: IdParams,
        body: UpdateTokenBody,
        response: { 200: Token, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => updateToken(ctx, accountOf(request), request.params.id, request.body),
  );

  api.delete(
    '/tokens/:id',
    {
      schema: {
        tags: ['tokens'],
        summary: 'Delete a relay token',
        params: IdParams,
        response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      await deleteToken(ctx, accountOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
};
