// Native pass-through: a client speaking /v1/messages to an Anthropic channel. The body goes upstream as is (only
// the model and the stream flag change), and the answer comes back untouched; these helpers only read it for billing.
import type { NativeStreamMeter, ProviderAdapter, SseEvent, Usage } from '../types.js';
import { messagesRequest } from './http.js';
import { isRecord, stringOr } from './json.js';
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

export class AnthropicNativeMeter implements NativeStreamMeter {
  private readonly tracker = new AnthropicUsageTracker();
  private generated = '';

  push(event: SseEvent): string {
    const data = parseData(event);
    if (!data) return '';
    if (data.type === 'message_start' && isRecord(data.message)) this.tracker.apply(data.message.usage);
    else if (data.type === 'message_delta') this.tracker.apply(data.usage);
    else if (data.type === 'content_block_delta' && isRecord(data.delta)) {
      const delta = data.delta;
      const text = stringOr(delta.text, '') + stringOr(delta.thinking, '') + stringOr(delta.partial_json, '');
      this.generated += text;
      return text;
    }
    return '';
  }

  usage(): Usage | undefined {
    return this.tracker.billing();
  }

  text(): string {
    return this.generated;
  }
}

export const anthropicNative: ProviderAdapter['native'] = {
  buildRequest(body, target, stream) {
    return messagesRequest(target, { ...body, model: target.model, stream });
  },
  usageOfResponse(body) {
    return isRecord(body) && isRecord(body.usage) ? billingUsageOf(toOpenAIUsage(body.usage)) : undefined;
  },
  textOfResponse: textOfAnthropicMessage,
  createStreamMeter: () => new AnthropicNativeMeter(),
};
