// Canonical chunks → Responses API events (`event: <type>` + `data: {type, …, sequence_number}`), in the order the API
// sends them: response.created, response.in_progress; per output item output_item.added, its parts and deltas, their
// .done events and output_item.done; then response.completed (or response.incomplete, cut at the limit or filtered).
// Chat deltas have no items: an item opens when the kind of content changes (reasoning, text) and every tool call is
// its own item, open until the text resumes or the answer ends.
import type { ChatCompletionChunk, ChunkDelta, FinishReason, Usage } from '../../../providers/types.js';
import { withFields, type JsonObject } from '../../../providers/json.js';
import type { StreamEncoder } from '../types.js';
import { encodeSse } from '../../sse.js';
import { outputText, responseShell, statusOf, toolItemOf, usageObjectOf, type ResponseContext } from './response.js';

type ToolCallDelta = NonNullable<ChunkDelta['tool_calls']>[number];

interface TextItem {
  kind: 'text' | 'reasoning';
  id: string;
  index: number;
  text: string;
}

interface ToolItem {
  id: string;
  index: number;
  callId: string;
  name: string;
  args: string;
  custom: boolean;
}

export class ResponsesStreamEncoder implements StreamEncoder {
  #sequence = -1;
  #response: JsonObject | undefined;
  #base = '';
  #ended = false;
  #current: TextItem | undefined;
  /** Open tool-call items by the canonical tool call index. */
  readonly #tools = new Map<number, ToolItem>();
  #toolCount = 0;
  /** Finished output items by output index. */
  readonly #output: JsonObject[] = [];
  #nextIndex = 0;
  #finish: FinishReason = null;

  constructor(
    private readonly ctx: ResponseContext,
    private readonly model: string,
    private readonly createdAt: number,
  ) {}

  get sequence(): number | undefined {
    return this.#sequence < 0 ? undefined : this.#sequence;
  }

  encode(chunk: ChatCompletionChunk): string {
    if (this.#ended) return '';
    let out = this.#start(chunk.created);
    const choice = chunk.choices.find((c) => c.index === 0);
    if (!choice) return out; // the usage-only chunk: its numbers arrive through finish(usage)
    const { delta } = choice;
    if (typeof delta.reasoning_content === 'string' && delta.reasoning_content !== '') out += this.#textual('reasoning', delta.reasoning_content);
    if (typeof delta.content === 'string' && delta.content !== '') out += this.#textual('text', delta.content);
    for (const call of delta.tool_calls ?? []) out += this.#toolCall(call);
    if (choice.finish_reason) this.#finish = choice.finish_reason;
    return out;
  }

  finish(usage: Usage | undefined): string {
    if (this.#ended) return '';
    let out = this.#start(undefined) + this.#closeCurrent() + this.#closeTools();
    this.#ended = true;
    const { status, incomplete_details } = statusOf(this.#finish);
    const output = this.#output.filter(Boolean);
    this.ctx.output = output;
    const response = { ...this.#response!, status, incomplete_details, output, usage: usageObjectOf(usage) };
    out += this.#event(`response.${status}`, { response });
    return out;
  }

  #event(type: string, payload: JsonObject): string {
    this.#sequence += 1;
    return encodeSse({ event: type, data: JSON.stringify(withFields({ type, ...payload }, { sequence_number: this.#sequence })) });
  }

  /** response.created and response.in_progress, once, before anything else. */
  #start(created: number | undefined): string {
    if (this.#response) return '';
    this.#base = this.ctx.id;
    this.#response = responseShell(this.ctx, `resp_${this.#base}`, created ?? this.createdAt, this.model);
    return this.#event('response.created', { response: this.#response }) + this.#event('response.in_progress', { response: this.#response });
  }

  #textual(kind: TextItem['kind'], text: string): string {
    let out = '';
    if (this.#current?.kind !== kind) {
      out += this.#closeCurrent() + this.#closeTools();
      const index = this.#nextIndex++;
      const id = `${kind === 'text' ? 'msg' : 'rs'}_${this.#base}_${index}`;
      this.#current = { kind, id, index, text: '' };
      if (kind === 'text') {
        out += this.#event('response.output_item.added', { output_index: index, item: { id, type: 'message', status: 'in_progress', role: 'assistant', content: [] } });
        out += this.#event('response.content_part.added', { item_id: id, output_index: index, content_index: 0, part: outputText('') });
      } else {
        out += this.#event('response.output_item.added', { output_index: index, item: { id, type: 'reasoning', summary: [] } });
        out += this.#event('response.reasoning_summary_part.added', { item_id: id, output_index: index, summary_index: 0, part: { type: 'summary_text', text: '' } });
      }
    }
    const item = this.#current!;
    item.text += text;
    return kind === 'text'
      ? out + this.#event('response.output_text.delta', { item_id: item.id, output_index: item.index, content_index: 0, delta: text, logprobs: [] })
      : out + this.#event('response.reasoning_summary_text.delta', { item_id: item.id, output_index: item.index, summary_index: 0, delta: text });
  }

  #closeCurrent(): string {
    const item = this.#current;
    if (!item) return '';
    this.#current = undefined;
    const { id, index, text } = item;
    let out: string;
    let done: JsonObject;
    if (item.kind === 'text') {
      out = this.#event('response.output_text.done', { item_id: id, output_index: index, content_index: 0, text, logprobs: [] });
      out += this.#event('response.content_part.done', { item_id: id, output_index: index, content_index: 0, part: outputText(text) });
      done = { id, type: 'message', status: 'completed', role: 'assistant', content: [outputText(text)] };
    } else {
      const part = { type: 'summary_text', text };
      out = this.#event('response.reasoning_summary_text.done', { item_id: id, output_index: index, summary_index: 0, text });
      out += this.#event('response.reasoning_summary_part.done', { item_id: id, output_index: index, summary_index: 0, part });
      done = { id, type: 'reasoning', summary: [part] };
    }
    this.#output[index] = done;
    return out + this.#event('response.output_item.done', { output_index: index, item: done });
  }

  #toolCall(call: ToolCallDelta): string {
    let out = '';
    let item = this.#tools.get(call.index);
    if (!item) {
      out += this.#closeCurrent();
      const index = this.#nextIndex++;
      const name = call.function?.name ?? '';
      item = { id: `fc_${this.#base}_${this.#toolCount++}`, index, callId: call.id ?? `call_${this.#base}_${call.index}`, name, args: '', custom: this.ctx.customTools.has(name) };
      this.#tools.set(call.index, item);
      const added = item.custom
        ? { id: item.id, type: 'custom_tool_call', status: 'in_progress', call_id: item.callId, name, input: '' }
        : { id: item.id, type: 'function_call', status: 'in_progress', call_id: item.callId, name, arguments: '' };
      out += this.#event('response.output_item.added', { output_index: index, item: added });
    }
    const args = call.function?.arguments;
    if (args) {
      item.args += args;
      // A freeform tool's raw input is inside the JSON wrapper: it is sent whole when the call is complete.
      if (!item.custom) out += this.#event('response.function_call_arguments.delta', { item_id: item.id, output_index: item.index, delta: args });
    }
    return out;
  }

  #closeTools(): string {
    let out = '';
    for (const item of [...this.#tools.values()].sort((a, b) => a.index - b.index)) {
      const done = toolItemOf(this.ctx, item.id, item.callId, item.name, item.args);
      if (item.custom) {
        const input = String(done.input);
        out += this.#event('response.custom_tool_call_input.delta', { item_id: item.id, output_index: item.index, delta: input });
        out += this.#event('response.custom_tool_call_input.done', { item_id: item.id, output_index: item.index, input });
      } else {
        out += this.#event('response.function_call_arguments.done', { item_id: item.id, output_index: item.index, name: item.name, arguments: item.args });
      }
      this.#output[item.index] = done;
      out += this.#event('response.output_item.done', { output_index: item.index, item: done });
    }
    this.#tools.clear();
    return out;
  }
}
