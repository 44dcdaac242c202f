// OpenAI's Responses API spoken natively (OpenAI and Azure channels): the client's body goes upstream as is (model
// swapped, the output limit in `max_output_tokens` where the reservation needs one), answers and events come back byte
// for byte, and this module reads them for billing. Usage in the Responses API counts cached tokens inside
// input_tokens (input_tokens_details.cached_tokens) and reasoning tokens inside output_tokens, like chat.
import type { NativeStreamEvent, NativeStreamMeter, ResponsesApi, SseEvent, UpstreamErrorInfo, UpstreamRequest, UpstreamTarget, Usage } from '../types.js';
import { PLAIN_EVENT } from '../types.js';
import { countOf, isRecord, stringOf, tryParseJson, withFields, type JsonObject } from '../json.js';
import { infoOf } from './errors.js';

/** The Responses usage object → billing usage (cached input apart from the rest). */
export function responsesUsageOf(usage: unknown): Usage | undefined {
  if (!isRecord(usage)) return undefined;
  const input = countOf(usage.input_tokens) ?? 0;
  const details = usage.input_tokens_details;
  const cached = Math.min(isRecord(details) ? (countOf(details.cached_tokens) ?? 0) : 0, input);
  return { promptTokens: input - cached, completionTokens: countOf(usage.output_tokens) ?? 0, cacheReadTokens: cached, cacheWriteTokens: 0 };
}

/** Everything a response generated, as text (for local counting when usage is missing): text, tool arguments, reasoning. */
export function responseOutputText(response: unknown): string {
  if (!isRecord(response) || !Array.isArray(response.output)) return '';
  let text = '';
  for (const item of response.output) {
    if (!isRecord(item)) continue;
    if (Array.isArray(item.content)) {
      for (const part of item.content) {
        if (isRecord(part)) text += stringOf(part.text) ?? stringOf(part.refusal) ?? '';
      }
    }
    if (Array.isArray(item.summary)) for (const part of item.summary) if (isRecord(part)) text += stringOf(part.text) ?? '';
    text += (stringOf(item.name) ?? '') + (stringOf(item.arguments) ?? '') + (stringOf(item.input) ?? '');
  }
  return text;
}

/** Stream events whose `delta` is generated text (output, refusals, tool arguments, reasoning). */
const DELTA_EVENTS = new Set([
  'response.output_text.delta',
  'response.refusal.delta',
  'response.function_call_arguments.delta',
  'response.custom_tool_call_input.delta',
  'response.reasoning_summary_text.delta',
  'response.reasoning_text.delta',
]);

/** What an upstream's failure inside a Responses stream means (`error` events, `response.failed`). */
function streamFailureOf(data: JsonObject): UpstreamErrorInfo {
  const err = data.type === 'response.failed' && isRecord(data.response) && isRecord(data.response.error) ? data.response.error : data;
  const inner = isRecord(err.error) ? err.error : err; // some proxies nest it: {type:"error", error:{...}}
  const code = stringOf(inner.code) ?? (typeof inner.code === 'number' ? String(inner.code) : undefined);
  return infoOf(200, {
    message: stringOf(inner.message) ?? 'the upstream reported a failure inside the stream',
    type: stringOf(inner.type),
    code,
  });
}

export class ResponsesStreamMeter implements NativeStreamMeter {
  #usage: Usage | undefined;

  push(event: SseEvent): NativeStreamEvent {
    const data = tryParseJson(event.data);
    if (!isRecord(data)) return PLAIN_EVENT;
    const type = stringOf(data.type) ?? event.event ?? '';
    const sequence = countOf(data.sequence_number);
    const response = isRecord(data.response) ? data.response : undefined;
    if (response && isRecord(response.usage)) this.#usage = responsesUsageOf(response.usage);
    const plain = { delta: '', ended: false, closing: false, usageOnly: false, ...(sequence !== undefined ? { sequence } : {}) };
    // withFields, not `{ ...plain, … }`: this runs for every event (providers/json.ts says why).
    if (DELTA_EVENTS.has(type)) return withFields(plain, { delta: stringOf(data.delta) ?? '' });
    switch (type) {
      case 'response.created': {
        const id = stringOf(response?.id);
        return id ? withFields(plain, { id }) : plain;
      }
      case 'response.completed':
      case 'response.incomplete':
        // The answer is whole (an incomplete one is cut at its limit, and billed for what it carried).
        return withFields(plain, { ended: true, closing: true });
      case 'response.failed':
      case 'error':
        return withFields(plain, { error: streamFailureOf(data) });
      default:
        return plain;
    }
  }

  usage(): Usage | undefined {
    return this.#usage;
  }
}

export interface ResponsesApiOptions {
  /** The URL of /v1/responses plus `path` ("" for create, "/resp_1/cancel", …) for a channel. */
  url(target: UpstreamTarget, path: string): string;
  /** Headers for a JSON request with the channel's key. */
  headers(target: UpstreamTarget): Record<string, string>;
}

export function createResponsesApi(options: ResponsesApiOptions): ResponsesApi {
  return {
    buildRequest(body, target, stream): UpstreamRequest {
      return { method: 'POST', url: options.url(target, ''), headers: options.headers(target), body: JSON.stringify(withFields(body, { model: target.model, stream })) };
    },
    // The Responses API has one limit field; for reasoning models it covers the reasoning tokens too, as billing does.
    limitOutput: (body, tokens) => withFields(body, { max_output_tokens: tokens }),
    usageOfResponse: (body) => (isRecord(body) ? responsesUsageOf(body.usage) : undefined),
    textOfResponse: responseOutputText,
    createStreamMeter: () => new ResponsesStreamMeter(),
    idOfResponse: (body) => (isRecord(body) ? stringOf(body.id) : undefined),
    buildResourceRequest(target, method, path): UpstreamRequest {
      // No body: no content type either (cancel is a bodiless POST).
      const { 'content-type': _json, ...headers } = options.headers(target);
      return { method, url: options.url(target, path), headers };
    },
  };
}
