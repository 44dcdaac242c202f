// Starts every chat bot whose settings are present, on one shared core, backend and transport registry.
// Each platform connects in the background and retries on its own: one failing never stops the others or the relay.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../src/context.js';
import type { RelayService } from '../src/relay/service.js';
import { createBotCore, createRelayBackend, connectChannelAlerts, createNotifier, TransportRegistry } from './core/index.js';
import { startTelegramBot, mountTelegramWebhook, webhookSecretFor, webhookPathFor } from './telegram/index.js';
import { startDiscordBot } from './discord/index.js';
import { startQqBots } from './qq/index.js';

export interface RunningBots {
  /** Platforms started, for the start-up log. */
  platforms: string[];
  stop(): Promise<void>;
}

/** Call before app.listen(): the Telegram webhook route, when configured, is mounted on the app. */
export function startBots(ctx: AppContext, relay: RelayService, app: FastifyInstance): RunningBots {
  const { config } = ctx;
  const registry = new TransportRegistry();
  const backend = createRelayBackend(ctx, relay);
  const core = createBotCore({ backend, log: ctx.log });
  connectChannelAlerts(relay, createNotifier(backend, registry, ctx.log), ctx.log);

  const stops: Array<() => Promise<void>> = [];
  const platforms: string[] = [];
  if (config.telegram) {
    const telegram = startTelegramBot(ctx, backend, config.telegram, { registry });
    if (config.telegram.webhookUrl) {
      mountTelegramWebhook(app, telegram.bot, webhookSecretFor(config.telegram), webhookPathFor(config.telegram));
    }
    stops.push(() => telegram.stop());
    platforms.push('telegram');
  }
  if (config.discord) {
    const discord = startDiscordBot(ctx, backend, config.discord, { core, registry });
    stops.push(() => discord.stop());
    platforms.push('discord');
  }
  if (config.qq || config.onebot) {
    const qq = startQqBots(ctx, backend, config, { core, registry });
    stops.push(() => qq.stop());
    if (config.qq) platforms.push('qq');
    if (config.onebot) platforms.push('onebot');
  }
  return {
    platforms,
    async stop() {
      await Promise.allSettled(stops.map((stop) => stop()));
    },
  };
}
