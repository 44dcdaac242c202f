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

/** The most text of unread events a meter keeps before it reads them (and lets their strings go). */
export const UNREAD_MAX_CHARS = 64 * 1024;

const CHOICES_ARRAY = /"choices"\s*:\s*\[/;
const USAGE_KEY = /"usage"\s*:\s*(.)/g;

/**
 * Whether an event's data can be left unread for now: a chunk with a choices array (so not an error object, see
 * streamErrorOf), no "error" anywhere, and no usage report (OpenAI sends `"usage": null` in every chunk of a stream
 * that asked for usage; null is no report). Anything else is read at once.
 */
export function canDefer(data: string): boolean {
  if (data.includes('"error"') || !CHOICES_ARRAY.test(data)) return false;
  USAGE_KEY.lastIndex = 0;
  for (let m = USAGE_KEY.exec(data); m; m = USAGE_KEY.exec(data)) if (m[1] !== 'n') return false;
  return true;
}

/**
 * Meters a pass-through stream: chat chunks, or legacy completions chunks (`choices[].text`).
 *
 * Most events of a stream are text deltas that go to the client unchanged; their text matters only when billing counts
 * it (readsGeneratedText in billed-usage.ts: no usage report, one without completion or prompt tokens, or a stream
 * that stopped part-way), which is known only at the end. So they are kept unread (JSON.parse of each event was ~4% of a stream's CPU, more for long answers) and
 * read when their text is asked for (`unreadText`), when an event with text of its own comes after them (its delta
 * carries theirs first, so the text stays in order), or once they hold UNREAD_MAX_CHARS.
 */
export class OpenAIStreamMeter implements NativeStreamMeter {
  #usage: OpenAIUsage | undefined;
  #unread: string[] = [];
  #unreadChars = 0;

  push(event: SseEvent): NativeStreamEvent {
    if (event.data === DONE) return DONE_EVENT;
    if (canDefer(event.data)) {
      this.#unread.push(event.data);
      this.#unreadChars += event.data.length;
      if (this.#unreadChars < UNREAD_MAX_CHARS) return PLAIN_EVENT;
      const delta = this.unreadText();
      return delta === '' ? PLAIN_EVENT : { delta, ended: false, closing: false, usageOnly: false };
    }
    const chunk = parseData(event);
    if (!chunk) return PLAIN_EVENT;
    const error = streamErrorOf(chunk);
    if (error) return { delta: '', ended: false, closing: false, error, usageOnly: false }; // earlier text: unreadText()
    const usage = usageFieldOf(chunk);
    this.#usage = usage ?? this.#usage;
    const usageOnly = usage !== undefined && Array.isArray(chunk.choices) && chunk.choices.length === 0;
    const own = choicesText(chunk);
    const delta = own === '' ? '' : this.unreadText() + own;
    return delta === '' && !usageOnly ? PLAIN_EVENT : { delta, ended: false, closing: false, usageOnly };
  }

  unreadText(): string {
    if (this.#unread.length === 0) return '';
    let text = '';
    for (const data of this.#unread) {
      const chunk = tryParseJson(data);
      if (isRecord(chunk)) text += choicesText(chunk);
    }
    this.#unread = [];
    this.#unreadChars = 0;
    return text;
  }

  usage(): Usage | undefined {
    return openaiUsageOf(this.#usage);
  }
}
