// OpenAI endpoints beyond chat, relayed as they are to OpenAI-format channels: image generation, text to speech,
// transcription (multipart), moderation and rerank. Each is billed by its rule (src/relay/extra-endpoints.ts).
import type { FastifyInstance } from 'fastify';
import { Type, type TSchema } from '@fastify/type-provider-typebox';
import { RelayError } from '../../errors.js';
import type { RelayService } from '../../relay/service.js';
import type { OpenAIOnlyKind } from '../../relay/call.js';
import { EXTRA_PATHS } from '../../relay/extra-endpoints.js';
import { payerOf, relayCall } from './handle.js';

const Model = Type.String({ minLength: 1, maxLength: 256 });
const open = (props: Record<string, TSchema>) => Type.Object(props, { additionalProperties: true });

const JSON_ENDPOINTS: Array<{ kind: OpenAIOnlyKind; schema: TSchema; defaultModel?: string }> = [
  { kind: 'images', schema: open({ model: Type.Optional(Model), prompt: Type.String({ minLength: 1 }), n: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })) }), defaultModel: 'dall-e-2' },
  { kind: 'speech', schema: open({ model: Model, input: Type.String({ minLength: 1, maxLength: 4096 }), voice: Type.Unknown() }) },
  { kind: 'moderations', schema: open({ model: Type.Optional(Model), input: Type.Union([Type.String(), Type.Array(Type.Unknown(), { minItems: 1 })]) }), defaultModel: 'omni-moderation-latest' },
  { kind: 'rerank', schema: open({ model: Model, query: Type.String({ minLength: 1 }), documents: Type.Array(Type.Unknown(), { minItems: 1 }) }) },
];

export async function openaiExtraRoutes(app: FastifyInstance, opts: { relay: RelayService }): Promise<void> {
  const { relay } = opts;

  for (const { kind, schema, defaultModel } of JSON_ENDPOINTS) {
    const path = `/v1${EXTRA_PATHS[kind]}`;
    app.post(path, { schema: { body: schema } }, async (request, reply) => {
      const payer = payerOf(request);
      const body = request.body as Record<string, unknown>;
      const model = typeof body.model === 'string' ? body.model : defaultModel!;
      await relayCall(relay, reply, 'openai', { endpoint: path, kind, format: 'openai', payer, model, stream: false, body: { ...body, model } });
    });
  }

  // Transcriptions arrive as multipart/form-data: kept whole here, parsed with the platform's FormData.
  app.register(async (scope) => {
    scope.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    scope.post('/v1/audio/transcriptions', {}, async (request, reply) => {
      const payer = payerOf(request);
      if (!Buffer.isBuffer(request.body)) throw new RelayError('invalid_request', 'send the audio as multipart/form-data with fields file and model', 415);
      let form: FormData;
      try {
        form = await new Response(request.body, { headers: { 'content-type': String(request.headers['content-type']) } }).formData();
      } catch {
        throw new RelayError('invalid_request', 'the multipart body could not be parsed');
      }
      const model = form.get('model');
      if (typeof model !== 'string' || !model) throw new RelayError('invalid_request', 'model is required', 400, { param: 'model' });
      if (!(form.get('file') instanceof Blob)) throw new RelayError('invalid_request', 'file is required (the audio file)', 400, { param: 'file' });
      const fields = Object.fromEntries([...form].filter(([, v]) => typeof v === 'string'));
      await relayCall(relay, reply, 'openai', { endpoint: '/v1/audio/transcriptions', kind: 'transcriptions', format: 'openai', payer, model, stream: false, body: fields, form });
    });
  });
}
