// Linking a chat account (Telegram, Discord, QQ) to the caller's relay account: the console asks for a one-time code
// here and the user sends it to the bot (/link <code>) in a private chat. The code lasts 10 minutes, is shown once,
// and a new one replaces the previous one.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { accountOf } from '../../plugins/management-auth.js';
import { issueLinkCode } from '../../services/links.js';
import type { AppContext } from '../../context.js';
import { errorResponses } from './schemas.js';

const LinkCode = Type.Object({
  code: Type.String({ description: 'send it to the bot as /link <code> in a private chat; shown only once' }),
  expiresAt: Type.String({ format: 'date-time' }),
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
}
