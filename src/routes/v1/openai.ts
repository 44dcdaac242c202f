// OpenAI-compatible endpoints: chat completions, completions, embeddings, models.
import type { FastifyInstance } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import { RelayError } from '../../errors.js';
import type { RelayService } from '../../relay/service.js';
import type { ChatRequest } from '../../providers/types.js';
import { checkModelAccess } from '../../relay/admit.js';
import { payerOf, relayCall } from './handle.js';

const Message = Type.Object(
  {
    role: Type.Union(['system', 'developer', 'user', 'assistant', 'tool', 'function'].map((r) => Type.Literal(r))),
    content: Type.Optional(Type.Union([Type.String(), Type.Array(Type.Object({ type: Type.String() }, { additionalProperties: true })), Type.Null()])),
  },
  { additionalProperties: true },
);

const ChatBody = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 256 }),
    messages: Type.Array(Message, { minItems: 1 }),
    stream: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    stream_options: Type.Optional(Type.Union([Type.Object({ include_usage: Type.Optional(Type.Boolean()) }, { additionalProperties: true }), Type.Null()])),
    max_tokens: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
    max_completion_tokens: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
    n: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 128 }), Type.Null()])),
    tools: Type.Optional(Type.Array(Type.Object({ type: Type.String() }, { additionalProperties: true }))),
  },
  { additionalProperties: true },
);

const CompletionBody = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 256 }),
    prompt: Type.Union([Type.String(), Type.Array(Type.Unknown())]),
    stream: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    max_tokens: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
  },
  { additionalProperties: true },
);

const EmbeddingBody = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 256 }),
    input: Type.Union([Type.String(), Type.Array(Type.Unknown(), { minItems: 1 })]),
  },
  { additionalProperties: true },
);

export async function openaiRoutes(app: FastifyInstance, opts: { relay: RelayService }): Promise<void> {
  const { relay } = opts;

  app.post('/v1/chat/completions', { schema: { body: ChatBody, hide: true } }, async (request, reply) => {
    const payer = payerOf(request);
    const body = request.body as ChatRequest;
    const stream = body.stream === true;
    await relayCall(relay, reply, 'openai', {
      endpoint: '/v1/chat/completions',
      kind: 'chat',
      format: 'openai',
      payer,
      model: body.model,
      stream,
      body: body as Record<string, unknown>,
      chat: body,
      clientWantsUsage: body.stream_options?.include_usage === true,
    });
  });

  app.post('/v1/completions', { schema: { body: CompletionBody, hide: true } }, async (request, reply) => {
    const payer = payerOf(request);
    const body = request.body as Record<string, unknown> & { model: string; stream?: boolean };
    await relayCall(relay, reply, 'openai', {
      endpoint: '/v1/completions',
      kind: 'completions',
      format: 'openai',
      payer,
      model: body.model,
      stream: body.stream === true,
      body,
      clientWantsUsage: (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true,
    });
  });

  app.post('/v1/embeddings', { schema: { body: EmbeddingBody, hide: true } }, async (request, reply) => {
    const payer = payerOf(request);
    const body = request.body as Record<string, unknown> & { model: string };
    await relayCall(relay, reply, 'openai', { endpoint: '/v1/embeddings', kind: 'embeddings', format: 'openai', payer, model: body.model, stream: false, body });
  });

  app.get('/v1/models', { schema: { hide: true } }, async (request) => {
    const payer = payerOf(request);
    return { object: 'list', data: (await modelsFor(relay, payer)).map(modelObject) };
  });

  app.get<{ Params: { id: string } }>('/v1/models/:id', { schema: { hide: true } }, async (request) => {
    const payer = payerOf(request);
    const models = await modelsFor(relay, payer);
    if (!models.includes(request.params.id)) {
      await checkModelAccess(relay, { model: request.params.id, payer }); // says why (token list, group, unknown)
      throw new RelayError('model_not_found', `model ${request.params.id} does not exist`);
    }
    return modelObject(request.params.id);
  });
}

/** Exactly the models this token may use: the group's models, narrowed by the token's own list. */
export async function modelsFor(relay: RelayService, payer: { group: string; token: { models: Set<string> | null } | null }): Promise<string[]> {
  await relay.channels.ensureLoaded();
  const models = relay.channels.modelsOf(payer.group);
  const allowed = payer.token?.models;
  return allowed ? models.filter((m) => allowed.has(m)) : models;
}

const modelObject = (id: string) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'relay-station' });
