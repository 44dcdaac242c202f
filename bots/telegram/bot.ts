// The grammY bot: Telegram updates in, IncomingMessage to the core. Text messages and button presses go to the core;
// Stars payment updates to payments.ts; everything else is ignored. 429s (and 5xx) are retried by @grammyjs/auto-retry, an API transformer.
//
// Two ways updates arrive, with the same per-chat ordering and no chat blocking another:
//   long polling: @grammyjs/runner processes updates concurrently, `sequentialize` keeps each chat in order;
//   webhook:      the handler queues the work per chat (ChatQueue) and returns at once, so Telegram gets its 200
//                 before a long streamed answer finishes (webhookCallback would otherwise time out after 10 s).
import { Bot, type Context } from 'grammy';
import { autoRetry } from '@grammyjs/auto-retry';
import { sequentialize } from '@grammyjs/runner';
import type { BotPayments } from '../core/backend.js';
import type { BotCore } from '../core/core.js';
import type { BotLogger } from '../core/errors.js';
import type { ChatTransport, IncomingMessage } from '../core/types.js';
import { ChatQueue } from './chat-queue.js';
import { createTelegramTransport } from './transport.js';
import { installStarsPayments } from './payments.js';

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

/** The key that orders work: one chat's updates are handled one after another. */
export function chatKeyOf(ctx: Context): string | undefined {
  return ctx.chat?.id.toString();
}

export function toIncoming(ctx: Context, text: string): IncomingMessage | undefined {
  const chat = ctx.chat;
  const from = ctx.from;
  if (!chat || !from || from.is_bot) return undefined;
  return {
    platform: 'telegram',
    userId: String(from.id),
    chatId: String(chat.id),
    isPrivate: chat.type === 'private',
    text,
    displayName: from.username ?? [from.first_name, from.last_name].filter(Boolean).join(' '),
    messageId: ctx.msg?.message_id === undefined ? undefined : String(ctx.msg.message_id),
    locale: from.language_code,
  };
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

  if (opts.mode === 'polling') bot.use(sequentialize(chatKeyOf));

  bot.on('message:text', async (ctx) => {
    const message = toIncoming(ctx, ctx.message.text);
    if (message) await dispatch(ctx, message);
  });

  bot.on('callback_query:data', async (ctx) => {
    // Stop the button's spinner first; the answer itself arrives as a message.
    await ctx.answerCallbackQuery().catch((err: unknown) => opts.log.warn({ err }, 'answerCallbackQuery failed'));
    const message = toIncoming(ctx, ctx.callbackQuery.data);
    if (message) await dispatch(ctx, message);
  });

  if (opts.payments) installStarsPayments(bot, opts.payments, opts.log);

  bot.catch((err) => {
    opts.log.error({ err: err.error, updateId: err.ctx.update.update_id }, 'telegram update failed');
  });

  return { bot, transport, idle: () => queue.idle() };
}
