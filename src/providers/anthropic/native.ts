// Native pass-through: a client speaking /v1/messages to an Anthropic channel. The body goes upstream as is (only
// the model and the stream flag change), and the answer comes back untouched; these helpers only read it for billing.
import type { NativeStreamEvent, NativeStreamMeter, ProviderAdapter, SseEvent, Usage } from '../types.js';
import { PLAIN_EVENT } from '../types.js';
import { parseAnthropicError } from './errors.js';
import { messagesRequest } from './http.js';
import { isRecord, stringOr } from '../json.js';
import { AnthropicUsageTracker, billingUsageOf, toOpenAIUsage } from './usage.js';

function parseData(event: SseEvent): Record<string, unknown> | undefined {
  try {
    const data: unknown = JSON.parse(event.data);
    return isRecord(data) ? data : undefined;
  } catch {
    return undefined; // a meter must never break a stream it is only watching
  }
}

/** Everything the model generated, as text: what local token counting would bill as output. */
export function textOfAnthropicMessage(body: unknown): string {
  if (!isRecord(body) || !Array.isArray(body.content)) return '';
  return body.content
    .map((block) => {
      if (!isRecord(block)) return '';
      if (block.type === 'text') return stringOr(block.text, '');
      if (block.type === 'thinking') return stringOr(block.thinking, '');
      if (block.type === 'tool_use') return JSON.stringify(block.input ?? {});
      return '';
    })
    .join('');
}

/** The smallest extended-thinking budget Anthropic takes. */
const MIN_THINKING_BUDGET = 1024;

const STOP_EVENT: NativeStreamEvent = Object.freeze({ delta: '', ended: true, closing: true, usageOnly: false });

export class AnthropicNativeMeter implements NativeStreamMeter {
  private readonly tracker = new AnthropicUsageTracker();

  push(event: SseEvent): NativeStreamEvent {
    const data = parseData(event);
    const type = data && typeof data.type === 'string' ? data.type : event.event;
    switch (type) {
      case 'message_start':
        if (data && isRecord(data.message)) this.tracker.apply(data.message.usage);
        return PLAIN_EVENT;
      case 'message_delta':
        this.tracker.apply(data?.usage);
        return PLAIN_EVENT;
      case 'content_block_delta': {
        if (!data || !isRecord(data.delta)) return PLAIN_EVENT;
        const delta = data.delta;
        const text = stringOr(delta.text, '') + stringOr(delta.thinking, '') + stringOr(delta.partial_json, '');
        return text === '' ? PLAIN_EVENT : { delta: text, ended: false, closing: false, usageOnly: false };
      }
      case 'message_stop':
        return STOP_EVENT;
      case 'error':
        return { delta: '', ended: false, closing: false, error: parseAnthropicError(200, event.data), usageOnly: false };
      default:
        return PLAIN_EVENT;
    }
  }

  usage(): Usage | undefined {
    return this.tracker.billing();
  }
}

export const anthropicNative: ProviderAdapter['native'] = {
  buildRequest(body, target, stream) {
    return messagesRequest(target, { ...body, model: target.model, stream });
  },
  // Anthropic requires max_tokens, so a client always set one: it is lowered in place, and an extended-thinking
  // budget with it (Anthropic refuses a budget that is not below max_tokens; 1,024 is its least).
  limitOutput(body, tokens) {
    const thinking = body.thinking;
    const budget = isRecord(thinking) && typeof thinking.budget_tokens === 'number' ? thinking.budget_tokens : undefined;
    const fitted = budget !== undefined && budget >= tokens && tokens > MIN_THINKING_BUDGET ? { thinking: { ...(thinking as object), budget_tokens: tokens - 1 } } : {};
    return { ...body, max_tokens: tokens, ...fitted };
  },
  usageOfResponse(body) {
    return isRecord(body) && isRecord(body.usage) ? billingUsageOf(toOpenAIUsage(body.usage)) : undefined;
  },
  textOfResponse: textOfAnthropicMessage,
  createStreamMeter: () => new AnthropicNativeMeter(),
};
