// OpenAI-family streams: each `data:` is one chat.completion.chunk, `[DONE]` ends the stream. Chunks pass through
// unchanged except the model name (the client sees the name it asked for, not the channel's mapped one).
import type {
  ChatCompletionChunk,
  ChatStreamTranslator,
  NativeStreamEvent,
  NativeStreamMeter,
  OpenAIUsage,
  SseEvent,
  StreamContext,
  UpstreamErrorInfo,
  Usage,
} from '../types.js';
import { PLAIN_EVENT, UpstreamStreamError } from '../types.js';
import { errorFieldsOf, infoOf } from './errors.js';
import { isRecord, tryParseJson, withFields } from '../json.js';
import { choicesText } from './text.js';
import { openaiUsageOf, usageFieldOf } from './usage.js';

const DONE = '[DONE]';

/** One event's data as an object; undefined for [DONE], keep-alives and data that does not parse. */
function parseData(event: SseEvent): Record<string, unknown> | undefined {
  const data = event.data.trim();
  if (data === '' || data === DONE) return undefined;
  const parsed = tryParseJson(data);
  return isRecord(parsed) ? parsed : undefined;
}

/** An in-stream error object (some providers send `data: {"error":{...}}` after a 200). */
function streamErrorOf(chunk: Record<string, unknown>): UpstreamErrorInfo | undefined {
  if (chunk.error === undefined || Array.isArray(chunk.choices)) return undefined;
  const fields = errorFieldsOf(chunk);
  return fields ? infoOf(200, fields) : undefined;
}

/**
 * Azure sends content-filter bookkeeping as extra chunks with no choices (`prompt_filter_results`): clients expecting
 * OpenAI's stream can choke on them. A usage-only chunk also has no choices, so only filter-only chunks are dropped.
 */
function isFilterOnlyChunk(chunk: Record<string, unknown>): boolean {
  return (
    chunk.prompt_filter_results !== undefined &&
    Array.isArray(chunk.choices) &&
    chunk.choices.length === 0 &&
    !isRecord(chunk.usage)
  );
}

export class OpenAIChatStream implements ChatStreamTranslator {
  #done = false;
  #usage: OpenAIUsage | undefined;

  constructor(private readonly ctx: StreamContext) {}

  push(event: SseEvent): ChatCompletionChunk[] {
    if (this.#done) return [];
    if (event.data.trim() === DONE) {
      this.#done = true;
      return [];
    }
    const chunk = parseData(event);
    const error = chunk && streamErrorOf(chunk);
    if (error) throw new UpstreamStreamError(error);
    if (!chunk || !Array.isArray(chunk.choices)) return [];
    if (isFilterOnlyChunk(chunk)) return [];
    this.#usage = usageFieldOf(chunk) ?? this.#usage;
    return [
      withFields(chunk, {
        id: typeof chunk.id === 'string' && chunk.id ? chunk.id : this.ctx.id,
        object: 'chat.completion.chunk',
        created: typeof chunk.created === 'number' && chunk.created > 0 ? chunk.created : this.ctx.created,
        model: this.ctx.model,
      }) as unknown as ChatCompletionChunk,
    ];
  }

  finish(): { chunks: ChatCompletionChunk[]; usage: Usage | undefined } {
    return { chunks: [], usage: openaiUsageOf(this.#usage) };
  }
}

const DONE_EVENT: NativeStreamEvent = Object.freeze({ delta: '', ended: true, closing: true, usageOnly: false });

/** Meters a pass-through stream: chat chunks, or legacy completions chunks (`choices[].text`). */
export class OpenAIStreamMeter implements NativeStreamMeter {
  #usage: OpenAIUsage | undefined;

  push(event: SseEvent): NativeStreamEvent {
    if (event.data === DONE) return DONE_EVENT;
    const chunk = parseData(event);
    if (!chunk) return PLAIN_EVENT;
    const error = streamErrorOf(chunk);
    if (error) return { delta: '', ended: false, closing: false, error, usageOnly: false };
    const usage = usageFieldOf(chunk);
    this.#usage = usage ?? this.#usage;
    const usageOnly = usage !== undefined && Array.isArray(chunk.choices) && chunk.choices.length === 0;
    const delta = choicesText(chunk);
    return delta === '' && !usageOnly ? PLAIN_EVENT : { delta, ended: false, closing: false, usageOnly };
  }

  usage(): Usage | undefined {
    return openaiUsageOf(this.#usage);
  }
}
