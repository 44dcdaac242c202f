// The Anthropic Messages client format (POST /v1/messages) on top of the canonical OpenAI format.
import type { InboundFormat } from '../types.js';
import { toChatRequest } from './request.js';
import { fromChatCompletion } from './response.js';
import { AnthropicStreamEncoder } from './stream-encoder.js';

export const anthropicInbound: InboundFormat = {
  format: 'anthropic',
  toChatRequest,
  fromChatCompletion,
  createStreamEncoder: (model) => new AnthropicStreamEncoder(model),
};

export { AnthropicStreamEncoder } from './stream-encoder.js';
