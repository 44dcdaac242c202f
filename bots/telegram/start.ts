// Starting and supervising the Telegram bot inside the relay process. Telegram being unreachable (network, a bad
// token, another instance polling) must never take the relay down: every failure is logged (token scrubbed) and
// retried with a capped backoff, in the background, until stop().
//
//   connect: getMe → deleteWebhook (polling) | setWebhook (webhook) → setMyCommands → register the transport
//   polling: @grammyjs/runner until stopped; if it dies (401/409), back to connect after the backoff
import { run, type RunnerHandle } from '@grammyjs/runner';
import type { Bot } from 'grammy';
import type { BotCommand } from 'grammy/types';
import type { BotBackend } from '../core/backend.js';
import { createBotCore } from '../core/core.js';
import type { BotLogger } from '../core/errors.js';
import type { TransportRegistry } from '../core/notifications.js';
import type { ChatTransport } from '../core/types.js';
import { createTelegramBot } from './bot.js';
import { redactingLogger } from './redact.js';
import { webhookSecretFor, type TelegramConfig } from './webhook.js';

export interface StartTelegramOptions {
  /** Where notifications find this bot's transport (admin alerts, low-balance warnings). */
  registry?: TransportRegistry;
  /** Minimum time between edits of a streamed answer (default 1000 ms). */
  editIntervalMs?: number;
  /** getUpdates long-poll timeout (default 30 s). */
  pollTimeoutSeconds?: number;
  /** Reconnect backoff: first delay, doubled per failure up to max (default 1 s → 5 min). */
  retryDelayMs?: { initial: number; max: number };
}

export interface RunningTelegramBot {
  /** For mountTelegramWebhook in webhook mode. */
  bot: Bot;
  transport: ChatTransport;
  /** Resolves the first time the bot is connected (tests, readiness checks); never rejects. */
  connected: Promise<void>;
  /** Stops polling and retries, waits for queued webhook work, unregisters the transport. Never throws. */
  stop(): Promise<void>;
}

const ALLOWED_UPDATES = ['message', 'callback_query', 'pre_checkout_query'] as const;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

export function startTelegramBot(
  ctx: { log: BotLogger },
  backend: BotBackend,
  config: TelegramConfig,
  opts: StartTelegramOptions = {},
): RunningTelegramBot {
  const log = redactingLogger(ctx.log, [config.token]);
  const mode = config.webhookUrl ? 'webhook' : 'polling';
  const pollTimeout = opts.pollTimeoutSeconds ?? 30;
  const { initial, max } = opts.retryDelayMs ?? { initial: 1000, max: 300_000 };
  const core = createBotCore({ backend, log });
  const telegram = createTelegramBot(core, {
    token: config.token,
    apiRoot: config.apiRoot,
    mode,
    log,
    editIntervalMs: opts.editIntervalMs,
    payments: backend.payments,
  });
  const { bot, transport } = telegram;
  const menu: BotCommand[] = core.commands
    .filter((c) => c.access !== 'admin')
    .map((c) => ({ command: c.name, description: c.description }));

  // The runner retries getUpdates itself (silently, see below); this makes those failures visible, at most once a
  // minute while they last, and says when polling works again.
  let pollFailures = 0;
  let lastFailureLog = 0;
  bot.api.config.use(async (prev, method, payload, signal) => {
    if (method !== 'getUpdates') return prev(method, payload, signal);
    try {
      const result = await prev(method, payload, signal);
      if (pollFailures > 0 && result.ok) {
        log.info({ failures: pollFailures }, 'telegram polling recovered');
        pollFailures = 0;
        lastFailureLog = 0;
      }
      return result;
    } catch (err) {
      if (!signal?.aborted) {
        pollFailures++;
        if (Date.now() - lastFailureLog >= 60_000) {
          lastFailureLog = Date.now();
          log.warn({ err, failures: pollFailures }, 'telegram getUpdates failed; retrying');
        }
      }
      throw err;
    }
  });

  const stopping = new AbortController();
  let runner: RunnerHandle | undefined;
  let unregister: (() => void) | undefined;
  let markConnected: () => void = () => {};
  const connected = new Promise<void>((resolve) => (markConnected = resolve));

  async function connect(): Promise<void> {
    // grammY types its signal with the abort-controller polyfill; Node's own AbortSignal is what it uses at run time.
    const signal = stopping.signal as unknown as NonNullable<Parameters<Bot['api']['getMe']>[0]>;
    // Not bot.init(): it retries getMe silently for ever; here one policy (below) retries and logs every failure.
    if (!bot.isInited()) bot.botInfo = await bot.api.getMe(signal);
    if (mode === 'webhook') {
      await bot.api.setWebhook(config.webhookUrl!, { secret_token: webhookSecretFor(config), allowed_updates: [...ALLOWED_UPDATES] }, signal);
    } else {
      await bot.api.deleteWebhook({}, signal);
    }
    await bot.api.setMyCommands(menu, {}, signal);
    unregister ??= opts.registry?.register(transport);
    log.info({ username: bot.botInfo.username, mode }, 'telegram bot connected');
    markConnected();
  }

  const supervisor = (async () => {
    let delay = initial;
    while (!stopping.signal.aborted) {
      try {
        await connect();
        if (stopping.signal.aborted) return;
        delay = initial;
        if (mode === 'webhook') return; // updates now arrive on the mounted route
        runner = run(bot, {
          runner: {
            fetch: { timeout: pollTimeout, allowed_updates: [...ALLOWED_UPDATES] },
            silent: true,
            retryInterval: initial,
            maxRetryTime: Infinity,
          },
        });
        await runner.task();
        if (stopping.signal.aborted) return;
        log.warn({}, 'telegram polling ended; reconnecting');
      } catch (err) {
        if (stopping.signal.aborted) return;
        log.warn({ err, retryInMs: delay }, 'cannot reach Telegram; retrying');
      }
      await sleep(delay, stopping.signal);
      delay = Math.min(delay * 2, max);
    }
  })().catch((err: unknown) => log.error({ err }, 'telegram supervisor failed'));

  return {
    bot,
    transport,
    connected,
    async stop() {
      stopping.abort();
      try {
        if (runner?.isRunning()) await runner.stop();
      } catch (err) {
        log.warn({ err }, 'telegram runner stopped with an error');
      }
      await supervisor;
      await telegram.idle();
      unregister?.();
    },
  };
}
