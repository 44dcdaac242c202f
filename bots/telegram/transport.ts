// The Telegram ChatTransport: plain-text messages (no parse mode, so model output can never break the markup),
// inline keyboards for buttons, edits that tolerate Telegram's "message is not modified", answers in the forum topic
// the question was asked in, and group answers quoting the question. Rate limits are handled by the auto-retry
// transformer installed on the bot's API, not here.
import { GrammyError, type Api } from 'grammy';
import type { InlineKeyboardMarkup } from 'grammy/types';
import type { Button, ChatTransport, Reply, SentMessage } from '../core/types.js';

export const TELEGRAM_MAX_MESSAGE_LENGTH = 4096;
/** Telegram allows about one message per second per chat. */
export const TELEGRAM_EDIT_INTERVAL_MS = 1000;
/** callback_data is 1–64 bytes. */
export const TELEGRAM_MAX_BUTTON_DATA = 64;

/**
 * The core's chat id for a Telegram chat: the chat's id, and for a message in a forum topic, the topic too
 * ("-1001234:42"), so the answer goes to that topic and each topic keeps its own conversation.
 */
export function coreChatId(chatId: number, topicId?: number): string {
  return topicId === undefined ? String(chatId) : `${chatId}:${topicId}`;
}

/** The core's chat id → where Telegram sends: chat_id (a number; negative for groups) and the forum topic, if any. */
export function target(id: string): { chat_id: number | string; message_thread_id?: number } {
  const match = /^(-?\d+)(?::(\d+))?$/.exec(id);
  if (!match) return { chat_id: id };
  return match[2] === undefined ? { chat_id: Number(match[1]) } : { chat_id: Number(match[1]), message_thread_id: Number(match[2]) };
}

function keyboard(buttons: Button[][] | undefined): InlineKeyboardMarkup | undefined {
  if (!buttons?.length) return undefined;
  return { inline_keyboard: buttons.map((row) => row.map((b) => ({ text: b.label, callback_data: b.data }))) };
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
    const { chat_id, message_thread_id } = target(chatId);
    const message = await api.sendMessage(chat_id, reply.text, {
      ...(message_thread_id === undefined ? {} : { message_thread_id }),
      ...(reply.replyTo ? { reply_parameters: { message_id: Number(reply.replyTo), allow_sending_without_reply: true } } : {}),
      reply_markup: keyboard(reply.buttons),
      link_preview_options: { is_disabled: true },
    });
    return { chatId, messageId: String(message.message_id) };
  };
  return {
    platform: 'telegram',
    maxMessageLength: TELEGRAM_MAX_MESSAGE_LENGTH,
    canEdit: true,
    buttons: 'native',
    maxButtonData: TELEGRAM_MAX_BUTTON_DATA,
    minEditIntervalMs: opts.editIntervalMs ?? TELEGRAM_EDIT_INTERVAL_MS,
    get botUsername() {
      return opts.botUsername();
    },
    send,
    async edit(message, text, buttons) {
      try {
        await api.editMessageText(target(message.chatId).chat_id, Number(message.messageId), text, {
          // Without reply_markup Telegram keeps the old keyboard; an empty one removes it.
          reply_markup: keyboard(buttons) ?? { inline_keyboard: [] },
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
      const { chat_id, message_thread_id } = target(chatId);
      const message = await api.sendInvoice(chat_id, invoice.title, invoice.description, invoice.payload, invoice.currency, [
        { label: invoice.title, amount: invoice.amount },
      ], { provider_token: '', ...(message_thread_id === undefined ? {} : { message_thread_id }) });
      return { chatId, messageId: String(message.message_id) };
    },
  };
}
