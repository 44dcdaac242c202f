// Anthropic SSE events → canonical chat.completion.chunk objects.
// Anthropic streams content blocks by index (text, thinking, tool_use); OpenAI streams one delta per chunk with tool
// calls numbered in order of appearance. The block index → tool call number map is the state that bridges the two.
import {
  UpstreamStreamError,
  type ChatCompletionChunk,
  type ChatStreamTranslator,
  type ChunkDelta,
  type FinishReason,
  type SseEvent,
  type StreamContext,
  type Usage,
} from '../types.js';
import { anthropicErrorInfo, readErrorBody } from './errors.js';
import { isRecord, stringOr, type JsonObject } from '../json.js';
import { finishReasonOf } from './response.js';
import { AnthropicUsageTracker, billingUsageOf } from './usage.js';

function parseEventData(event: SseEvent): JsonObject | undefined {
  if (event.data.trim() === '') return undefined;
  let data: unknown;
  try {
    data = JSON.parse(event.data);
  } catch {
    throw new UpstreamStreamError({ kind: 'other', message: `the Anthropic upstream sent a stream event that is not JSON (${event.event ?? 'unnamed'})` });
  }
  return isRecord(data) ? data : undefined;
}

export class AnthropicChatStream implements ChatStreamTranslator {
  private readonly usage = new AnthropicUsageTracker();
  /** Anthropic block index → OpenAI tool call index, for tool_use blocks only. */
  private readonly toolIndexByBlock = new Map<number, number>();
  private roleSent = false;

  constructor(private readonly ctx: StreamContext) {}

  push(event: SseEvent): ChatCompletionChunk[] {
    const data = parseEventData(event);
    if (!data) return [];
    const type = typeof data.type === 'string' ? data.type : event.event;
    switch (type) {
      case 'message_start': {
        const message = isRecord(data.message) ? data.message : {};
        this.usage.apply(message.usage);
        return this.roleSent ? [] : [this.chunk({ content: '' })];
      }
      case 'content_block_start':
        return this.blockStart(data);
      case 'content_block_delta':
        return this.blockDelta(data);
      case 'message_delta': {
        this.usage.apply(data.usage);
        const finish = finishReasonOf(isRecord(data.delta) ? data.delta.stop_reason : undefined);
        return finish ? [this.chunk({}, finish)] : [];
      }
      case 'error': {
        const described = readErrorBody(data);
        throw new UpstreamStreamError(
          described
            ? anthropicErrorInfo(described.type, described.message)
            : { kind: 'other', message: 'the Anthropic upstream sent an error event without a message' },
        );
      }
      default:
        // content_block_stop, message_stop, ping, and event types newer than this code: nothing to pass on.
        return [];
    }
  }

  finish(): { chunks: ChatCompletionChunk[]; usage: Usage | undefined } {
    const usage = this.usage.openAI();
    if (!usage) return { chunks: [], usage: undefined };
    const { id, created, model } = this.ctx;
    return { chunks: [{ id, object: 'chat.completion.chunk', created, model, choices: [], usage }], usage: billingUsageOf(usage) };
  }

  private blockStart(data: JsonObject): ChatCompletionChunk[] {
    const block = isRecord(data.content_block) ? data.content_block : {};
    const index = typeof data.index === 'number' ? data.index : -1;
    if (block.type === 'text') {
      const text = stringOr(block.text, '');
      return text === '' ? [] : [this.chunk({ content: text })];
    }
    if (block.type === 'thinking') {
      const thinking = stringOr(block.thinking, '');
      return thinking === '' ? [] : [this.chunk({ reasoning_content: thinking })];
    }
    if (block.type === 'tool_use') {
      const toolIndex = this.toolIndexByBlock.size;
      this.toolIndexByBlock.set(index, toolIndex);
      // The real API starts with input {} and streams the JSON; a proxy may send the whole input up front.
      const input = isRecord(block.input) && Object.keys(block.input).length > 0 ? JSON.stringify(block.input) : '';
      const call = { index: toolIndex, id: stringOr(block.id, ''), type: 'function' as const, function: { name: stringOr(block.name, ''), arguments: input } };
      return [this.chunk({ tool_calls: [call] })];
    }
    return []; // redacted_thinking, server tool blocks: nothing an OpenAI client can use
  }

  private blockDelta(data: JsonObject): ChatCompletionChunk[] {
    const delta = isRecord(data.delta) ? data.delta : {};
    switch (delta.type) {
      case 'text_delta': {
        const text = stringOr(delta.text, '');
        return text === '' ? [] : [this.chunk({ content: text })];
      }
      case 'thinking_delta': {
        const thinking = stringOr(delta.thinking, '');
        return thinking === '' ? [] : [this.chunk({ reasoning_content: thinking })];
      }
      case 'input_json_delta': {
        const toolIndex = typeof data.index === 'number' ? this.toolIndexByBlock.get(data.index) : undefined;
        const json = stringOr(delta.partial_json, '');
        if (toolIndex === undefined || json === '') return [];
        return [this.chunk({ tool_calls: [{ index: toolIndex, function: { arguments: json } }] })];
      }
      default:
        return []; // signature_delta, citations_delta
    }
  }

  private chunk(delta: ChunkDelta, finishReason: FinishReason = null): ChatCompletionChunk {
    const first = !this.roleSent;
    this.roleSent = true;
    const { id, created, model } = this.ctx;
    return {
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta: first ? { role: 'assistant', ...delta } : delta, finish_reason: finishReason }],
    };
  }
}
