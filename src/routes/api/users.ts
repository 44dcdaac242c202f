// /api/users: account administration. Admins list, create, change and delete users; a user may read their own record.
// The rules (who may grant admin, root's protection, quota never below 0) live in src/services/users.ts.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { RelayError } from '../../errors.js';
import { accountOf, isAdmin } from '../../plugins/management-auth.js';
import { assertMayRead } from '../../services/permissions.js';
import { USERNAME_PATTERN, createUser, deleteUser, getUser, listUsers, updateUser } from '../../services/users.js';
import type { AppContext } from '../../context.js';
import { IdParams, Page, Pagination, Query, User, errorResponses } from './schemas.js';

const Username = Type.String({ pattern: USERNAME_PATTERN, description: '2–64 letters, digits, _ . @ -' });
const Password = Type.String({ minLength: 8, maxLength: 128, description: '8–128 characters, no surrounding spaces' });
const Quota = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'quota units (500,000 = 1 USD)' });
const AssignableRole = Type.Union([Type.Literal('user'), Type.Literal('admin')], { description: 'only root may grant admin' });

const CreateUserBody = Type.Object(
  {
    username: Username,
    password: Password,
    role: Type.Optional(AssignableRole),
    group: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    quota: Type.Optional(Quota),
  },
  { additionalProperties: false },
);

const UpdateUserBody = Type.Object(
  {
    username: Type.Optional(Username),
    password: Type.Optional(Password),
    role: Type.Optional(AssignableRole),
    group: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    status: Type.Optional(Type.Union([Type.Literal('enabled'), Type.Literal('disabled')])),
    quota: Type.Optional(Quota),
    addQuota: Type.Optional(
      Type.Integer({
        minimum: -Number.MAX_SAFE_INTEGER,
        maximum: Number.MAX_SAFE_INTEGER,
        description: 'top-up (negative to deduct); the quota never goes below 0',
      }),
    ),
  },
  { additionalProperties: false },
);

export const usersRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (api, { ctx }) => {
  api.post(
    '/users',
    {
      config: { admin: true },
      schema: {
        tags: ['users'],
        summary: 'Create a user (admin)',
        body: CreateUserBody,
        response: { 201: User, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const user = await createUser(ctx, request.body, accountOf(request));
      return reply.code(201).send(user);
    },
  );

  api.get(
    '/users',
    {
      config: { admin: true },
      schema: {
        tags: ['users'],
        summary: 'List users (admin); ?q= finds usernames containing it',
        querystring: Query({
          ...Pagination.properties,
          q: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'part of a username' })),
        }),
        response: { 200: Page(User), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { q, ...page } = request.query;
      return listUsers(ctx, page, q);
    },
  );

  api.get(
    '/users/:id',
    {
      schema: {
        tags: ['users'],
        summary: 'Read a user (admin, or the user themself)',
        params: IdParams,
        response: { 200: User, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      assertMayRead(accountOf(request), request.params.id, 'account');
      return getUser(ctx, request.params.id);
    },
  );

  api.patch(
    '/users/:id',
    {
      config: { admin: true },
      schema: {
        tags: ['users'],
        summary: 'Change a user (admin): quota, addQuota, group, role, status, password, username',
        params: IdParams,
        body: UpdateUserBody,
        response: { 200: User, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) =>
      updateUser(ctx, accountOf(request), request.params.id, request.body, { keepKeyHash: request.credentialHash ?? undefined }),
  );

  api.delete(
    '/users/:id',
    {
      config: { admin: true },
      schema: {
        tags: ['users'],
        summary: 'Delete a user with their tokens (admin; root cannot be deleted)',
        params: IdParams,
        response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await deleteUser(ctx, accountOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
};
