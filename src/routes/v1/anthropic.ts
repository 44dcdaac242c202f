// Anthropic-native endpoint: POST /v1/messages (Claude Code, @anthropic-ai/sdk). Native pass-through to Anthropic
// channels; translated through the canonical format for every other channel type. Errors in Anthropic's shape.
import type { FastifyInstance } from 'fastify';
import type { RelayService } from '../../relay/service.js';
import { anthropicInbound } from '../../relay/inbound/anthropic/index.js';
import { estimateChatPrompt } from '../../relay/estimate.js';
import { payerOf, relayCall } from './handle.js';

export async function anthropicRoutes(app: FastifyInstance, opts: { relay: RelayService }): Promise<void> {
  const { relay } = opts;
  const config = { errorFormat: 'anthropic' as const };

  app.post('/v1/messages', { config }, async (request, reply) => {
    const payer = payerOf(request);
    const body = request.body as Record<string, unknown>;
    const chat = anthropicInbound.toChatRequest(body, {}); // validates: 400 naming the field
    await relayCall(relay, reply, 'anthropic', {
      endpoint: '/v1/messages',
      kind: 'chat',
      format: 'anthropic',
      payer,
      model: chat.model,
      stream: chat.stream === true,
      body,
      chat,
      inbound: anthropicInbound,
      forwardHeaders: typeof request.headers['anthropic-beta'] === 'string' ? { 'anthropic-beta': request.headers['anthropic-beta'] } : {},
    });
  });

  // Claude Code asks for this before large requests; answered locally with the count the relay reserves on (images,
  // documents and other attachments at their upper bounds).
  app.post('/v1/messages/count_tokens', { config }, async (request) => {
    const body = { max_tokens: 1, ...(request.body as Record<string, unknown>) };
    const chat = anthropicInbound.toChatRequest(body, {});
    return { input_tokens: await estimateChatPrompt(chat, chat.model) };
  });
}
