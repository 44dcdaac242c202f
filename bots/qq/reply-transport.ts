// Answers to one incoming QQ / OneBot message. Neither platform can edit a message, so the core sends a streamed
// answer in full-size parts. QQ's official API adds passive-reply rules: every reply names the incoming msg_id with a
// fresh, rising msg_seq (koishi's QQ encoder does that from the session), and one message gets at most 5 replies.
// Parts beyond the budget are held back; when the core is done, finish() joins them into the last reply, cut to size
// with a note that the answer was shortened.
import type { ChatTransport, Platform, Reply, SentMessage } from '../core/types.js';

export interface ReplyPolicy {
  platform: Platform;
  maxMessageLength: number;
  /** Replies allowed per incoming message (QQ: 5); Infinity for none. */
  maxReplies: number;
  /** Pause between two replies (QQ accounts behind OneBot get rate-limited for bursts). */
  partIntervalMs: number;
}

/** Sends one plain-text message in the conversation; resolves to the platform's message id when it gives one. */
export type SendText = (text: string) => Promise<string | undefined>;

export const QQ_MAX_REPLIES = 5;
export const QQ_MAX_MESSAGE_LENGTH = 2000;
export const SHORTENED_NOTE = '…(answer shortened: QQ allows only 5 replies to one message)';

export class ReplyTransport implements ChatTransport {
  readonly platform: Platform;
  readonly maxMessageLength: number;
  readonly canEdit = false;
  readonly minEditIntervalMs = 0;
  readonly sendToUser?: (platformUserId: string, reply: Reply) => Promise<SentMessage>;
  readonly #send: SendText;
  readonly #policy: ReplyPolicy;
  readonly #held: string[] = [];
  #sent = 0;
  #lastSentAt = 0;

  constructor(send: SendText, policy: ReplyPolicy, sendToUser?: (platformUserId: string, reply: Reply) => Promise<SentMessage>) {
    this.#send = send;
    this.#policy = policy;
    this.platform = policy.platform;
    this.maxMessageLength = policy.maxMessageLength;
    if (sendToUser) this.sendToUser = sendToUser;
  }

  /** Replies sent so far (held ones not included). */
  get sent(): number {
    return this.#sent;
  }

  async send(chatId: string, reply: Reply): Promise<SentMessage> {
    const text = plainText(reply);
    // The last reply of the budget is kept for whatever is still to come.
    if (this.#sent + 1 >= this.#policy.maxReplies) {
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
    if (this.#held.length === 0) return;
    const parts = this.#held.splice(0);
    await this.#deliver(joinWithinLimit(parts, this.maxMessageLength));
  }

  async #deliver(text: string): Promise<string> {
    const wait = this.#lastSentAt + this.#policy.partIntervalMs - Date.now();
    if (this.#sent > 0 && wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    this.#sent += 1;
    const id = await this.#send(text);
    this.#lastSentAt = Date.now();
    return id ?? `sent-${this.#sent}`;
  }
}

/** The parts as one message; when too long, cut (never inside a surrogate pair) and followed by the note. */
export function joinWithinLimit(parts: string[], max: number): string {
  const joined = parts.join('\n');
  if (joined.length <= max) return joined;
  let keep = max - SHORTENED_NOTE.length - 1;
  const code = joined.charCodeAt(keep - 1);
  if (code >= 0xd800 && code <= 0xdbff) keep -= 1;
  return `${joined.slice(0, keep).trimEnd()}\n${SHORTENED_NOTE}`;
}

/** No buttons on these platforms (QQ's need an approved markdown template): the choices become commands to send. */
export function plainText(reply: Reply): string {
  const choices = (reply.buttons ?? []).flat().map((b) => `• ${b.label}: send ${b.data}`);
  return choices.length ? `${reply.text}\n\n${choices.join('\n')}` : reply.text;
}
