// OpenAI-compatible endpoints: chat completions, completions, embeddings, models.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import type { CallRequest, RelayService } from '../../relay/service.js';
import type { Payer } from '../../relay/call.js';
import type { ChatRequest } from '../../providers/types.js';
import { checkUsable, usableModels } from '../../relay/models.js';
import { payerOf, relayCall } from './handle.js';
import { getGeminiModel, isGeminiClient, listGeminiModels } from './gemini.js';

const Message = Type.Object(
  {
    role: Type.Union(['system', 'developer', 'user', 'assistant', 'tool', 'function'].map((r) => Type.Literal(r))),
    content: Type.Optional(Type.Union([Type.String(), Type.Array(Type.Object({ type: Type.String() }, { additionalProperties: true })), Type.Null()])),
  },
  { additionalProperties: true },
);

export const ChatBody = Type.Object(
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

/** A chat completion call, from its validated body. */
export function chatCall(payer: Payer, body: ChatRequest): Omit<CallRequest, 'id'> {
  return {
    endpoint: '/v1/chat/completions',
    kind: 'chat',
    format: 'openai',
    payer,
    model: body.model,
    stream: body.stream === true,
    body: body as Record<string, unknown>,
    chat: body,
    clientWantsUsage: body.stream_options?.include_usage === true,
  };
}

export async function openaiRoutes(app: FastifyInstance, opts: { relay: RelayService }): Promise<void> {
  const { relay } = opts;

  // Plain requests to this route are served by direct.ts without fastify's per-request work; the same checks and call.
  app.post('/v1/chat/completions', { schema: { body: ChatBody } }, async (request, reply) => {
    await relayCall(relay, reply, 'openai', chatCall(payerOf(request), request.body as ChatRequest));
  });

  app.post('/v1/completions', { schema: { body: CompletionBody } }, async (request, reply) => {
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

  app.post('/v1/embeddings', { schema: { body: EmbeddingBody } }, async (request, reply) => {
    const payer = payerOf(request);
    const body = request.body as Record<string, unknown> & { model: string };
    await relayCall(relay, reply, 'openai', { endpoint: '/v1/embeddings', kind: 'embeddings', format: 'openai', payer, model: body.model, stream: false, body });
  });

  // A Gemini SDK on /v1 (its default API version) gets Google's shapes (routes/v1/gemini.ts).
  app.get('/v1/models', {}, async (request) => {
    const payer = payerOf(request);
    if (isGeminiClient(request)) return listGeminiModels(relay, payer, request.query as Record<string, unknown>);
    if (isAnthropicClient(request)) return anthropicModelList(await usableModels(relay, payer));
    return { object: 'list', data: (await usableModels(relay, payer)).map(modelObject) };
  });

  app.get<{ Params: { model: string } }>('/v1/models/:model', {}, async (request) => {
    if (isGeminiClient(request)) return getGeminiModel(relay, payerOf(request), request.params.model);
    await checkUsable(relay, payerOf(request), request.params.model);
    return isAnthropicClient(request) ? anthropicModel(request.params.model) : modelObject(request.params.model);
  });
}

/** An Anthropic SDK (it sends anthropic-version on every request) gets Anthropic's list shape, with the same models. */
const isAnthropicClient = (request: FastifyRequest) => typeof request.headers['anthropic-version'] === 'string';
const anthropicModel = (id: string) => ({ type: 'model', id, display_name: id, created_at: '2023-11-14T22:13:20Z' });
const anthropicModelList = (models: string[]) => ({
  data: models.map(anthropicModel),
  has_more: false,
  first_id: models[0] ?? null,
  last_id: models.at(-1) ?? null,
});

const modelObject = (id: string) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'relay-station' });
