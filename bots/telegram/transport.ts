// The Telegram ChatTransport: plain-text messages (no parse mode, so model output can never break the markup),
// inline keyboards for buttons, edits that tolerate Telegram's "message is not modified". Rate limits are handled by
// the auto-retry transformer installed on the bot's API, not here.
import { GrammyError, type Api } from 'grammy';
import type { InlineKeyboardMarkup } from 'grammy/types';
import type { ChatTransport, Reply, SentMessage } from '../core/types.js';

export const TELEGRAM_MAX_MESSAGE_LENGTH = 4096;
/** Telegram allows about one message per second per chat. */
export const TELEGRAM_EDIT_INTERVAL_MS = 1000;

/** Telegram ids are integers (negative for groups); keep them numbers on the wire. */
export function chatIdOf(id: string): number | string {
  return /^-?\d+$/.test(id) ? Number(id) : id;
}

function keyboard(reply: Reply): InlineKeyboardMarkup | undefined {
  if (!reply.buttons?.length) return undefined;
  return { inline_keyboard: reply.buttons.map((row) => row.map((b) => ({ text: b.label, callback_data: b.data }))) };
}

export function isNotModified(err: unknown): boolean {
  return err instanceof GrammyError && err.error_code === 400 && /message is not modified/i.test(err.description);
}

export interface TelegramTransportOptions {
  editIntervalMs?: number;
  /** Read lazily: the name is known only after getMe. */
  botUsername: () => string | undefined;
}

export function createTelegramTransport(api: Api, opts: TelegramTransportOptions): ChatTransport {
  const send = async (chatId: string, reply: Reply): Promise<SentMessage> => {
    const message = await api.sendMessage(chatIdOf(chatId), reply.text, {
      reply_markup: keyboard(reply),
      link_preview_options: { is_disabled: true },
    });
    return { chatId, messageId: String(message.message_id) };
  };
  return {
    platform: 'telegram',
    maxMessageLength: TELEGRAM_MAX_MESSAGE_LENGTH,
    canEdit: true,
    minEditIntervalMs: opts.editIntervalMs ?? TELEGRAM_EDIT_INTERVAL_MS,
    get botUsername() {
      return opts.botUsername();
    },
    send,
    async edit(message, text) {
      try {
        await api.editMessageText(chatIdOf(message.chatId), Number(message.messageId), text, {
          link_preview_options: { is_disabled: true },
        });
      } catch (err) {
        // The core never repeats a text, but a retried edit that did land the first time would: that is success.
        if (!isNotModified(err)) throw err;
      }
    },
    // A user's private chat with the bot has the user's id (works once they have started the bot).
    sendToUser: (platformUserId, reply) => send(platformUserId, reply),
    async sendInvoice(chatId, invoice) {
      // Stars (XTR) need no payment provider: the token is empty.
      const message = await api.sendInvoice(chatIdOf(chatId), invoice.title, invoice.description, invoice.payload, invoice.currency, [
        { label: invoice.title, amount: invoice.amount },
      ], { provider_token: '' });
      return { chatId, messageId: String(message.message_id) };
    },
  };
}
