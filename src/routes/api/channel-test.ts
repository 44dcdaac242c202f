// Channel operations (admin): POST /api/channels/:id/test — one cheap request per key, re-enabling an auto-disabled
// channel that passes; POST /api/channels/test — every channel, a few at a time; GET /api/channels/:id/upstream-models
// and /balance — what the upstream offers and what is left there (relay/channel-ops.ts).
import type { FastifyInstance } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import { RelayError } from '../../errors.js';
import type { AppContext } from '../../context.js';
import type { RelayService } from '../../relay/service.js';
import { testChannel } from '../../relay/channel-test.js';
import { testAllChannels, upstreamBalance, upstreamModels } from '../../relay/channel-ops.js';
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

  api.post(
    '/channels/test',
    {
      config: { admin: true },
      schema: {
        tags: ['channels'],
        summary: 'Test every channel (admin-disabled ones excluded), a few at a time; each result as for one channel',
        response: { 200: Type.Object({ items: Type.Array(Type.Intersect([Type.Object({ channelId: Type.Integer(), name: Type.String() }), TestResult])) }), ...errorResponses(401, 403) },
      },
    },
    async () => {
      const items = await testAllChannels(ctx, relay.forwarder, { onResult: (r) => relay.recordProbes(r.channelId, r.keys) });
      return { items };
    },
  );

  api.get<{ Params: { id: number } }>(
    '/channels/:id/upstream-models',
    {
      config: { admin: true },
      schema: {
        tags: ['channels'],
        summary: "The models the channel's upstream lists (OpenAI /v1/models, Anthropic /v1/models, Gemini /v1beta/models)",
        params: IdParams,
        response: { 200: Type.Object({ models: Type.Array(Type.String()) }), ...errorResponses(400, 401, 403, 404, 502) },
      },
    },
    async (request) => ({ models: await upstreamModels(ctx, relay.forwarder, request.params.id) }),
  );

  api.get<{ Params: { id: number } }>(
    '/channels/:id/balance',
    {
      config: { admin: true },
      schema: {
        tags: ['channels'],
        summary: "The channel's balance at its upstream, where the provider has an endpoint for it",
        params: IdParams,
        response: {
          200: Type.Object({
            offered: Type.Boolean({ description: 'false: the provider has no balance endpoint (message says so)' }),
            balance: Type.Optional(Type.Number()),
            currency: Type.Optional(Type.String()),
            total: Type.Optional(Type.Number()),
            used: Type.Optional(Type.Number()),
            message: Type.Optional(Type.String()),
          }),
          ...errorResponses(400, 401, 403, 404, 502),
        },
      },
    },
    async (request) => upstreamBalance(ctx, relay.forwarder, request.params.id),
  );
}
