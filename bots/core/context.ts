// The per-message context handlers see: who wrote, where, what, and how to answer. Small on purpose; platform
// helpers live in each adapter. The relay account is looked up lazily (once) because most group chatter needs none.
import type { BotBackend, BotUser } from './backend.js';
import { splitMessage } from './chat-stream.js';
import type { ParsedCommand } from './commands.js';
import type { BotLogger } from './errors.js';
import type { ChatTransport, IncomingMessage, Reply, SentMessage } from './types.js';

/** State shared by every message of one running core (chat mode per user in a group). */
export interface CoreState {
  /** Keys `${platform}:${chatId}:${userId}` of users whose plain group messages go to the model. */
  chatMode: Set<string>;
}

export class BotContext {
  readonly command: ParsedCommand | null;
  #user: BotUser | null | undefined;

  constructor(
    readonly message: IncomingMessage,
    readonly transport: ChatTransport,
    readonly backend: BotBackend,
    readonly log: BotLogger,
    readonly state: CoreState,
    command: ParsedCommand | null,
  ) {
    this.command = command;
  }

  get text(): string {
    return this.message.text;
  }

  get chat(): { id: string; isPrivate: boolean } {
    return { id: this.message.chatId, isPrivate: this.message.isPrivate };
  }

  /** Key for per-user, per-chat state. */
  get chatUserKey(): string {
    return `${this.message.platform}:${this.message.chatId}:${this.message.userId}`;
  }

  /** The linked relay account, or null when this chat identity is not linked. */
  async user(): Promise<BotUser | null> {
    if (this.#user === undefined) {
      this.#user = await this.backend.resolveLink(this.message.platform, this.message.userId);
    }
    return this.#user;
  }

  /** After /link or /register the identity has an account; later middleware sees it without another lookup. */
  setUser(user: BotUser): void {
    this.#user = user;
  }

  /**
   * Answers in this chat; text longer than the platform allows goes out in several messages (buttons on the last).
   * A sensitive reply (a key, a code) outside a private chat is a bug in a handler: it is refused here, whatever the
   * handler did, so a secret can never reach a group.
   */
  async reply(reply: Reply | string): Promise<SentMessage> {
    const r: Reply = typeof reply === 'string' ? { text: reply } : reply;
    if (r.sensitive && !this.message.isPrivate) {
      throw new Error('refused to send a sensitive reply outside a private chat');
    }
    const parts = splitMessage(r.text, this.transport.maxMessageLength);
    let sent: SentMessage | undefined;
    for (let i = 0; i < parts.length; i++) {
      const last = i === parts.length - 1;
      sent = await this.transport.send(this.message.chatId, last ? { ...r, text: parts[i]! } : { ...r, text: parts[i]!, buttons: undefined });
    }
    return sent!;
  }
}
