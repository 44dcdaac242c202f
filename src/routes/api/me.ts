// /api/me: the caller's own account (quota in units and USD), and the two things a user changes themself: their
// password (the current one is required when set) and their group (only into groups open to users).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { accountOf } from '../../plugins/management-auth.js';
import { changeOwnPassword, getAccount, switchGroup } from '../../services/users.js';
import type { AppContext } from '../../context.js';
import { User, errorResponses } from './schemas.js';

export const Account = Type.Object({
  ...User.properties,
  quotaUsd: Type.Number({ description: 'remaining quota in USD (500,000 units = 1 USD)' }),
  usedQuotaUsd: Type.Number({ description: 'quota used so far, in USD' }),
});

const UpdateMeBody = Type.Object(
  {
    password: Type.Optional(Type.String({ minLength: 8, maxLength: 128 })),
    currentPassword: Type.Optional(Type.String({ maxLength: 128, description: 'required with password when one is set' })),
    group: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'a group marked userSelectable' })),
  },
  { additionalProperties: false },
);

export const meRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (api, { ctx }) => {
  api.get(
    '/me',
    {
      schema: {
        tags: ['me'],
        summary: 'The caller’s own account',
        response: { 200: Account, ...errorResponses(401, 403) },
      },
    },
    async (request) => getAccount(ctx, accountOf(request).id),
  );

  api.patch(
    '/me',
    {
      schema: {
        tags: ['me'],
        summary: 'Change the own password and/or switch group',
        body: UpdateMeBody,
        response: { 200: Account, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { id } = accountOf(request);
      const { password, currentPassword, group } = request.body;
      if (password !== undefined) {
        await changeOwnPassword(ctx, id, { password, currentPassword }, request.ip, request.credentialHash ?? undefined);
      }
      if (group !== undefined) await switchGroup(ctx, id, group);
      return getAccount(ctx, id);
    },
  );
};
