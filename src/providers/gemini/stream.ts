// Gemini streams (streamGenerateContent?alt=sse): every `data:` is a partial GenerateContentResponse carrying the new
// text of each candidate; function calls arrive whole in one event; usageMetadata grows and is final in the last event.
import type {
  ChatCompletionChunk,
  ChatStreamTranslator,
  ChunkDelta,
  FinishReason,
  NativeStreamEvent,
  NativeStreamMeter,
  OpenAIUsage,
  SseEvent,
  StreamContext,
  Usage,
} from '../types.js';
import { PLAIN_EVENT, UpstreamStreamError } from '../types.js';
import { countOf, isRecord, stringOf, tryParseJson } from '../json.js';
import { openaiUsageOf } from '../openai/usage.js';
import { geminiErrorInfo } from './errors.js';
import { finishReasonOf, openaiUsageFromGemini, summarizeParts } from './response.js';
import type { GeminiCandidate, GeminiResponse } from './types.js';

/** One event's data, parsed (undefined for keep-alives, a proxy's [DONE], and data that does not parse). */
function parseData(event: SseEvent): unknown {
  const data = event.data.trim();
  return data === '' || data === '[DONE]' ? undefined : tryParseJson(data);
}

interface CandidateState {
  started: boolean;
  toolCalls: number;
  finished: boolean;
}

export class GeminiChatStream implements ChatStreamTranslator {
  #candidates = new Map<number, CandidateState>();
  #usage: OpenAIUsage | undefined;

  constructor(private readonly ctx: StreamContext) {}

  #chunk(index: number, delta: ChunkDelta, finishReason: FinishReason = null): ChatCompletionChunk {
    return {
      id: this.ctx.id,
      object: 'chat.completion.chunk',
      created: this.ctx.created,
      model: this.ctx.model,
      choices: [{ index, delta, finish_reason: finishReason }],
    };
  }

  #state(index: number): CandidateState {
    let state = this.#candidates.get(index);
    if (!state) {
      state = { started: false, toolCalls: 0, finished: false };
      this.#candidates.set(index, state);
    }
    return state;
  }

  #candidateChunks(candidate: GeminiCandidate, position: number): ChatCompletionChunk[] {
    const index = countOf(candidate.index) ?? position;
    const state = this.#state(index);
    if (state.finished) return [];
    const chunks: ChatCompletionChunk[] = [];
    const { text, reasoning, toolCalls } = summarizeParts(candidate.content?.parts, state.toolCalls);
    const delta: ChunkDelta = {};
    if (!state.started) {
      delta.role = 'assistant';
      state.started = true;
    }
    if (reasoning) delta.reasoning_content = reasoning;
    if (text) delta.content = text;
    if (toolCalls.length > 0) {
      delta.tool_calls = toolCalls.map((call, i) => ({ index: state.toolCalls + i, ...call }));
      state.toolCalls += toolCalls.length;
    }
    if (Object.keys(delta).length > 0) chunks.push(this.#chunk(index, delta));
    const finish = finishReasonOf(stringOf(candidate.finishReason), state.toolCalls > 0);
    if (finish) {
      state.finished = true;
      chunks.push(this.#chunk(index, {}, finish));
    }
    return chunks;
  }

  push(event: SseEvent): ChatCompletionChunk[] {
    const parsed = parseData(event);
    const error = geminiErrorInfo(200, parsed);
    if (error) throw new UpstreamStreamError(error);
    if (!isRecord(parsed)) return [];
    const response = parsed as GeminiResponse;
    this.#usage = openaiUsageFromGemini(response.usageMetadata) ?? this.#usage;
    const candidates = Array.isArray(response.candidates) ? response.candidates.filter(isRecord) : [];
    if (candidates.length === 0) {
      if (isRecord(response.promptFeedback) && response.promptFeedback.blockReason !== undefined) {
        const state = this.#state(0);
        if (state.finished) return [];
        state.finished = true;
        const opening = state.started ? [] : [this.#chunk(0, { role: 'assistant', content: '' })];
        state.started = true;
        return [...opening, this.#chunk(0, {}, 'content_filter')];
      }
      return [];
    }
    return candidates.flatMap((candidate, i) => this.#candidateChunks(candidate, i));
  }

  /** A final usage-only chunk (choices: []), as OpenAI sends for stream_options.include_usage. */
  finish(): { chunks: ChatCompletionChunk[]; usage: Usage | undefined } {
    const usage = openaiUsageOf(this.#usage);
    if (!usage || !this.#usage) return { chunks: [], usage };
    const chunk: ChatCompletionChunk = { id: this.ctx.id, object: 'chat.completion.chunk', created: this.ctx.created, model: this.ctx.model, choices: [], usage: this.#usage };
    return { chunks: [chunk], usage };
  }
}

/** Text of a Gemini answer (all candidates; thoughts count, they are billed output). */
export function geminiResponseText(body: unknown): string {
  if (!isRecord(body) || !Array.isArray(body.candidates)) return '';
  let text = '';
  for (const candidate of body.candidates) {
    if (!isRecord(candidate) || !isRecord(candidate.content)) continue;
    const { text: answer, reasoning, toolCalls } = summarizeParts(candidate.content.parts);
    text += reasoning + answer + toolCalls.map((c) => c.function.name + c.function.arguments).join('');
  }
  return text;
}

export class GeminiStreamMeter implements NativeStreamMeter {
  #usage: OpenAIUsage | undefined;

  push(event: SseEvent): NativeStreamEvent {
    const parsed = parseData(event);
    const error = geminiErrorInfo(200, parsed);
    if (error) return { delta: '', ended: false, closing: false, error, usageOnly: false };
    if (!isRecord(parsed)) return PLAIN_EVENT;
    const response = parsed as GeminiResponse;
    this.#usage = openaiUsageFromGemini(response.usageMetadata) ?? this.#usage;
    const delta = geminiResponseText(response);
    // The last event of each candidate carries its finishReason (and often the last text): it is sent as it comes.
    const ended = Array.isArray(response.candidates) && response.candidates.some((c) => isRecord(c) && c.finishReason !== undefined);
    return delta === '' && !ended ? PLAIN_EVENT : { delta, ended, closing: false, usageOnly: false };
  }

  usage(): Usage | undefined {
    return openaiUsageOf(this.#usage);
  }
}
