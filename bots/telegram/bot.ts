// The grammY bot: Telegram updates in, IncomingMessage to the core. Text messages, photos (with their caption as the
// question) and button presses go to the core; Stars payment updates to payments.ts; everything else is ignored. 429s
// (and 5xx) are retried by @grammyjs/auto-retry, an API transformer.
//
// Two ways updates arrive, with the same per-chat ordering and no chat blocking another:
//   long polling: @grammyjs/runner processes updates concurrently, `sequentialize` keeps each chat in order;
//   webhook:      the handler queues the work per chat (ChatQueue) and returns at once, so Telegram gets its 200
//                 before a long streamed answer finishes (webhookCallback would otherwise time out after 10 s).
//
// In groups the bot (in Telegram's privacy mode) sees commands, replies to its messages and messages that @-mention
// it: the last two are "addressed" and go to the model. A message in a forum topic is answered in that topic.
import { Bot, type Context } from 'grammy';
import type { Message, PhotoSize } from 'grammy/types';
import { autoRetry } from '@grammyjs/auto-retry';
import { sequentialize } from '@grammyjs/runner';
import { decodePress, messages, type BotCore, type BotLogger, type BotPayments, type ChatTransport, type ImageSource, type IncomingMessage } from '../core/index.js';
import { MAX_IMAGE_BYTES } from '../core/images.js';
import { ChatQueue } from './chat-queue.js';
import { installStarsPayments } from './payments.js';
import { coreChatId, createTelegramTransport } from './transport.js';

export type UpdateMode = 'polling' | 'webhook';

export interface TelegramBotOptions {
  token: string;
  /** Bot API root (TELEGRAM_API_ROOT): a local Bot API server, or a fake in tests. Default https://api.telegram.org. */
  apiRoot?: string;
  mode: UpdateMode;
  log: BotLogger;
  /** Minimum time between edits of a streamed answer; default 1000 ms (Telegram's pace per chat). */
  editIntervalMs?: number;
  /** Longest wait auto-retry honours for a 429's retry_after before giving up on that call. */
  maxRetryDelaySeconds?: number;
  /** Telegram Stars payments (pre-checkout, successful and refunded payments); none when absent. */
  payments?: BotPayments;
}

export interface TelegramBot {
  bot: Bot;
  transport: ChatTransport;
  /** Webhook mode: resolves when every queued chat task is done. */
  idle(): Promise<void>;
}

const DEFAULT_API_ROOT = 'https://api.telegram.org';
const DOWNLOAD_TIMEOUT_MS = 20_000;

/** The key that orders work: one chat's updates are handled one after another. */
export function chatKeyOf(ctx: Context): string | undefined {
  return ctx.chat?.id.toString();
}

/** The forum topic a message belongs to (only real topics: replies in ordinary groups also carry a thread id). */
function topicOf(message: Message | undefined): number | undefined {
  return message?.is_topic_message ? message.message_thread_id : undefined;
}

export function toIncoming(ctx: Context, text: string): IncomingMessage | undefined {
  const chat = ctx.chat;
  const from = ctx.from;
  if (!chat || !from || from.is_bot) return undefined;
  const message = ctx.msg;
  return {
    platform: 'telegram',
    userId: String(from.id),
    chatId: coreChatId(chat.id, topicOf(message)),
    isPrivate: chat.type === 'private',
    text,
    displayName: from.username ?? [from.first_name, from.last_name].filter(Boolean).join(' '),
    messageId: message?.message_id === undefined ? undefined : String(message.message_id),
    locale: from.language_code,
  };
}

/**
 * A group message for the bot that is not a command: it replies to one of the bot's messages, or @-mentions the bot
 * (the mention is taken out of the text). Undefined when it is neither.
 */
export function addressedText(message: Message, text: string, bot: { id: number; username: string }): string | undefined {
  if (message.reply_to_message?.from?.id === bot.id) return text;
  const mention = new RegExp(`(^|\\s)@${bot.username}\\b`, 'i');
  if (!mention.test(text)) return undefined;
  return text.replace(mention, ' ').trim();
}

export function createTelegramBot(core: BotCore, opts: TelegramBotOptions): TelegramBot {
  const bot = new Bot(opts.token, { client: opts.apiRoot ? { apiRoot: opts.apiRoot } : {} });
  // Network failures are rethrown rather than retried silently for up to an hour: the supervisor (start.ts) and the
  // runner retry connecting and polling with logging, and a reply that cannot be sent should fail, not hang a chat.
  bot.api.config.use(
    autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: opts.maxRetryDelaySeconds ?? 60, rethrowHttpErrors: true }),
  );
  const transport = createTelegramTransport(bot.api, {
    editIntervalMs: opts.editIntervalMs,
    botUsername: () => (bot.isInited() ? bot.botInfo.username : undefined),
  });
  const queue = new ChatQueue();

  const dispatch = async (ctx: Context, message: IncomingMessage): Promise<void> => {
    const task = () => core.handle(message, transport);
    if (opts.mode === 'polling') return task();
    void queue.run(chatKeyOf(ctx) ?? message.chatId, task);
  };

  /** A photo's largest size that is not too big to take, fetched from Telegram's file storage when needed. */
  const photoSource = (sizes: PhotoSize[]): ImageSource | undefined => {
    const photo = [...sizes].reverse().find((p) => (p.file_size ?? 0) <= MAX_IMAGE_BYTES);
    if (!photo) return undefined;
    return {
      async fetch() {
        const file = await bot.api.getFile(photo.file_id);
        if (!file.file_path) throw new Error('Telegram gave no file path for the photo');
        // The URL holds the bot token: its errors are never passed on as they are.
        const res = await fetch(`${opts.apiRoot ?? DEFAULT_API_ROOT}/file/bot${opts.token}/${file.file_path}`, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) }).catch(
          () => undefined,
        );
        if (!res?.ok) throw new Error(`the photo could not be downloaded (${res?.status ?? 'network error'})`);
        return { bytes: new Uint8Array(await res.arrayBuffer()) };
      },
    };
  };

  if (opts.mode === 'polling') bot.use(sequentialize(chatKeyOf));

  bot.on(['message:text', 'message:photo'], async (ctx) => {
    const msg = ctx.message;
    const photo = msg.photo ? photoSource(msg.photo) : undefined;
    const raw = msg.text ?? msg.caption ?? '';
    const message = toIncoming(ctx, raw);
    if (!message) return;
    if (photo) message.images = [photo];
    if (!message.isPrivate && !raw.trimStart().startsWith('/') && bot.isInited()) {
      const text = addressedText(msg, raw, bot.botInfo);
      if (text !== undefined) Object.assign(message, { text, addressed: true });
    }
    await dispatch(ctx, message);
  });

  bot.on('callback_query:data', async (ctx) => {
    const query = ctx.callbackQuery;
    const press = decodePress(query.data, String(ctx.from.id));
    if (!press.ok) {
      // Someone else's button (in a group): a small notice to the presser, nothing in the chat.
      const lang = await core.languageOf({ platform: 'telegram', userId: String(ctx.from.id), locale: ctx.from.language_code }).catch(() => 'en' as const);
      await ctx.answerCallbackQuery({ text: messages(lang).buttons.notYours }).catch((err: unknown) => opts.log.warn({ err }, 'answerCallbackQuery failed'));
      return;
    }
    // Stop the button's spinner first; the answer replaces the message the button is on.
    await ctx.answerCallbackQuery().catch((err: unknown) => opts.log.warn({ err }, 'answerCallbackQuery failed'));
    const message = toIncoming(ctx, press.command);
    if (!message) return;
    if (query.message) message.pressed = { messageId: String(query.message.message_id) };
    await dispatch(ctx, message);
  });

  if (opts.payments) installStarsPayments(bot, opts.payments, opts.log);

  bot.catch((err) => {
    opts.log.error({ err: err.error, updateId: err.ctx.update.update_id }, 'telegram update failed');
  });

  return { bot, transport, idle: () => queue.idle() };
}
