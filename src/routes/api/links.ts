// Linking a chat account (Telegram, Discord, QQ) to the caller's relay account: the console asks for a one-time code
// here and the user sends it to the bot (/link <code>) in a private chat. The code lasts 10 minutes, is shown once,
// and a new one replaces the previous one. The linked accounts are listed and unlinked here too.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { accountOf } from '../../plugins/management-auth.js';
import { issueLinkCode, listLinks, unlink } from '../../services/links.js';
import type { AppContext } from '../../context.js';
import { IdParams, NoQuery, errorResponses } from './schemas.js';

const LinkCode = Type.Object({
  code: Type.String({ description: 'send it to the bot as /link <code> in a private chat; shown only once' }),
  expiresAt: Type.String({ format: 'date-time' }),
});

const LinkedAccount = Type.Object({
  id: Type.Integer(),
  platform: Type.String({ description: 'telegram | discord | qq | onebot' }),
  platformUserId: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});

export async function linkRoutes(instance: FastifyInstance, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;
  const api = instance.withTypeProvider<TypeBoxTypeProvider>();

  api.post(
    '/links/code',
    {
      schema: {
        tags: ['links'],
        summary: 'A one-time code that links a chat account to the caller (valid 10 minutes)',
        response: { 201: LinkCode, ...errorResponses(401, 403) },
      },
    },
    async (request, reply) => {
      const { code, expiresAt } = await issueLinkCode(ctx, accountOf(request).id);
      return reply.status(201).send({ code, expiresAt: expiresAt.toISOString() });
    },
  );

  api.get(
    '/links',
    {
      schema: {
        tags: ['links'],
        summary: 'The chat accounts linked to the caller',
        querystring: NoQuery,
        response: { 200: Type.Object({ items: Type.Array(LinkedAccount) }), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => ({ items: await listLinks(ctx, accountOf(request).id) }),
  );

  api.delete(
    '/links/:id',
    {
      schema: {
        tags: ['links'],
        summary: 'Unlink one of the caller’s chat accounts',
        params: IdParams,
        querystring: NoQuery,
        response: { 204: Type.Null({ description: 'Unlinked' }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await unlink(ctx, accountOf(request).id, request.params.id);
      return reply.status(204).send(null);
    },
  );
}
