// /api/groups: price groups. Everyone may list (users see the groups open to them); only admins change them.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { accountOf, isAdmin } from '../../plugins/management-auth.js';
import { GROUP_NAME_PATTERN, createGroup, deleteGroup, listGroups, updateGroup } from '../../services/groups.js';
import type { AppContext } from '../../context.js';
import { Group, Page, Pagination, RateLimit, errorResponses } from './schemas.js';
import { RatioSchema } from '../../services/ratios.js';

const Ratio = RatioSchema; // the one number rule: services/ratios.ts

const CreateGroupBody = Type.Object(
  {
    name: Type.String({ pattern: GROUP_NAME_PATTERN, description: '1–32 letters, digits, _ . -' }),
    ratio: Ratio,
    description: Type.Optional(Type.String({ maxLength: 500 })),
    userSelectable: Type.Optional(Type.Boolean({ default: true })),
    rpm: Type.Optional(RateLimit('requests per minute for each user of the group')),
    tpm: Type.Optional(RateLimit('tokens per minute for each user of the group')),
  },
  { additionalProperties: false },
);

const UpdateGroupBody = Type.Object(
  {
    ratio: Type.Optional(Ratio),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    userSelectable: Type.Optional(Type.Boolean()),
    rpm: Type.Optional(RateLimit('requests per minute for each user of the group')),
    tpm: Type.Optional(RateLimit('tokens per minute for each user of the group')),
  },
  { additionalProperties: false },
);

const NameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) });

export const groupsRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (api, { ctx }) => {
  api.post(
    '/groups',
    {
      config: { admin: true },
      schema: {
        tags: ['groups'],
        summary: 'Create a group (admin)',
        body: CreateGroupBody,
        response: { 201: Group, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => reply.code(201).send(await createGroup(ctx, request.body)),
  );

  api.get(
    '/groups',
    {
      schema: {
        tags: ['groups'],
        summary: 'List groups (admins: all; users: the selectable ones and their own)',
        querystring: Pagination,
        response: { 200: Page(Group), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const account = accountOf(request);
      return listGroups(ctx, request.query, { isAdmin: isAdmin(account), group: account.group });
    },
  );

  api.patch(
    '/groups/:name',
    {
      config: { admin: true },
      schema: {
        tags: ['groups'],
        summary: 'Change a group’s ratio, description or userSelectable (admin)',
        params: NameParams,
        body: UpdateGroupBody,
        response: { 200: Group, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => updateGroup(ctx, request.params.name, request.body),
  );

  api.delete(
    '/groups/:name',
    {
      config: { admin: true },
      schema: {
        tags: ['groups'],
        summary: 'Delete a group (admin); refused for "default" and for groups still in use',
        params: NameParams,
        response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await deleteGroup(ctx, request.params.name);
      return reply.code(204).send(null);
    },
  );
};
