// OpenAI's Responses API: POST /v1/responses (Codex CLI, the openai SDK's responses.create, the Vercel AI SDK's default
// OpenAI model), served natively by OpenAI and Azure channels and translated for every other channel type; and the
// stored responses (GET / DELETE /v1/responses/{id}, POST …/cancel, GET …/input_items), passed through to the channel
// and key that stored them (src/relay/response-affinity.ts). Errors in OpenAI's shape; in a stream, an `error` event.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RelayError } from '../../errors.js';
import type { RelayService } from '../../relay/service.js';
import { responsesInbound, toResponsesRequest } from '../../relay/inbound/responses/index.js';
import { unseenTokens } from '../../billing/attachments.js';
import { isRecord, type JsonObject } from '../../providers/json.js';
import { forwardStoredResponse } from '../../relay/stored-responses.js';
import { payerOf, relayCall } from './handle.js';

const config = { errorFormat: 'responses' as const };

export async function responsesRoutes(app: FastifyInstance, opts: { relay: RelayService }): Promise<void> {
  const { relay } = opts;

  app.post('/v1/responses', { config, schema: { hide: true } }, async (request, reply) => {
    const payer = payerOf(request);
    const sent = request.body;
    // Items of earlier translated answers referred to by id are put back in place (no upstream holds them).
    const body = isRecord(sent) ? await relay.affinity.inlineReferences(sent, payer.userId) : (sent as JsonObject);
    const req = toResponsesRequest(body); // validates: 400 naming the field
    const { chat } = req;
    let pinned;
    if (req.previousResponseId !== undefined) {
      // The conversation is stored by the upstream that served it: the follow-up goes to that channel and key.
      const id = req.previousResponseId;
      const route = await relay.affinity.lookup(id, payer.userId);
      if (!route) {
        throw new RelayError(
          'invalid_request',
          `previous_response_id "${id}" is not a stored response of yours: previous_response_id needs an OpenAI channel (OpenAI or Azure, with store enabled), and translated channels keep no conversation; pass the full conversation in input instead`,
          400,
          { param: 'previous_response_id' },
        );
      }
      pinned = { ...route, why: `the channel that stored response ${id}` };
    }
    await relayCall(relay, reply, 'responses', {
      endpoint: '/v1/responses',
      kind: 'chat',
      format: 'responses',
      payer,
      model: chat.model,
      stream: chat.stream === true,
      body,
      chat,
      inbound: responsesInbound(body, req.customTools, Math.floor(Date.now() / 1000)),
      untranslatable: req.untranslatable,
      pinned,
      unseenPrompt: req.unseenPromptTokens + (req.unseenContext ? unseenTokens(chat.model) : 0),
      forwardHeaders: typeof request.headers['openai-beta'] === 'string' ? { 'openai-beta': request.headers['openai-beta'] } : {},
    });
  });

  const stored = (method: 'GET' | 'POST' | 'DELETE', suffix: '' | '/cancel' | '/input_items') => async (request: FastifyRequest, reply: FastifyReply) => {
    const { id } = request.params as { id: string };
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    const answer = await forwardStoredResponse(relay, payerOf(request), method, id, suffix, query);
    reply.code(answer.status).header('content-type', answer.contentType).send(answer.body);
  };
  app.get('/v1/responses/:id', { config, schema: { hide: true } }, stored('GET', ''));
  app.delete('/v1/responses/:id', { config, schema: { hide: true } }, stored('DELETE', ''));
  app.post('/v1/responses/:id/cancel', { config, schema: { hide: true } }, stored('POST', '/cancel'));
  app.get('/v1/responses/:id/input_items', { config, schema: { hide: true } }, stored('GET', '/input_items'));
}
