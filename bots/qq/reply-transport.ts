// Answers to one incoming QQ / OneBot message. Neither platform can edit a message or show buttons, so the core sends a
// streamed answer in full-size parts and numbers its choices. QQ's official API adds passive-reply rules: every reply
// names the incoming msg_id with a fresh, rising msg_seq (koishi's QQ encoder does that from the session), one message
// gets at most 5 replies, and only within 5 minutes of it:
//
//   - parts beyond the budget are held back; when the core is done, finish() joins them into the last reply, cut to
//     size with a note that the answer was shortened;
//   - an answer still coming when the window is about to close: one passive reply says so, and what comes after the
//     window goes out as an active message (QQ rations those and may refuse); what is refused is kept (`undelivered`)
//     and the bridge delivers it with the user's next message, so nothing of the answer is lost.
import type { Lang, Messages } from '../core/index.js';
import { messages } from '../core/index.js';
import type { ChatTransport, Platform, Reply, SentMessage } from '../core/types.js';

export interface ReplyPolicy {
  platform: Platform;
  maxMessageLength: number;
  /** Replies allowed per incoming message (QQ: 5); Infinity for none. */
  maxReplies: number;
  /** Pause between two replies (QQ accounts behind OneBot get rate-limited for bursts). */
  partIntervalMs: number;
  /** How long after the message passive replies are accepted (QQ: 5 minutes); undefined = no limit. */
  replyWindowMs?: number;
  /** Stop replying passively this long before the window closes (clocks differ; koishi itself stops 2 s before). */
  windowMarginMs?: number;
}

/** Sends one plain-text message in the conversation; resolves to the platform's message id, undefined when refused. */
export type SendText = (text: string) => Promise<string | undefined>;

export const QQ_MAX_REPLIES = 5;
export const QQ_MAX_MESSAGE_LENGTH = 2000;
export const QQ_REPLY_WINDOW_MS = 5 * 60 * 1000;
export const QQ_WINDOW_MARGIN_MS = 15_000;

export interface ReplyTransportOptions {
  /** Private messages outside this conversation, where the platform allows them. */
  sendToUser?: (platformUserId: string, reply: Reply) => Promise<SentMessage>;
  /** An active (unprompted) message in this conversation, for after the reply window. */
  active?: SendText;
  /** When the platform received the message being answered (the window counts from it). */
  receivedAt?: number;
}

export class ReplyTransport implements ChatTransport {
  readonly platform: Platform;
  readonly maxMessageLength: number;
  readonly canEdit = false;
  readonly buttons = 'numbered';
  readonly minEditIntervalMs = 0;
  readonly sendToUser?: (platformUserId: string, reply: Reply) => Promise<SentMessage>;
  readonly #send: SendText;
  readonly #active: SendText | undefined;
  readonly #policy: ReplyPolicy;
  readonly #held: string[] = [];
  readonly #undelivered: string[] = [];
  readonly #closesAt: number;
  readonly #timer: NodeJS.Timeout | undefined;
  #t: Messages = messages('zh');
  #sent = 0;
  #lastSentAt = 0;
  #finished = false;
  #warned = false;

  constructor(send: SendText, policy: ReplyPolicy, opts: ReplyTransportOptions = {}) {
    this.#send = send;
    this.#active = opts.active;
    this.#policy = policy;
    this.platform = policy.platform;
    this.maxMessageLength = policy.maxMessageLength;
    if (opts.sendToUser) this.sendToUser = opts.sendToUser;
    const window = policy.replyWindowMs;
    this.#closesAt = window === undefined ? Infinity : (opts.receivedAt ?? Date.now()) + window - (policy.windowMarginMs ?? QQ_WINDOW_MARGIN_MS);
    if (Number.isFinite(this.#closesAt)) {
      this.#timer = setTimeout(() => void this.#windowClosing(), Math.max(0, this.#closesAt - Date.now()));
      this.#timer.unref();
    }
  }

  useLanguage(lang: Lang): void {
    this.#t = messages(lang);
  }

  /** Replies sent so far (held ones not included). */
  get sent(): number {
    return this.#sent;
  }

  /** What could not be delivered (the window closed and an active message was refused), for the user's next message. */
  get undelivered(): string | null {
    return this.#undelivered.length ? this.#undelivered.join('\n') : null;
  }

  async send(chatId: string, reply: Reply): Promise<SentMessage> {
    const text = reply.text;
    // The last reply of the budget is kept for whatever is still to come.
    if (this.#windowOpen() && this.#sent + 1 >= this.#policy.maxReplies) {
      this.#held.push(text);
      return { chatId, messageId: `held-${this.#held.length}` };
    }
    return { chatId, messageId: await this.#deliver(text) };
  }

  async edit(): Promise<void> {
    throw new Error(`${this.platform} messages cannot be edited`);
  }

  /** Sends what was held back: joined into one last reply, shortened if it does not fit. Call when the core is done. */
  async finish(): Promise<void> {
    this.#finished = true;
    clearTimeout(this.#timer);
    if (this.#held.length === 0) return;
    const parts = this.#held.splice(0);
    await this.#deliver(joinWithinLimit(parts, this.maxMessageLength, this.#t.chat.shortened));
  }

  #windowOpen(): boolean {
    return Date.now() < this.#closesAt;
  }

  /** The window is about to close while the core is still answering: say what happens to the rest (once). */
  async #windowClosing(): Promise<void> {
    if (this.#finished || this.#warned || this.#sent >= this.#policy.maxReplies) return;
    this.#warned = true;
    // Held parts would otherwise wait for the window to be gone: they go first, in the last passive replies.
    const held = this.#held.splice(0);
    const note = this.#t.chat.windowClosing;
    await this.#passive(joinWithinLimit([...held, note], this.maxMessageLength, this.#t.chat.shortened)).catch(() => undefined);
  }

  async #deliver(text: string): Promise<string> {
    if (this.#windowOpen()) return this.#passive(text);
    // After the window: an active message, if the platform takes it; otherwise kept for the user's next message.
    const id = await (this.#active?.(text) ?? Promise.resolve(undefined)).catch(() => undefined);
    if (id === undefined) this.#undelivered.push(text);
    return id ?? `undelivered-${this.#undelivered.length}`;
  }

  async #passive(text: string): Promise<string> {
    const wait = this.#lastSentAt + this.#policy.partIntervalMs - Date.now();
    if (this.#sent > 0 && wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    this.#sent += 1;
    const id = await this.#send(text);
    this.#lastSentAt = Date.now();
    return id ?? `sent-${this.#sent}`;
  }
}

/** The parts as one message; when too long, cut (never inside a surrogate pair) and followed by the note. */
export function joinWithinLimit(parts: string[], max: number, note: string): string {
  const joined = parts.join('\n');
  if (joined.length <= max) return joined;
  let keep = max - note.length - 1;
  const code = joined.charCodeAt(keep - 1);
  if (code >= 0xd800 && code <= 0xdbff) keep -= 1;
  return `${joined.slice(0, keep).trimEnd()}\n${note}`;
}
