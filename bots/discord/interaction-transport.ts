// Answers to one interaction (a slash command or a button press), already deferred. The first message the core sends
// fills the deferred reply ("@original"); later ones are follow-ups; edits go to whichever message they name. A
// sensitive reply (a key) is always ephemeral: if this interaction was deferred publicly, the original says so and
// the secret goes out as an ephemeral follow-up only the user can see.
import { MessageFlags, type RepliableInteraction } from 'discord.js';
import type { Button, ChatTransport, Lang, Reply, SentMessage } from '../core/index.js';
import { messages } from '../core/index.js';
import { DISCORD_MAX_BUTTON_DATA, DISCORD_MAX_MESSAGE_LENGTH, editBody, messageBody, type DiscordMessageBody } from './payload.js';

/** The id the core gets for the deferred reply; Discord addresses it the same way. */
export const ORIGINAL = '@original';

export interface InteractionTransportOptions {
  /** The interaction was deferred ephemerally (every message of this answer is then ephemeral). */
  ephemeral: boolean;
  /** Deferred as an update of the message a button sits on (type 6): "@original" is that message. */
  updatesMessage: boolean;
  minEditIntervalMs: number;
  /** Private messages outside this interaction (low-balance warnings). */
  sendToUser?: (platformUserId: string, reply: Reply) => Promise<SentMessage>;
}

export class InteractionTransport implements ChatTransport {
  readonly platform = 'discord';
  readonly maxMessageLength = DISCORD_MAX_MESSAGE_LENGTH;
  readonly canEdit = true;
  readonly buttons = 'native';
  readonly maxButtonData = DISCORD_MAX_BUTTON_DATA;
  readonly minEditIntervalMs: number;
  readonly sendToUser?: (platformUserId: string, reply: Reply) => Promise<SentMessage>;
  readonly #interaction: RepliableInteraction;
  readonly #ephemeral: boolean;
  readonly #updatesMessage: boolean;
  #originalFilled = false;
  #lang: Lang = 'en';

  constructor(interaction: RepliableInteraction, options: InteractionTransportOptions) {
    this.#interaction = interaction;
    this.#ephemeral = options.ephemeral;
    this.#updatesMessage = options.updatesMessage;
    this.minEditIntervalMs = options.minEditIntervalMs;
    if (options.sendToUser) this.sendToUser = options.sendToUser;
  }

  useLanguage(lang: Lang): void {
    this.#lang = lang;
  }

  async send(chatId: string, reply: Reply): Promise<SentMessage> {
    // An interaction's messages already answer it: no quote.
    const body = messageBody({ ...reply, replyTo: undefined });
    if (!this.#originalFilled) {
      this.#originalFilled = true;
      if (reply.sensitive && !this.#ephemeral) {
        await this.#interaction.editReply(toOptions(editBody(messages(this.#lang).sentPrivately)));
        return { chatId, messageId: await this.#followUp(body, true) };
      }
      await this.#interaction.editReply(toOptions(body));
      return { chatId, messageId: ORIGINAL };
    }
    return { chatId, messageId: await this.#followUp(body, this.#ephemeral || reply.sensitive === true) };
  }

  async edit(message: SentMessage, text: string, buttons?: Button[][]): Promise<void> {
    await this.#interaction.editReply({ ...toOptions(editBody(text, buttons)), message: message.messageId });
  }

  /**
   * Clears "thinking…" when the core chose not to answer (a command meant for another bot, say). A button's message
   * is left as it is: deleting "@original" there would delete the message the user pressed.
   */
  async dismiss(): Promise<void> {
    if (!this.#originalFilled && !this.#updatesMessage && this.#interaction.deferred) await this.#interaction.deleteReply();
  }

  async #followUp(body: DiscordMessageBody, ephemeral: boolean): Promise<string> {
    const message = await this.#interaction.followUp({
      ...toOptions(body),
      ...(ephemeral ? { flags: MessageFlags.Ephemeral as const } : {}),
    });
    return message.id;
  }
}

/** discord.js spells the body's fields in camelCase. */
function toOptions(body: DiscordMessageBody) {
  return { content: body.content, components: body.components, allowedMentions: { parse: [] } };
}
