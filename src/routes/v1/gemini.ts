// Gemini-native endpoints, as Google's SDKs (@google/genai) and curl examples call them:
//   POST /v1beta/models/{model}:generateContent
//   POST /v1beta/models/{model}:streamGenerateContent   ?alt=sse: SSE; without it: one JSON array, written as it grows
//   POST /v1beta/models/{model}:countTokens             counted locally (the relay's tokenizer), no upstream call, free
//   GET  /v1beta/models                                 the models the key can use (relay/models.ts), paged
//   GET  /v1beta/models/{model}                         one of them, in Google's Model shape
// The key comes as x-goog-api-key, ?key= or a bearer token (see installRelayAuth). Errors in Google's shape.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Payer } from '../../relay/call.js';
import { Type } from 'typebox';
import { RelayError } from '../../errors.js';
import type { RelayService } from '../../relay/service.js';
import { geminiInbound } from '../../relay/inbound/gemini/index.js';
import { estimateChatPrompt } from '../../relay/estimate.js';
import { checkUsable, usableModels } from '../../relay/models.js';
import { JsonArraySink } from '../../relay/sink.js';
import { knownContextWindowOf, outputMaximumOf } from '../../billing/allowance.js';
import { isRecord } from '../../providers/json.js';
import { payerOf, relayCall } from './handle.js';

const config = { errorFormat: 'gemini' as const };

const ListQuery = Type.Object(
  {
    key: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    pageSize: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
    pageToken: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);

/** Google's default page size for models.list; its maximum is 1000. */
const DEFAULT_PAGE_SIZE = 50;

const METHODS = ['generateContent', 'streamGenerateContent', 'countTokens'] as const;
type Method = (typeof METHODS)[number];

export async function geminiRoutes(app: FastifyInstance, opts: { relay: RelayService }): Promise<void> {
  const { relay } = opts;

  // GET /v1/models and /v1/models/{model} are OpenAI's too: routes/v1/openai.ts answers them in Google's shape when the
  // client is a Gemini SDK (isGeminiClient), with the same functions.
  app.get<{ Querystring: { pageSize?: number; pageToken?: string } }>('/v1beta/models', { config, schema: { querystring: ListQuery } }, async (request) =>
    listGeminiModels(relay, payerOf(request), request.query),
  );
  app.get<{ Params: { model: string } }>('/v1beta/models/:model', { config }, async (request) =>
    getGeminiModel(relay, payerOf(request), request.params.model),
  );

  // @google/genai calls /v1 by default (v3 of the SDK), older SDKs and most REST examples /v1beta: both are served alike.
  for (const version of ['v1beta', 'v1'] as const) {
    app.post<{ Params: { model: string }; Querystring: { key?: string; alt?: string } }>(
      `/${version}/models/:model`,
      { config },
      async (request, reply) => {
        const [model, action] = request.params.model.split(':') as [string, Method | undefined];
        if (!model || !action || !(METHODS as readonly string[]).includes(action)) {
          throw new RelayError('not_found', `unknown method ${request.params.model}; use {model}:generateContent, :streamGenerateContent or :countTokens`);
        }
        const payer = payerOf(request);
        const body = request.body as Record<string, unknown>;
        if (action === 'countTokens') {
          await checkUsable(relay, payer, model);
          // Either {contents} or {generateContentRequest: {contents, systemInstruction, tools, …}}, as Google accepts.
          const inner = isRecord(body) && isRecord(body.generateContentRequest) ? body.generateContentRequest : body;
          const chat = geminiInbound.toChatRequest(inner, { model, stream: false }); // validates: 400 naming the field
          return { totalTokens: await estimateChatPrompt(chat, model) };
        }
        const stream = action === 'streamGenerateContent';
        const chat = geminiInbound.toChatRequest(body, { model, stream });
        await relayCall(
          relay,
          reply,
          'gemini',
          { endpoint: `/${version}/models/:${action}`, kind: 'chat', format: 'gemini', payer, model, stream, body, chat, inbound: geminiInbound },
          // Without alt=sse Google streams one JSON array; the SDKs always ask for SSE, REST clients often do not.
          stream && request.query.alt !== 'sse' ? (res, id) => new JsonArraySink(res, id) : undefined,
        );
      },
    );
  }
}

/** A Gemini SDK (or REST client) rather than an OpenAI one: it sends its key as x-goog-api-key. */
export function isGeminiClient(request: FastifyRequest): boolean {
  return typeof request.headers['x-goog-api-key'] === 'string' && request.headers.authorization === undefined;
}

/** models.list: the usable models (relay/models.ts), sorted, `pageSize` at a time; the page token names the last one. */
export async function listGeminiModels(relay: RelayService, payer: Payer, query: { pageSize?: unknown; pageToken?: unknown }) {
  const models = await usableModels(relay, payer);
  const size = pageSizeOf(query.pageSize);
  const start = typeof query.pageToken === 'string' && query.pageToken !== '' ? startAfter(models, query.pageToken) : 0;
  const page = models.slice(start, start + size);
  const more = start + size < models.length;
  const limits = relay.pricing.options.current.maxOutputTokens;
  return { models: page.map((m) => geminiModel(m, limits)), ...(more ? { nextPageToken: pageToken(page.at(-1)!) } : {}) };
}

/** models.get: one usable model (`models/` prefix optional), or the error a call to it would get. */
export async function getGeminiModel(relay: RelayService, payer: Payer, name: string) {
  const model = name.startsWith('models/') ? name.slice('models/'.length) : name;
  if (model.includes(':')) throw new RelayError('not_found', `${model} is not a model; call {model}:generateContent with POST`);
  await checkUsable(relay, payer, model);
  return geminiModel(model, relay.pricing.options.current.maxOutputTokens);
}

/** 0 or nothing: Google's default (50); at most 1000. On /v1 the query arrives unchecked, as text. */
function pageSizeOf(value: unknown): number {
  if (value === undefined || value === '' || value === 0) return DEFAULT_PAGE_SIZE;
  const n = typeof value === 'number' ? value : /^\d{1,4}$/.test(String(value)) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 1000) throw new RelayError('invalid_request', 'pageSize must be an integer from 0 to 1000', 400, { param: 'pageSize' });
  return n === 0 ? DEFAULT_PAGE_SIZE : n;
}

/** Google's Model resource for a model the relay serves (limits from the catalogue or the admin's output maxima). */
function geminiModel(model: string, adminMaxOutput: Readonly<Record<string, number>>) {
  const output = outputMaximumOf(model, adminMaxOutput);
  const context = knownContextWindowOf(model);
  return {
    name: `models/${model}`,
    baseModelId: model,
    version: '001',
    displayName: model,
    description: `${model}, served by the relay`,
    ...(context !== undefined ? { inputTokenLimit: context } : {}),
    ...(output !== undefined ? { outputTokenLimit: output } : {}),
    supportedGenerationMethods: [...METHODS],
  };
}

/** An opaque page token: the last model of the page before. */
function pageToken(lastModel: string): string {
  return Buffer.from(`after:${lastModel}`).toString('base64url');
}

function startAfter(models: string[], token: string): number {
  const text = Buffer.from(token, 'base64url').toString();
  if (!text.startsWith('after:')) throw new RelayError('invalid_request', 'pageToken is not a token this API returned', 400, { param: 'pageToken' });
  const last = text.slice('after:'.length);
  const next = models.findIndex((m) => m > last); // the list is sorted: resume after the last model shown
  return next === -1 ? models.length : next;
}
