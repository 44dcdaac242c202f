// What /api/openapi.json says about the relay routes (/v1, /v1beta) and /healthz, keyed by "METHOD path" as fastify
// registers them. Documentation only: nothing here validates a request or shapes an answer (the relay routes validate
// their bodies themselves, in their own wire format's errors, and write their answers through the sink), so it can
// describe streams and three error shapes that a fastify response schema could not. plugins/openapi.ts merges an entry
// into its route's schema for the document; a relay route without an entry still appears, with a generated operationId.
//
// The bodies are the common fields of each wire format (every other field the vendors define passes through).
import { Type, type TSchema } from 'typebox';

const open = (properties: Record<string, TSchema>, description?: string) =>
  Type.Object(properties, { additionalProperties: true, ...(description ? { description } : {}) });
const AnyObject = open({});
const Model = Type.String({ description: 'a model the key can use (GET /v1/models)' });

// Error bodies in each wire format (docs/lifecycle.md#error-shapes).
const OpenAIError = open({ error: open({ message: Type.String(), type: Type.String(), code: Type.String(), param: Type.Optional(Type.Union([Type.String(), Type.Null()])) }) }, 'An error (OpenAI shape)');
const AnthropicError = open({ type: Type.Literal('error'), error: open({ type: Type.String(), message: Type.String(), code: Type.String() }) }, 'An error (Anthropic shape)');
const GoogleError = open({ error: open({ code: Type.Integer(), message: Type.String(), status: Type.String(), reason: Type.String() }) }, 'An error (Google shape)');

const json = (description: string, schema: TSchema = AnyObject) => ({ description, content: { 'application/json': { schema } } });
const sse = { 'text/event-stream': { schema: Type.String({ description: 'server-sent events, as the wire format streams them' }) } };
const jsonOrSse = (description: string, schema: TSchema = AnyObject) => ({ description, content: { 'application/json': { schema }, ...sse } });
const errors = (schema: TSchema) => ({ '4XX': json('refused: bad request, key, balance (402), model access, rate', schema), '5XX': json('the upstream failed or timed out', schema) });

type Security = Array<Record<string, string[]>>;
const OPENAI_KEY: Security = [{ bearer: [] }, { xApiKey: [] }];
const ANTHROPIC_KEY: Security = [{ xApiKey: [] }, { bearer: [] }];
const GOOGLE_KEY: Security = [{ googApiKey: [] }, { googKeyQuery: [] }, { bearer: [] }];

const ModelObject = open({ id: Type.String(), object: Type.Literal('model'), created: Type.Integer(), owned_by: Type.String() });
const GeminiModel = open({
  name: Type.String({ description: 'models/<id>' }),
  baseModelId: Type.String(),
  displayName: Type.String(),
  inputTokenLimit: Type.Optional(Type.Integer()),
  outputTokenLimit: Type.Optional(Type.Integer()),
  supportedGenerationMethods: Type.Array(Type.String()),
});
const ModelParam = Type.Object({ model: Type.String({ description: 'the model id' }) });
const GeminiTarget = Type.Object({
  model: Type.String({ description: '`{model}:generateContent`, `{model}:streamGenerateContent` or `{model}:countTokens` (e.g. `gemini-2.5-flash:generateContent`)' }),
});
const GeminiQuery = Type.Object({
  key: Type.Optional(Type.String({ description: 'the relay key, when not sent as a header' })),
  alt: Type.Optional(Type.Union([Type.Literal('sse'), Type.Literal('json')], { description: 'streamGenerateContent: `sse` streams SSE; otherwise one JSON array, written as it grows' })),
});
const GeminiBody = open({
  contents: Type.Array(open({ role: Type.Optional(Type.String()), parts: Type.Array(AnyObject) })),
  systemInstruction: Type.Optional(AnyObject),
  tools: Type.Optional(Type.Array(AnyObject)),
  generationConfig: Type.Optional(AnyObject),
});
const geminiMethod = (version: string) => ({
  operationId: `geminiModelMethod${version === 'v1' ? 'V1' : 'V1beta'}`,
  summary: `Gemini generateContent, streamGenerateContent or countTokens (${version})`,
  description:
    'The method follows the model after a colon. countTokens is counted locally with the relay tokenizer (no upstream call, free) and answers `{totalTokens}`.',
  tags: ['relay: Gemini'],
  security: GOOGLE_KEY,
  params: GeminiTarget,
  querystring: GeminiQuery,
  body: GeminiBody,
  response: { 200: jsonOrSse('GenerateContentResponse; a stream of them (SSE, or a JSON array without alt=sse); or {totalTokens}'), ...errors(GoogleError) },
});

const Responses = open({ model: Model, input: Type.Union([Type.String(), Type.Array(AnyObject)]), stream: Type.Optional(Type.Boolean()) });

export interface RouteDoc {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security?: Security;
  params?: TSchema;
  querystring?: TSchema;
  body?: TSchema;
  consumes?: string[];
  response: Record<string, unknown>;
}

const openai = (operationId: string, summary: string, response: Record<string, unknown>, extra: Partial<RouteDoc> = {}): RouteDoc => ({
  operationId,
  summary,
  tags: ['relay: OpenAI'],
  security: OPENAI_KEY,
  response: { ...response, ...errors(OpenAIError) },
  ...extra,
});

export const RELAY_DOCS: Readonly<Record<string, RouteDoc>> = {
  'GET /healthz': {
    operationId: 'getHealth',
    summary: 'Liveness and database check (no key)',
    tags: ['health'],
    security: [],
    response: {
      200: json('the database answers', open({ status: Type.Literal('ok'), database: Type.String() })),
      503: json('the database does not answer', open({ status: Type.Literal('unavailable'), database: Type.String() })),
    },
  },
  'POST /v1/chat/completions': openai('createChatCompletion', 'Chat completion (any channel type; `stream: true` for SSE)', { 200: jsonOrSse('a chat.completion, or chat.completion.chunk events ending with [DONE]') }),
  'POST /v1/completions': openai('createCompletion', 'Legacy text completion (OpenAI-format channels)', { 200: jsonOrSse('a text_completion, or its stream') }),
  'POST /v1/embeddings': openai('createEmbedding', 'Embeddings', { 200: json('a list of embeddings') }),
  'POST /v1/images/generations': openai('createImage', 'Image generation (per-request or token priced)', { 200: json('the images') }),
  'POST /v1/audio/speech': openai('createSpeech', 'Text to speech', { 200: { description: 'the audio, as the upstream sent it', content: { 'application/octet-stream': { schema: Type.String({ format: 'binary' }) } } } }),
  'POST /v1/audio/transcriptions': openai('createTranscription', 'Transcription (multipart/form-data)', { 200: json('the transcript') }, {
    consumes: ['multipart/form-data'],
    body: Type.Object({ file: Type.String({ format: 'binary' }), model: Model }, { additionalProperties: true }),
  }),
  'POST /v1/moderations': openai('createModeration', 'Moderation', { 200: json('the moderation result') }),
  'POST /v1/rerank': openai('rerank', 'Rerank documents against a query (OpenAI-format upstreams that offer it)', { 200: json('the ranked results') }),
  'GET /v1/models': openai('listModels', 'The models this key can use (priced, routed in its group, allowed by the key)', {
    200: json('OpenAI list; a Gemini SDK (x-goog-api-key, no Authorization) gets Google’s {models, nextPageToken}, an Anthropic SDK (anthropic-version) Anthropic’s {data, has_more, first_id, last_id}', open({ object: Type.Literal('list'), data: Type.Array(ModelObject) })),
  }),
  'GET /v1/models/:model': openai('retrieveModel', 'One model this key can use', { 200: json('the model (Google’s Model for a Gemini SDK)', ModelObject) }, { params: ModelParam }),
  'POST /v1/messages': {
    operationId: 'createMessage',
    summary: 'Anthropic Messages (any channel type; `stream: true` for SSE)',
    tags: ['relay: Anthropic'],
    security: ANTHROPIC_KEY,
    body: open({ model: Model, max_tokens: Type.Integer({ minimum: 1 }), messages: Type.Array(AnyObject), system: Type.Optional(Type.Unknown()), stream: Type.Optional(Type.Boolean()) }),
    response: { 200: jsonOrSse('a message, or its event stream'), ...errors(AnthropicError) },
  },
  'POST /v1/messages/count_tokens': {
    operationId: 'countMessageTokens',
    summary: 'Anthropic token count, answered locally (free)',
    tags: ['relay: Anthropic'],
    security: ANTHROPIC_KEY,
    body: open({ model: Model, messages: Type.Array(AnyObject) }),
    response: { 200: json('the count the relay reserves on', open({ input_tokens: Type.Integer() })), ...errors(AnthropicError) },
  },
  'GET /v1beta/models': {
    operationId: 'geminiListModels',
    summary: 'Gemini models.list: the models this key can use, paged',
    tags: ['relay: Gemini'],
    security: GOOGLE_KEY,
    querystring: Type.Object({
      key: Type.Optional(Type.String()),
      pageSize: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, description: '0 or none: 50' })),
      pageToken: Type.Optional(Type.String()),
    }),
    response: { 200: json('a page of models', open({ models: Type.Array(GeminiModel), nextPageToken: Type.Optional(Type.String()) })), ...errors(GoogleError) },
  },
  'GET /v1beta/models/:model': {
    operationId: 'geminiGetModel',
    summary: 'Gemini models.get',
    tags: ['relay: Gemini'],
    security: GOOGLE_KEY,
    params: ModelParam,
    querystring: Type.Object({ key: Type.Optional(Type.String()) }),
    response: { 200: json('the model', GeminiModel), ...errors(GoogleError) },
  },
  'POST /v1beta/models/:model': geminiMethod('v1beta'),
  'POST /v1/models/:model': geminiMethod('v1'),
  // Placeholders for the Responses API (built on its own branch): used when routes with these paths are registered.
  'POST /v1/responses': openai('createResponse', 'OpenAI Responses API (`stream: true` for SSE)', { 200: jsonOrSse('a response, or its event stream') }, { body: Responses }),
  'GET /v1/responses/:id': openai('retrieveResponse', 'A stored response (native channels)', { 200: json('the response') }),
  'DELETE /v1/responses/:id': openai('deleteResponse', 'Delete a stored response (native channels)', { 200: json('deleted') }),
  'POST /v1/responses/:id/cancel': openai('cancelResponse', 'Cancel a background response (native channels)', { 200: json('the response') }),
};
