// Starts every chat bot whose settings are present, on one shared core, backend and transport registry.
// Each platform connects in the background and retries on its own: one failing never stops the others or the relay.
// A platform's library (grammy, discord.js, koishi) is loaded only when that platform is configured: together they
// weigh tens of megabytes that a relay without bots should not carry.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../src/context.js';
import type { RelayService } from '../src/relay/service.js';
import type { PaymentService } from '../src/payments/service.js';
import { connectPaymentNotices } from './core/payment-notices.js';
import { createBotCore, createRelayBackend, connectChannelAlerts, createNotifier, TransportRegistry } from './core/index.js';

export interface RunningBots {
  /** Platforms started, for the start-up log. */
  platforms: string[];
  stop(): Promise<void>;
}

/** Call before app.listen(): the Telegram webhook route, when configured, is mounted on the app. */
export async function startBots(ctx: AppContext, relay: RelayService, app: FastifyInstance, payments?: PaymentService): Promise<RunningBots> {
  const { config } = ctx;
  const registry = new TransportRegistry();
  const backend = createRelayBackend(ctx, relay, payments);
  const core = createBotCore({ backend, log: ctx.log });
  connectChannelAlerts(relay, createNotifier(backend, registry, ctx.log), ctx.log);

  const stops: Array<() => Promise<void>> = [];
  const platforms: string[] = [];
  if (config.telegram) {
    const { startTelegramBot, mountTelegramWebhook, webhookSecretFor, webhookPathFor } = await import('./telegram/index.js');
    const telegram = startTelegramBot(ctx, backend, config.telegram, { registry });
    if (config.telegram.webhookUrl) {
      mountTelegramWebhook(app, telegram.bot, webhookSecretFor(config.telegram), webhookPathFor(config.telegram));
    }
    stops.push(() => telegram.stop());
    platforms.push('telegram');
  }
  if (config.discord) {
    const { startDiscordBot } = await import('./discord/index.js');
    const discord = startDiscordBot(ctx, backend, config.discord, { core, registry });
    stops.push(() => discord.stop());
    platforms.push('discord');
  }
  if (config.qq || config.onebot) {
    const { startQqBots } = await import('./qq/index.js');
    const qq = startQqBots(ctx, backend, config, { core, registry });
    stops.push(() => qq.stop());
    if (config.qq) platforms.push('qq');
    if (config.onebot) platforms.push('onebot');
  }
  // "Payment received" in the buyer's chat, for orders paid on any instance.
  if (payments && platforms.length) {
    const disconnect = connectPaymentNotices(payments, registry, ctx.log);
    stops.push(async () => disconnect());
  }
  return {
    platforms,
    async stop() {
      await Promise.allSettled(stops.map((stop) => stop()));
    },
  };
}
