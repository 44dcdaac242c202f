// Messages a koishi bot sends on its own (admin alerts, low-balance warnings) rather than as an answer. Only OneBot
// can: the official QQ API allows passive replies and a few rationed active messages, so QQ registers none.
import type { ChatTransport, Platform, Reply, SentMessage } from '../core/types.js';
import { koishi, type KoishiContext } from './koishi.js';

type KoishiBot = KoishiContext['bots'][number];

export class NoticeTransport implements ChatTransport {
  readonly canEdit = false;
  readonly buttons = 'numbered';
  readonly minEditIntervalMs = 0;

  constructor(
    readonly platform: Platform,
    readonly maxMessageLength: number,
    /** The platform's bot, looked up when needed: it is replaced when the adapter reconnects. */
    readonly findBot: () => KoishiBot | undefined,
  ) {}

  async send(chatId: string, reply: Reply): Promise<SentMessage> {
    const ids = await this.#bot().sendMessage(chatId, koishi.h.text(reply.text));
    return { chatId, messageId: ids[0] ?? '' };
  }

  async edit(): Promise<void> {
    throw new Error(`${this.platform} messages cannot be edited`);
  }

  async sendToUser(platformUserId: string, reply: Reply): Promise<SentMessage> {
    const ids = await this.#bot().sendPrivateMessage(platformUserId, koishi.h.text(reply.text));
    return { chatId: `private:${platformUserId}`, messageId: ids[0] ?? '' };
  }

  #bot(): KoishiBot {
    const bot = this.findBot();
    if (!bot) throw new Error(`the ${this.platform} bot is not connected`);
    return bot;
  }
}
