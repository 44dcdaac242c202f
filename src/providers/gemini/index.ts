// Google Gemini API (AI Studio, generativelanguage.googleapis.com/v1beta). Gemini cannot fetch image URLs, so the
// pipeline inlines http images as data: URIs first (requiresInlineImages).
import type { ChatRequest, ProviderAdapter, UpstreamRequest, UpstreamTarget } from '../types.js';
import { jsonHeaders } from '../openai/url.js';
import { openaiUsageOf } from '../openai/usage.js';
import { parseGeminiError } from './errors.js';
import { toGeminiRequest } from './request.js';
import { openaiUsageFromGemini, parseGeminiResponse } from './response.js';
import { GeminiChatStream, GeminiStreamMeter, geminiResponseText } from './stream.js';
import { isRecord } from '../json.js';

export { toGeminiRequest, SKIP_THOUGHT_SIGNATURE } from './request.js';
export { openaiUsageFromGemini, finishReasonOf } from './response.js';
export { parseGeminiError } from './errors.js';

/** generationConfig.maxOutputTokens, in the spelling the client used (the REST API takes snake_case too). */
function limitGeminiOutput(body: Record<string, unknown>, tokens: number): Record<string, unknown> {
  const snake = body.generationConfig === undefined && isRecord(body.generation_config);
  const key = snake ? 'generation_config' : 'generationConfig';
  const config = isRecord(body[key]) ? (body[key] as Record<string, unknown>) : {};
  const { maxOutputTokens: _camel, max_output_tokens: _snake, ...rest } = config;
  return { ...body, [key]: { ...rest, [snake ? 'max_output_tokens' : 'maxOutputTokens']: tokens } };
}

export const GEMINI_DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com';

/** `${base}/v1beta/models/{model}:generateContent`, or `:streamGenerateContent?alt=sse` (SSE instead of a JSON array). */
export function geminiUrl(target: UpstreamTarget, stream: boolean): string {
  const base = target.baseUrl.replace(/\/+$/, '').replace(/\/v1beta$/, '');
  const model = encodeURIComponent(target.model.replace(/^models\//, ''));
  return stream
    ? `${base}/v1beta/models/${model}:streamGenerateContent?alt=sse`
    : `${base}/v1beta/models/${model}:generateContent`;
}

function post(target: UpstreamTarget, stream: boolean, body: unknown): UpstreamRequest {
  return {
    method: 'POST',
    url: geminiUrl(target, stream),
    headers: jsonHeaders(target.config, { 'x-goog-api-key': target.key }),
    body: JSON.stringify(body),
  };
}

export const geminiAdapter: ProviderAdapter = {
  type: 'gemini',
  nativeFormat: 'gemini',
  requiresInlineImages: true,

  buildChatRequest(req: ChatRequest, target: UpstreamTarget): UpstreamRequest {
    return post(target, req.stream === true, toGeminiRequest(req));
  },
  parseChatResponse: parseGeminiResponse,
  createChatStream: (ctx) => new GeminiChatStream(ctx),
  parseError: parseGeminiError,
  usageOf: openaiUsageOf,

  native: {
    buildRequest: (body, target, stream) => post(target, stream, body),
    limitOutput: limitGeminiOutput,
    usageOfResponse: (body) => openaiUsageOf(isRecord(body) ? openaiUsageFromGemini(body.usageMetadata) : undefined),
    textOfResponse: geminiResponseText,
    createStreamMeter: () => new GeminiStreamMeter(),
  },

  buildTestRequest: (target) =>
    post(target, false, {
      contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
      generationConfig: { maxOutputTokens: 1 },
    }),
};
