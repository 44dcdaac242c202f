// Generated text of OpenAI-shaped answers, for local token counting when an upstream reports no usage. Tool-call names
// and arguments are generated tokens too, so they count.
import { isRecord, stringOf } from '../json.js';

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (isRecord(part) ? (stringOf(part.text) ?? '') : '')).join('');
}

function toolCallsText(toolCalls: unknown): string {
  if (!Array.isArray(toolCalls)) return '';
  let text = '';
  for (const call of toolCalls) {
    if (!isRecord(call) || !isRecord(call.function)) continue;
    text += (stringOf(call.function.name) ?? '') + (stringOf(call.function.arguments) ?? '');
  }
  return text;
}

/** Text of one message or delta: reasoning, content and tool calls. */
export function messageText(message: unknown): string {
  if (!isRecord(message)) return '';
  return (
    (stringOf(message.reasoning_content) ?? stringOf(message.reasoning) ?? '') +
    contentText(message.content) +
    toolCallsText(message.tool_calls)
  );
}

/** All choices of a chat completion, a chat chunk, or a legacy /v1/completions answer (`choices[].text`). */
export function choicesText(body: unknown): string {
  if (!isRecord(body) || !Array.isArray(body.choices)) return '';
  let text = '';
  for (const choice of body.choices) {
    if (!isRecord(choice)) continue;
    text += stringOf(choice.text) ?? '';
    text += messageText(choice.message) + messageText(choice.delta);
  }
  return text;
}
