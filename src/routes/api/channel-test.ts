// POST /api/channels/:id/test — admin: one cheap request per key; re-enables an auto-disabled channel that passes.
import type { FastifyInstance } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import { RelayError } from '../../errors.js';
import type { AppContext } from '../../context.js';
import type { RelayService } from '../../relay/service.js';
import { testChannel } from '../../relay/channel-test.js';
import { IdParams, errorResponses } from './schemas.js';

const KeyResult = Type.Object({
  keyId: Type.Union([Type.Integer(), Type.Null()], { description: 'null for a key-less channel' }),
  mask: Type.String(),
  ok: Type.Boolean(),
  status: Type.Union([Type.Integer(), Type.Null()]),
  responseTimeMs: Type.Integer(),
  message: Type.String(),
});

const TestResult = Type.Object({
  ok: Type.Boolean(),
  channelStatus: Type.String(),
  responseTimeMs: Type.Union([Type.Integer(), Type.Null()]),
  keys: Type.Array(KeyResult),
});

export async function channelTestRoutes(api: FastifyInstance, opts: { ctx: AppContext; relay: RelayService }): Promise<void> {
  const { ctx, relay } = opts;
  api.post<{ Params: { id: number } }>(
    '/channels/:id/test',
    {
      config: { admin: true },
      schema: {
        tags: ['channels'],
        summary: 'Test a channel (every key); keys the relay disabled that pass, and an auto-disabled channel, are enabled again',
        params: IdParams,
        response: { 200: TestResult, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const result = await testChannel(ctx, relay.forwarder, request.params.id);
      if (!result) throw new RelayError('not_found', `channel ${request.params.id} not found`);
      relay.recordProbes(request.params.id, result.keys);
      return result;
    },
  );
}
