// Azure OpenAI: OpenAI's wire format behind per-deployment URLs. The channel's mapped model name is the deployment name,
// the key goes in `api-key`, and the api-version query parameter is mandatory (Azure answers 404 without it).
// Answers, streams and errors are OpenAI's, plus content-filter annotations (filter-only stream chunks are dropped by
// the shared OpenAI stream translator; a `content_filter` error code classifies as bad_request there too).
import type { ChatRequest, ProviderAdapter, UpstreamRequest, UpstreamTarget } from '../types.js';
import { parseOpenAIError } from '../openai/errors.js';
import { parseOpenAIChatResponse } from '../openai/response.js';
import { OpenAIChatStream, OpenAIStreamMeter } from '../openai/stream.js';
import { choicesText } from '../openai/text.js';
import { jsonHeaders } from '../openai/url.js';
import { openaiUsageOf, usageFieldOf } from '../openai/usage.js';
import { inPreferredField, openaiLimitField, withOutputLimit } from '../openai/limit.js';
import { createResponsesApi } from '../openai/responses.js';

export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

type Operation = 'chat/completions' | 'embeddings';

/** Accepts "https://res.openai.azure.com", with or without a trailing slash or "/openai". */
export function azureUrl(target: UpstreamTarget, operation: Operation): string {
  const base = target.baseUrl.replace(/\/+$/, '').replace(/\/openai$/, '');
  const version = target.config.apiVersion ?? AZURE_DEFAULT_API_VERSION;
  return (
    `${base}/openai/deployments/${encodeURIComponent(target.model)}/${operation}` +
    `?api-version=${encodeURIComponent(version)}`
  );
}

/** The deployment in the URL picks the model; the body carries none. */
function withoutModel(body: Record<string, unknown>): Record<string, unknown> {
  const { model: _model, ...rest } = body;
  return rest;
}

function post(target: UpstreamTarget, operation: Operation, body: Record<string, unknown>): UpstreamRequest {
  return {
    method: 'POST',
    url: azureUrl(target, operation),
    headers: jsonHeaders(target.config, { 'api-key': target.key }),
    body: JSON.stringify(withoutModel(body)),
  };
}

export const azureAdapter: ProviderAdapter = {
  type: 'azure',
  nativeFormat: 'openai',
  requiresInlineImages: false,

  buildChatRequest(req: ChatRequest, target: UpstreamTarget): UpstreamRequest {
    return post(target, 'chat/completions', inPreferredField(req, openaiLimitField(target.model)));
  },
  parseChatResponse: parseOpenAIChatResponse,
  createChatStream: (ctx) => new OpenAIChatStream(ctx),
  parseError: parseOpenAIError,
  usageOf: openaiUsageOf,

  native: {
    buildRequest: (body, target, stream) => post(target, 'chat/completions', { ...body, stream }),
    limitOutput: (body, tokens, model) => withOutputLimit(body, tokens, openaiLimitField(model)),
    usageOfResponse: (body) => openaiUsageOf(usageFieldOf(body)),
    textOfResponse: choicesText,
    createStreamMeter: () => new OpenAIStreamMeter(),
  },

  // The Responses API lives on Azure's v1 surface (/openai/v1/responses, no api-version); the body's model names the
  // deployment.
  responses: createResponsesApi({
    url: (target, path) => `${target.baseUrl.replace(/\/+$/, '').replace(/\/openai(?:\/v1)?$/, '')}/openai/v1/responses${path}`,
    headers: (target) => jsonHeaders(target.config, { 'api-key': target.key }),
  }),

  buildEmbeddingsRequest: (body, target) => post(target, 'embeddings', body),
  buildTestRequest: (target) => post(target, 'chat/completions', { messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 }),
};
