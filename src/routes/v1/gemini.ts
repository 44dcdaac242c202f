// Gemini-native endpoints: POST /v1beta/models/{model}:generateContent and :streamGenerateContent (SSE, as the Google
// SDKs request with alt=sse). The key comes as x-goog-api-key, ?key= or a bearer token (see installRelayAuth). Errors in
// Google's shape.
import type { FastifyInstance } from 'fastify';
import { RelayError } from '../../errors.js';
import type { RelayService } from '../../relay/service.js';
import { geminiInbound } from '../../relay/inbound/gemini/index.js';
import { payerOf, relayCall } from './handle.js';

export async function geminiRoutes(app: FastifyInstance, opts: { relay: RelayService }): Promise<void> {
  const { relay } = opts;

  app.post<{ Params: { target: string }; Querystring: { key?: string; alt?: string } }>(
    '/v1beta/models/:target',
    { config: { errorFormat: 'gemini' }, schema: { hide: true } },
    async (request, reply) => {
      const [model, action] = request.params.target.split(':');
      if (!model || (action !== 'generateContent' && action !== 'streamGenerateContent')) {
        throw new RelayError('not_found', `unknown method ${request.params.target}; use {model}:generateContent or {model}:streamGenerateContent`);
      }
      const payer = payerOf(request);
      const stream = action === 'streamGenerateContent';
      const body = request.body as Record<string, unknown>;
      const chat = geminiInbound.toChatRequest(body, { model, stream });
      await relayCall(relay, reply, 'gemini', {
        endpoint: `/v1beta/models/:${action}`,
        kind: 'chat',
        format: 'gemini',
        payer,
        model,
        stream,
        body,
        chat,
        inbound: geminiInbound,
      });
    },
  );
}
