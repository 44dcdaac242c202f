// A streamed answer in a chat. On platforms that can edit, a placeholder is sent at once and edited as the answer
// grows, at most once per transport.minEditIntervalMs; when a message is full (transport.maxMessageLength) the answer
// continues in a new one. Platforms that cannot edit get the answer in full-size parts as each part completes.
// The text shown is tracked per message so an edit never repeats the current text (Telegram refuses those).
import type { BotLogger } from './errors.js';
import type { ChatTransport, SentMessage } from './types.js';


/**
 * Cuts text into messages of at most `max` characters, preferring a line break, then a space, in the last quarter of
 * each message. The cut of a full message depends only on its own characters, so parts already sent never change
 * as more text streams in.
 */
export function splitMessage(text: string, max: number): string[] {
  const parts: string[] = [];
  let start = 0;
  while (text.length - start > max) {
    const window = text.slice(start, start + max);
    const floor = Math.floor(max * 0.75);
    let cut = window.lastIndexOf('\n') + 1;
    if (cut <= floor) cut = window.lastIndexOf(' ') + 1;
    if (cut <= floor) cut = max;
    // Never cut a surrogate pair in half (an emoji would turn into two broken characters).
    const code = window.charCodeAt(cut - 1);
    if (cut === max && code >= 0xd800 && code <= 0xdbff) cut -= 1;
    parts.push(window.slice(0, cut));
    start += cut;
  }
  parts.push(text.slice(start));
  return parts;
}

interface Shown {
  message: SentMessage;
  text: string;
}

export interface StreamOptions {
  log: BotLogger;
  /** Shown while the answer is coming ("…"), and when it came empty ("(no answer)"), in the user's language. */
  placeholder: string;
  empty: string;
  /** In a group: the question the answer's first message quotes. */
  replyTo?: string;
  /** Overrides transport.minEditIntervalMs. */
  minIntervalMs?: number;
}

export class StreamedReply {
  readonly #transport: ChatTransport;
  readonly #chatId: string;
  readonly #log: BotLogger;
  readonly #interval: number;
  readonly #placeholder: string;
  readonly #empty: string;
  readonly #replyTo: string | undefined;
  #text = '';
  readonly #shown: Shown[] = [];
  #lastFlushAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #dirty = false;
  #finished = false;

  constructor(transport: ChatTransport, chatId: string, opts: StreamOptions) {
    this.#transport = transport;
    this.#chatId = chatId;
    this.#log = opts.log;
    this.#interval = opts.minIntervalMs ?? transport.minEditIntervalMs;
    this.#placeholder = opts.placeholder;
    this.#empty = opts.empty;
    this.#replyTo = opts.replyTo;
  }

  /** Sends the placeholder (edit-capable platforms), so the user sees at once that an answer is coming. */
  async start(): Promise<void> {
    if (!this.#transport.canEdit) return;
    const message = await this.#transport.send(this.#chatId, { text: this.#placeholder, replyTo: this.#replyTo });
    this.#shown.push({ message, text: this.#placeholder });
    this.#lastFlushAt = Date.now();
  }

  get text(): string {
    return this.#text;
  }

  /** The messages this answer occupies so far. */
  get messages(): SentMessage[] {
    return this.#shown.map((s) => s.message);
  }

  push(delta: string): void {
    if (this.#finished || !delta) return;
    this.#text += delta;
    this.#dirty = true;
    this.#schedule();
  }

  /**
   * Shows the complete answer. `note` (an error after a partial answer, say) is appended on its own line; with no
   * text at all, the note replaces the placeholder.
   */
  async finish(note?: string): Promise<SentMessage[]> {
    this.#finished = true;
    if (note) this.#text = this.#text.trim() ? `${this.#text.trimEnd()}\n\n${note}` : note;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#flushing;
    const wait = this.#lastFlushAt + this.#interval - Date.now();
    if (wait > 0 && this.#shown.length > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    await this.#flush(true);
    return this.messages;
  }

  #schedule(): void {
    if (this.#timer || this.#flushing || this.#finished) return;
    const delay = Math.max(0, this.#lastFlushAt + this.#interval - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#finished) return;
      this.#flushing = this.#flush(false)
        .catch((err: unknown) => this.#log.warn({ err }, 'stream update failed; the next update retries'))
        .finally(() => {
          this.#flushing = undefined;
          if (this.#dirty && !this.#finished) this.#schedule();
        });
    }, delay);
  }

  async #flush(final: boolean): Promise<void> {
    this.#dirty = false;
    const parts = splitMessage(this.#text, this.#transport.maxMessageLength);
    const canEdit = this.#transport.canEdit;
    for (let i = 0; i < parts.length; i++) {
      const last = i === parts.length - 1;
      // Without edit, a part is sent only once it can no longer grow.
      if (!canEdit && last && !final) break;
      const text = parts[i]!.trimEnd() || (final ? this.#empty : this.#placeholder);
      const shown = this.#shown[i];
      if (!shown) {
        const message = await this.#transport.send(this.#chatId, { text, replyTo: i === 0 ? this.#replyTo : undefined });
        this.#shown.push({ message, text });
      } else if (canEdit && shown.text !== text) {
        await this.#transport.edit(shown.message, text);
        shown.text = text;
      }
    }
    this.#lastFlushAt = Date.now();
  }
}
