// The per-message context handlers see: who wrote, where, what, in which language, and how to answer. Small on
// purpose; platform helpers live in each adapter. The relay account is looked up lazily (once) because most group
// chatter needs none.
import type { BotBackend, BotUser, ChatKey } from './backend.js';
import { fitButtons, numberChoices, ownButton } from './buttons.js';
import { splitMessage } from './chat-stream.js';
import type { ParsedCommand } from './commands.js';
import type { BotLogger } from './errors.js';
import { messages, type Lang, type Messages } from './i18n/index.js';
import type { Button, ChatTransport, IncomingMessage, Reply, SentMessage } from './types.js';

export class BotContext {
  readonly command: ParsedCommand | null;
  readonly t: Messages;
  #user: BotUser | null | undefined;
  /** A button press answers by editing the message the button was on (once). */
  #pressedMessage: SentMessage | undefined;

  constructor(
    readonly message: IncomingMessage,
    readonly transport: ChatTransport,
    readonly backend: BotBackend,
    readonly log: BotLogger,
    command: ParsedCommand | null,
    readonly lang: Lang,
  ) {
    this.command = command;
    this.t = messages(lang);
    if (message.pressed && transport.canEdit) this.#pressedMessage = { chatId: message.chatId, messageId: message.pressed.messageId };
  }

  get text(): string {
    return this.message.text;
  }

  get chat(): { id: string; isPrivate: boolean } {
    return { id: this.message.chatId, isPrivate: this.message.isPrivate };
  }

  /** This user in this chat, for the state a chat keeps. */
  get chatKey(): ChatKey {
    return { platform: this.message.platform, chatId: this.message.chatId, platformUserId: this.message.userId };
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
   * Answers in this chat; text longer than the platform allows goes out in several messages (buttons on the last). In a
   * group the answer quotes the message it answers. A sensitive reply (a key, a code) outside a private chat is a bug
   * in a handler: it is refused here, whatever the handler did, so a secret can never reach a group.
   */
  async reply(reply: Reply | string): Promise<SentMessage> {
    const r: Reply = typeof reply === 'string' ? { text: reply } : { ...reply };
    if (r.sensitive && !this.message.isPrivate) {
      throw new Error('refused to send a sensitive reply outside a private chat');
    }
    if (!this.message.isPrivate && !this.message.pressed && this.message.messageId) r.replyTo ??= this.message.messageId;
    const { text, buttons } = await this.#placeButtons(r);
    const parts = splitMessage(text, this.transport.maxMessageLength);
    let sent: SentMessage | undefined;
    for (let i = 0; i < parts.length; i++) {
      const last = i === parts.length - 1;
      const part: Reply = { ...r, text: parts[i]!, buttons: last ? buttons : undefined, replyTo: i === 0 ? r.replyTo : undefined };
      const pressed = this.#pressedMessage;
      if (i === 0 && pressed) {
        this.#pressedMessage = undefined;
        await this.transport.edit(pressed, part.text, part.buttons);
        sent = pressed;
      } else {
        sent = await this.transport.send(this.message.chatId, part);
      }
    }
    return sent!;
  }

  /**
   * Native buttons are tagged with their owner and must fit the platform's data limit (the rest are spelled out as
   * commands); without native buttons the choices are numbered and remembered for this user in this chat.
   */
  async #placeButtons(r: Reply): Promise<{ text: string; buttons: Button[][] | undefined }> {
    if (!r.buttons?.length) return { text: r.text, buttons: undefined };
    if (this.transport.buttons === 'numbered') {
      const { lines, commands } = numberChoices(r.buttons);
      await this.backend.setChoices(this.chatKey, commands);
      return { text: `${r.text}\n\n${lines.join('\n')}\n${this.t.buttons.numbered}`, buttons: undefined };
    }
    const owner = this.message.userId;
    const { rows, spelledOut } = fitButtons(r.buttons, this.transport.maxButtonData ?? Infinity, (b) => ownButton(b, owner));
    const extra = spelledOut.map((b) => this.t.buttons.spelledOut(b.label, b.data));
    return { text: extra.length ? `${r.text}\n\n${extra.join('\n')}` : r.text, buttons: rows.length ? rows : undefined };
  }
}
