// Anthropic message → canonical chat completion.
import { RelayError } from '../../errors.js';
import type { ChatCompletion, FinishReason, StreamContext, ToolCall } from '../types.js';
import { isRecord, stringOr } from '../json.js';
import { toOpenAIUsage } from './usage.js';

export function finishReasonOf(stopReason: unknown): FinishReason {
  switch (stopReason) {
    case null:
    case undefined:
      return null;
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      // end_turn, stop_sequence, pause_turn and anything newer: the turn ended normally.
      return 'stop';
  }
}

export function fromAnthropicMessage(body: unknown, ctx: StreamContext): ChatCompletion {
  if (!isRecord(body) || !Array.isArray(body.content)) {
    throw new RelayError('upstream_error', 'the Anthropic upstream answered without a message content array', 502);
  }
  let text = '';
  let reasoning = '';
  const toolCalls: ToolCall[] = [];
  for (const block of body.content) {
    if (!isRecord(block)) continue;
    if (block.type === 'text') text += stringOr(block.text, '');
    else if (block.type === 'thinking') reasoning += stringOr(block.thinking, '');
    else if (block.type === 'tool_use') {
      toolCalls.push({
        id: stringOr(block.id, ''),
        type: 'function',
        function: { name: stringOr(block.name, ''), arguments: JSON.stringify(block.input ?? {}) },
      });
    }
  }

  const message: ChatCompletion['choices'][number]['message'] = {
    role: 'assistant',
    // OpenAI's convention: content is null when the answer is only tool calls.
    content: text === '' && toolCalls.length > 0 ? null : text,
  };
  if (reasoning !== '') message.reasoning_content = reasoning;
  if (toolCalls.length > 0) message.tool_calls = toolCalls;

  const completion: ChatCompletion = {
    id: ctx.id,
    object: 'chat.completion',
    created: ctx.created,
    model: ctx.model,
    choices: [{ index: 0, message, finish_reason: finishReasonOf(body.stop_reason) ?? 'stop' }],
  };
  if (isRecord(body.usage)) completion.usage = toOpenAIUsage(body.usage);
  return completion;
}
