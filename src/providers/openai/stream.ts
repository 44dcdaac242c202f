// OpenAI-family streams: each `data:` is one chat.completion.chunk, `[DONE]` ends the stream. Chunks pass through
// unchanged except the model name (the client sees the name it asked for, not the channel's mapped one).
import type {
  ChatCompletionChunk,
  ChatStreamTranslator,
  NativeStreamMeter,
  OpenAIUsage,
  SseEvent,
  StreamContext,
  Usage,
} from '../types.js';
import { UpstreamStreamError } from '../types.js';
import { errorFieldsOf, infoOf } from './errors.js';
import { isRecord, tryParseJson } from './json.js';
import { choicesText } from './text.js';
import { openaiUsageOf, usageFieldOf } from './usage.js';

const DONE = '[DONE]';

/**
 * Parses one event's data. Returns undefined for [DONE], keep-alives and unparseable data; throws UpstreamStreamError
 * for an in-stream error object (some providers send `data: {"error":{...}}` after a 200).
 */
function parseChunk(event: SseEvent): Record<string, unknown> | undefined {
  const data = event.data.trim();
  if (data === '' || data === DONE) return undefined;
  const parsed = tryParseJson(data);
  if (!isRecord(parsed)) return undefined;
  if (parsed.error !== undefined && !Array.isArray(parsed.choices)) {
    const fields = errorFieldsOf(parsed);
    if (fields) throw new UpstreamStreamError(infoOf(200, fields));
  }
  return parsed;
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
    const chunk = parseChunk(event);
    if (!chunk || !Array.isArray(chunk.choices)) return [];
    if (isFilterOnlyChunk(chunk)) return [];
    this.#usage = usageFieldOf(chunk) ?? this.#usage;
    return [
      {
        ...chunk,
        id: typeof chunk.id === 'string' && chunk.id ? chunk.id : this.ctx.id,
        object: 'chat.completion.chunk',
        created: typeof chunk.created === 'number' && chunk.created > 0 ? chunk.created : this.ctx.created,
        model: this.ctx.model,
      } as ChatCompletionChunk,
    ];
  }

  finish(): { chunks: ChatCompletionChunk[]; usage: Usage | undefined } {
    return { chunks: [], usage: openaiUsageOf(this.#usage) };
  }
}

/** Meters a pass-through stream: chat chunks, or legacy completions chunks (`choices[].text`). */
export class OpenAIStreamMeter implements NativeStreamMeter {
  #text = '';
  #usage: OpenAIUsage | undefined;

  push(event: SseEvent): string {
    let chunk: Record<string, unknown> | undefined;
    try {
      chunk = parseChunk(event);
    } catch {
      return ''; // the bytes go to the client as they are; the meter only counts
    }
    if (!chunk) return '';
    const delta = choicesText(chunk);
    this.#text += delta;
    this.#usage = usageFieldOf(chunk) ?? this.#usage;
    return delta;
  }

  usage(): Usage | undefined {
    return openaiUsageOf(this.#usage);
  }

  text(): string {
    return this.#text;
  }
}
