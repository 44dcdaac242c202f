// Starts every chat bot whose settings are present, on one shared backend and transport registry, and makes sure each
// runs on exactly one instance (leadership.ts: a PostgreSQL advisory lock per bot; SQLite is one process). Each platform
// connects in the background and retries on its own: one failing never stops the others or the relay. A platform's
// library (grammy, discord.js, koishi) is loaded only when that platform is configured: together they weigh tens of
// megabytes that a relay without bots should not carry.
//
// Every instance, bots or not, records channel alerts for the admins (notice-outbox.ts); the instance running a
// platform delivers that platform's alerts.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../src/context.js';
import type { RelayService } from '../src/relay/service.js';
import type { PaymentService } from '../src/payments/service.js';
import { connectPaymentNotices } from './core/payment-notices.js';
import { createBotCore, createNotifier, createRelayBackend, TransportRegistry } from './core/index.js';
import { botLockName, postgresLeadership, soleLeadership, type Leadership } from './leadership.js';
import { createNoticeOutbox, deliverNotices, NOTICE_CHANNEL, recordChannelAlerts } from './notice-outbox.js';

export interface RunningBots {
  /** Platforms configured here (each runs on this instance or on another one holding its lock), for the start-up log. */
  platforms: string[];
  /** Which bots this instance runs right now. */
  readonly leadership: Leadership | undefined;
  stop(): Promise<void>;
}

export interface StartBotsOptions {
  /** How often a waiting instance tries to take a bot over (default 2 s). */
  leaderRetryMs?: number;
}

/** Call before app.listen(): the Telegram webhook route, when configured, is mounted on the app. */
export async function startBots(
  ctx: AppContext,
  relay: RelayService,
  app: FastifyInstance,
  payments?: PaymentService,
  opts: StartBotsOptions = {},
): Promise<RunningBots> {
  const { config, log } = ctx;
  const registry = new TransportRegistry();
  const backend = createRelayBackend(ctx, relay, payments);
  const outbox = createNoticeOutbox(ctx, backend);
  const stopRecording = recordChannelAlerts(relay, outbox, log);
  const platforms = [config.telegram && 'telegram', config.discord && 'discord', config.qq && 'qq', config.onebot && 'onebot'].filter(
    (p): p is string => typeof p === 'string',
  );
  if (platforms.length === 0) return { platforms, leadership: undefined, stop: async () => stopRecording() };

  const core = createBotCore({ backend, log, onMessage: (platform) => ctx.metrics.botMessage(platform) });
  const delivery = deliverNotices(outbox, createNotifier(backend, registry, log), () => registry.platforms, log);
  const leadership = ctx.db.kind === 'postgresql' ? postgresLeadership(config.databaseUrl, log, { retryMs: opts.leaderRetryMs }) : soleLeadership(log);
  leadership.listen(NOTICE_CHANNEL, delivery.wake);
  const stops: Array<() => Promise<void>> = [];

  if (config.telegram) {
    const { startTelegramBot, mountTelegramWebhook, webhookSecretFor, webhookPathFor } = await import('./telegram/index.js');
    const telegramConfig = config.telegram;
    if (telegramConfig.webhookUrl) {
      // Telegram posts each update to whichever instance the proxy picks, so every instance serves the webhook; the
      // state a chat needs is in the database. Setting the same webhook from each instance is harmless.
      const telegram = startTelegramBot(ctx, backend, telegramConfig, { registry, core });
      mountTelegramWebhook(app, telegram.bot, webhookSecretFor(telegramConfig), webhookPathFor(telegramConfig));
      void telegram.connected.then(delivery.wake);
      stops.push(() => telegram.stop());
    } else {
      // Two instances polling one token conflict (409): one polls, the others wait to take over.
      leadership.run(botLockName('telegram', telegramConfig.token), async () => {
        const telegram = startTelegramBot(ctx, backend, telegramConfig, { registry, core });
        void telegram.connected.then(delivery.wake);
        return () => telegram.stop();
      });
    }
  }
  if (config.discord) {
    const { startDiscordBot } = await import('./discord/index.js');
    const discordConfig = config.discord;
    leadership.run(botLockName('discord', discordConfig.token), async () => {
      const discord = startDiscordBot(ctx, backend, discordConfig, { core, registry });
      void discord.ready.then(delivery.wake);
      return () => discord.stop();
    });
  }
  if (config.qq || config.onebot) {
    const { startQqBots } = await import('./qq/index.js');
    const credential = `${config.qq?.appId ?? ''} ${config.onebot?.endpoint ?? ''}`;
    leadership.run(botLockName('qq', credential), async () => {
      const qq = startQqBots(ctx, backend, config, { core, registry, onOnline: delivery.wake });
      return () => qq.stop();
    });
  }
  // "Payment received" in the buyer's chat, for orders paid on any instance: sent by the instance that runs the buyer's
  // platform (the registry holds only the platforms running here).
  if (payments) {
    const disconnect = connectPaymentNotices(payments, registry, log);
    stops.push(async () => disconnect());
  }
  return {
    platforms,
    leadership,
    async stop() {
      stopRecording();
      delivery.stop();
      await leadership.close();
      await Promise.allSettled(stops.map((stop) => stop()));
    },
  };
}
