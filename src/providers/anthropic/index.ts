// The Anthropic Messages API adapter (channel type "anthropic"). Pure translation; the pipeline does the I/O.
import type { ProviderAdapter } from '../types.js';
import { parseAnthropicError } from './errors.js';
import { messagesRequest } from './http.js';
import { anthropicNative } from './native.js';
import { toAnthropicRequest } from './request.js';
import { fromAnthropicMessage } from './response.js';
import { AnthropicChatStream } from './stream.js';
import { billingUsageOf } from './usage.js';

export const anthropicAdapter: ProviderAdapter = {
  type: 'anthropic',
  nativeFormat: 'anthropic',
  requiresInlineImages: false,

  buildChatRequest: (req, target) => messagesRequest(target, toAnthropicRequest(req, target)),
  parseChatResponse: fromAnthropicMessage,
  createChatStream: (ctx) => new AnthropicChatStream(ctx),
  parseError: parseAnthropicError,
  usageOf: billingUsageOf,
  native: anthropicNative,

  // No embeddings endpoint at Anthropic: buildEmbeddingsRequest is deliberately absent.

  buildTestRequest: (target) =>
    messagesRequest(target, { model: target.model, max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] }),
};

export { AnthropicChatStream } from './stream.js';
export { AnthropicNativeMeter } from './native.js';
export { toAnthropicRequest, DEFAULT_MAX_TOKENS } from './request.js';
export { fromAnthropicMessage } from './response.js';
export { parseAnthropicError } from './errors.js';
export { messagesUrl } from './http.js';
