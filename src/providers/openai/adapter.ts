// The OpenAI Chat Completions adapter and the factory every OpenAI-compatible preset is made with. The canonical format
// is OpenAI's own, so translation is a model-name swap; the work is in URLs, credentials and error meanings.
import type { ChatRequest, ProviderAdapter, UpstreamRequest, UpstreamTarget } from '../types.js';
import { parseOpenAIError } from './errors.js';
import { parseOpenAIChatResponse } from './response.js';
import { OpenAIChatStream, OpenAIStreamMeter } from './stream.js';
import { choicesText } from './text.js';
import { bearerAuth, joinUrl, jsonHeaders } from './url.js';
import { openaiUsageOf, usageFieldOf } from './usage.js';
import { inPreferredField, withOutputLimit, type LimitField } from './limit.js';
import { createResponsesApi } from './responses.js';
import { withFields } from '../json.js';

export interface OpenAICompatibleOptions {
  /** The channel type ("openai", "deepseek", ...). */
  type: string;
  /** Appended to the base URL (a repeated version segment is collapsed). Default /v1/chat/completions. */
  chatPath?: string;
  /** Default /v1/embeddings. */
  embeddingsPath?: string;
  /** Credential headers for a key. Default `Authorization: Bearer <key>` (none for an empty key). */
  authHeader?: (key: string) => Record<string, string>;
  /** The output-limit field this provider expects for a model. Default max_tokens. */
  limitField?: (model: string) => LimitField;
  /** The provider serves OpenAI's Responses API at /v1/responses (OpenAI itself; not the compatible providers). */
  responses?: boolean;
}

/** The cheapest call that proves a key and model work. */
export const TEST_PROMPT = 'hi';

export function createOpenAICompatibleAdapter(options: OpenAICompatibleOptions): ProviderAdapter {
  const chatPath = options.chatPath ?? '/v1/chat/completions';
  const embeddingsPath = options.embeddingsPath ?? '/v1/embeddings';
  const auth = options.authHeader ?? bearerAuth;
  const limitField = options.limitField ?? (() => 'max_tokens' as const);

  function post(target: UpstreamTarget, path: string, body: Record<string, unknown>): UpstreamRequest {
    return {
      method: 'POST',
      url: joinUrl(target.baseUrl, path),
      headers: jsonHeaders(target.config, auth(target.key)),
      body: JSON.stringify(body),
    };
  }

  return {
    type: options.type,
    nativeFormat: 'openai',
    requiresInlineImages: false,

    buildChatRequest(req: ChatRequest, target: UpstreamTarget): UpstreamRequest {
      return post(target, chatPath, inPreferredField(withFields(req, { model: target.model }), limitField(target.model)));
    },
    parseChatResponse: parseOpenAIChatResponse,
    createChatStream: (ctx) => new OpenAIChatStream(ctx),
    parseError: parseOpenAIError,
    usageOf: openaiUsageOf,

    native: {
      buildRequest(body, target, stream) {
        return post(target, chatPath, withFields(body, { model: target.model, stream }));
      },
      limitOutput: (body, tokens, model) => withOutputLimit(body, tokens, limitField(model)),
      usageOfResponse: (body) => openaiUsageOf(usageFieldOf(body)),
      textOfResponse: choicesText,
      createStreamMeter: () => new OpenAIStreamMeter(),
    },

    ...(options.responses
      ? {
          responses: createResponsesApi({
            url: (target, path) => joinUrl(target.baseUrl, `/v1/responses${path}`),
            headers: (target) => jsonHeaders(target.config, auth(target.key)),
          }),
        }
      : {}),

    buildEmbeddingsRequest(body, target) {
      return post(target, embeddingsPath, withFields(body, { model: target.model }));
    },
    buildTestRequest(target) {
      return post(target, chatPath, {
        model: target.model,
        messages: [{ role: 'user', content: TEST_PROMPT }],
        max_tokens: 1,
      });
    },
  };
}
