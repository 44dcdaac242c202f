// Canonical chat completion → Anthropic message JSON, as POST /v1/messages answers it.
import type { ChatCompletion, FinishReason, Usage } from '../../../providers/types.js';
import { isRecord } from '../../../providers/json.js';
import { billingUsageOf } from '../../../providers/anthropic/usage.js';
import type {
  AnthropicMessage,
  AnthropicResponseBlock,
  AnthropicStopReason,
  AnthropicUsage,
} from '../../../providers/anthropic/wire.js';

export function stopReasonOf(finish: FinishReason | undefined, calledTools: boolean): AnthropicStopReason {
  switch (finish) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      // 'stop', or no reason at all: some upstreams say 'stop' after tool calls, which Anthropic calls tool_use.
      return calledTools ? 'tool_use' : 'end_turn';
  }
}

/** Anthropic's input_tokens exclude cache reads and writes, exactly like the billing Usage's promptTokens. */
export function anthropicUsageOf(usage: Usage | undefined): AnthropicUsage {
  return {
    input_tokens: usage?.promptTokens ?? 0,
    output_tokens: usage?.completionTokens ?? 0,
    cache_read_input_tokens: usage?.cacheReadTokens ?? 0,
    cache_creation_input_tokens: usage?.cacheWriteTokens ?? 0,
  };
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part: unknown) => (isRecord(part) && typeof part.text === 'string' ? part.text : '')).join('');
}

/** Tool arguments an upstream produced are usually, not always, valid JSON objects; Anthropic's input must be one. */
export function toolInputOf(args: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(args);
    return isRecord(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

export function fromChatCompletion(completion: ChatCompletion, model: string): AnthropicMessage {
  const choice = completion.choices[0];
  const message = choice?.message;
  const content: AnthropicResponseBlock[] = [];
  if (message?.reasoning_content) {
    // The canonical format keeps no signature; an empty one says "not verifiable" without breaking the shape.
    content.push({ type: 'thinking', thinking: message.reasoning_content, signature: '' });
  }
  const text = textOf(message?.content);
  if (text !== '') content.push({ type: 'text', text });
  const toolCalls = message?.tool_calls ?? [];
  for (const call of toolCalls) {
    content.push({ type: 'tool_use', id: call.id, name: call.function.name, input: toolInputOf(call.function.arguments) });
  }
  return {
    id: `msg_${completion.id}`,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stopReasonOf(choice?.finish_reason, toolCalls.length > 0),
    stop_sequence: null,
    usage: anthropicUsageOf(billingUsageOf(completion.usage)),
  };
}
