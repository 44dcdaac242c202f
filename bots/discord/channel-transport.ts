// Plain channel messages over Discord's REST API: the answers in a DM conversation or to an @-mention in a server
// channel, and private messages to a user outside any conversation (admin alerts, low-balance warnings), which first
// open (or reuse) the DM channel.
// discord.js's REST client queues per route and waits out 429s, so no retry logic lives here.
import { Routes, type REST } from 'discord.js';
import type { Button, ChatTransport, Reply, SentMessage } from '../core/types.js';
import { DISCORD_MAX_BUTTON_DATA, DISCORD_MAX_MESSAGE_LENGTH, editBody, messageBody } from './payload.js';

export class ChannelTransport implements ChatTransport {
  readonly platform = 'discord';
  readonly maxMessageLength = DISCORD_MAX_MESSAGE_LENGTH;
  readonly canEdit = true;
  readonly buttons = 'native';
  readonly maxButtonData = DISCORD_MAX_BUTTON_DATA;
  readonly #rest: REST;
  readonly #dmChannels = new Map<string, string>();

  constructor(
    rest: REST,
    readonly minEditIntervalMs: number,
  ) {
    this.#rest = rest;
  }

  async send(chatId: string, reply: Reply): Promise<SentMessage> {
    const created = await this.#rest.post(Routes.channelMessages(chatId), { body: messageBody(reply) });
    return { chatId, messageId: idOf(created, 'message') };
  }

  async edit(message: SentMessage, text: string, buttons?: Button[][]): Promise<void> {
    await this.#rest.patch(Routes.channelMessage(message.chatId, message.messageId), { body: editBody(text, buttons) });
  }

  async sendToUser(platformUserId: string, reply: Reply): Promise<SentMessage> {
    return this.send(await this.#dmChannel(platformUserId), reply);
  }

  /** Discord returns the existing DM channel when there is one, so the id is stable and worth keeping. */
  async #dmChannel(userId: string): Promise<string> {
    const known = this.#dmChannels.get(userId);
    if (known) return known;
    const channel = await this.#rest.post(Routes.userChannels(), { body: { recipient_id: userId } });
    const id = idOf(channel, 'DM channel');
    this.#dmChannels.set(userId, id);
    return id;
  }
}

function idOf(value: unknown, what: string): string {
  if (typeof value === 'object' && value !== null && 'id' in value && typeof value.id === 'string') return value.id;
  throw new Error(`Discord answered without a ${what} id`);
}
