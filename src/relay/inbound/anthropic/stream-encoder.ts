// Canonical chunks → Anthropic SSE (`event: X\ndata: {...}\n\n`), in the order the real API sends them:
// message_start, then per content block content_block_start / _delta... / _stop, then message_delta and message_stop.
// OpenAI deltas have no blocks, so the encoder opens a block when the kind of content changes (thinking, text, each
// tool call) and closes the previous one.
import type { ChatCompletionChunk, ChunkDelta, FinishReason, Usage } from '../../../providers/types.js';
import type { StreamEncoder } from '../types.js';
import { encodeSse } from '../../sse.js';
import { anthropicUsageOf, stopReasonOf } from './response.js';

type ToolCallDelta = NonNullable<ChunkDelta['tool_calls']>[number];
type OpenBlock = { index: number; kind: 'text' | 'thinking' | 'tool' };

/** An Anthropic event: its name, and the same name as the data's `type`. */
function sseEvent(type: string, payload: Record<string, unknown>): string {
  return encodeSse({ event: type, data: JSON.stringify({ type, ...payload }) });
}

export class AnthropicStreamEncoder implements StreamEncoder {
  private messageId: string | undefined;
  private ended = false;
  private open: OpenBlock | undefined;
  private nextBlockIndex = 0;
  /** Canonical tool call index → Anthropic block index. */
  private readonly toolBlocks = new Map<number, number>();
  private finishReason: FinishReason = null;

  constructor(private readonly model: string) {}

  encode(chunk: ChatCompletionChunk): string {
    if (this.ended) return '';
    let out = this.start(chunk.id);
    const choice = chunk.choices.find((c) => c.index === 0);
    if (!choice) return out; // the usage-only chunk; its numbers arrive through finish(usage)
    const { delta } = choice;
    if (typeof delta.reasoning_content === 'string' && delta.reasoning_content !== '') {
      out += this.textual('thinking', delta.reasoning_content);
    }
    if (typeof delta.content === 'string' && delta.content !== '') out += this.textual('text', delta.content);
    for (const call of delta.tool_calls ?? []) out += this.toolCall(call);
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
    return out;
  }

  finish(usage: Usage | undefined): string {
    if (this.ended) return '';
    const out = this.start(undefined) + this.closeOpen();
    this.ended = true;
    const stopReason = stopReasonOf(this.finishReason, this.toolBlocks.size > 0);
    return (
      out +
      sseEvent('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: anthropicUsageOf(usage) }) +
      sseEvent('message_stop', {})
    );
  }

  /** message_start, once, before anything else. Input counts are unknown until the end; message_delta carries them. */
  private start(chunkId: string | undefined): string {
    if (this.messageId !== undefined) return '';
    this.messageId = `msg_${chunkId ?? 'relay'}`;
    return sseEvent('message_start', {
      message: {
        id: this.messageId,
        type: 'message',
        role: 'assistant',
        model: this.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: anthropicUsageOf(undefined),
      },
    });
  }

  private textual(kind: 'text' | 'thinking', text: string): string {
    let out = '';
    if (this.open?.kind !== kind) {
      out += this.closeOpen();
      const index = this.openBlock(kind);
      const contentBlock = kind === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '', signature: '' };
      out += sseEvent('content_block_start', { index, content_block: contentBlock });
    }
    const delta = kind === 'text' ? { type: 'text_delta', text } : { type: 'thinking_delta', thinking: text };
    return out + sseEvent('content_block_delta', { index: this.open!.index, delta });
  }

  private toolCall(call: ToolCallDelta): string {
    let out = '';
    let index = this.toolBlocks.get(call.index);
    if (index === undefined) {
      out += this.closeOpen();
      index = this.openBlock('tool');
      this.toolBlocks.set(call.index, index);
      const id = call.id ?? `toolu_${this.messageId}_${call.index}`;
      out += sseEvent('content_block_start', {
        index,
        content_block: { type: 'tool_use', id, name: call.function?.name ?? '', input: {} },
      });
    }
    // Arguments for an earlier tool call after a later one started are rare; they still go to that call's block
    // index, which is how Anthropic clients assemble tool input.
    const args = call.function?.arguments;
    if (args) out += sseEvent('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: args } });
    return out;
  }

  private openBlock(kind: OpenBlock['kind']): number {
    const index = this.nextBlockIndex++;
    this.open = { index, kind };
    return index;
  }

  private closeOpen(): string {
    if (!this.open) return '';
    const { index } = this.open;
    this.open = undefined;
    return sseEvent('content_block_stop', { index });
  }
}
