// Canonical chunks → Gemini SSE (`data: <GenerateContentResponse>\r\n\r\n`, as streamGenerateContent?alt=sse sends).
// Text is forwarded as it arrives. Gemini delivers function calls whole, so a call is held until its arguments are
// complete: when the next call starts, at the finish reason, or at the end. The last event carries finishReason and
// usageMetadata.
import type { ChatCompletionChunk, FinishReason, Usage } from '../../../providers/types.js';
import { countOf, isRecord, withFields } from '../../../providers/json.js';
import type { GeminiPart, GeminiResponse } from '../../../providers/gemini/types.js';
import type { StreamEncoder } from '../types.js';
import { encodeSse } from '../../sse.js';
import { argsOf, geminiFinishReason, usageMetadataOfBilled } from './response.js';

interface PendingCall {
  index: number;
  name: string;
  args: string;
}

interface CandidateState {
  pending: PendingCall | undefined;
  finishReason: FinishReason | undefined;
}

function sseData(payload: unknown): string {
  return encodeSse({ data: JSON.stringify(payload) }, '\r\n');
}

export class GeminiStreamEncoder implements StreamEncoder {
  #candidates = new Map<number, CandidateState>();
  #responseId: string | undefined;
  #reasoningTokens = 0;

  constructor(private readonly model: string) {}

  #state(index: number): CandidateState {
    let state = this.#candidates.get(index);
    if (!state) {
      state = { pending: undefined, finishReason: undefined };
      this.#candidates.set(index, state);
    }
    return state;
  }

  #flush(state: CandidateState, parts: GeminiPart[]): void {
    if (!state.pending) return;
    parts.push({ functionCall: { name: state.pending.name, args: argsOf(state.pending.args) } });
    state.pending = undefined;
  }

  #event(candidates: GeminiResponse['candidates'], extra: Partial<GeminiResponse> = {}): string {
    const response: GeminiResponse = withFields({ candidates, ...extra }, { modelVersion: this.model });
    if (this.#responseId) response.responseId = this.#responseId;
    return sseData(response);
  }

  encode(chunk: ChatCompletionChunk): string {
    this.#responseId ??= chunk.id || undefined;
    const details = isRecord(chunk.usage) ? chunk.usage.completion_tokens_details : undefined;
    if (isRecord(details)) this.#reasoningTokens = countOf(details.reasoning_tokens) ?? this.#reasoningTokens;

    const candidates: NonNullable<GeminiResponse['candidates']> = [];
    for (const choice of chunk.choices ?? []) {
      const state = this.#state(choice.index);
      const parts: GeminiPart[] = [];
      const delta = choice.delta ?? {};
      if (typeof delta.reasoning_content === 'string' && delta.reasoning_content !== '') {
        parts.push({ text: delta.reasoning_content, thought: true });
      }
      if (typeof delta.content === 'string' && delta.content !== '') parts.push({ text: delta.content });
      for (const call of delta.tool_calls ?? []) {
        if (state.pending && state.pending.index !== call.index) this.#flush(state, parts);
        state.pending ??= { index: call.index, name: '', args: '' };
        state.pending.name += call.function?.name ?? '';
        state.pending.args += call.function?.arguments ?? '';
      }
      if (choice.finish_reason) {
        this.#flush(state, parts);
        state.finishReason = choice.finish_reason;
      }
      if (parts.length > 0) candidates.push({ content: { role: 'model', parts }, index: choice.index });
    }
    return candidates.length > 0 ? this.#event(candidates) : '';
  }

  finish(usage: Usage | undefined): string {
    if (this.#candidates.size === 0) this.#state(0);
    const candidates = [...this.#candidates.entries()].map(([index, state]) => {
      const parts: GeminiPart[] = [];
      this.#flush(state, parts);
      return {
        content: { role: 'model' as const, parts: parts.length > 0 ? parts : [{ text: '' }] },
        finishReason: geminiFinishReason(state.finishReason),
        index,
      };
    });
    return this.#event(candidates, usage ? { usageMetadata: usageMetadataOfBilled(usage, this.#reasoningTokens) } : {});
  }
}
