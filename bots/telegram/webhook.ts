// Webhook mode: Telegram POSTs updates to a route on the relay's own fastify server, proving itself with the secret
// token header. The handler only queues the work (see bot.ts), so the 200 goes back at once.
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { webhookCallback, type Bot } from 'grammy';
import type { Config } from '../../src/config.js';

export type TelegramConfig = NonNullable<Config['telegram']>;

export const DEFAULT_WEBHOOK_PATH = '/telegram/webhook';

/**
 * TELEGRAM_WEBHOOK_SECRET, or one derived from the bot token so every instance agrees without more configuration
 * (whoever could compute it already holds the token). Telegram allows [A-Za-z0-9_-], 1–256 characters.
 */
export function webhookSecretFor(config: TelegramConfig): string {
  return config.webhookSecret ?? createHash('sha256').update(`relay-station telegram webhook\n${config.token}`).digest('hex');
}

/** The route path: the path of TELEGRAM_WEBHOOK_URL (behind a proxy it is the same path). */
export function webhookPathFor(config: TelegramConfig): string {
  return config.webhookUrl ? new URL(config.webhookUrl).pathname : DEFAULT_WEBHOOK_PATH;
}

/** Mounts POST `path` on the app. Call before app.listen()/ready(). A wrong or missing secret gets 401. */
export function mountTelegramWebhook(app: FastifyInstance, bot: Bot, secret: string, path: string = DEFAULT_WEBHOOK_PATH): void {
  const handle = webhookCallback(bot, 'fastify', { secretToken: secret, onTimeout: 'return', timeoutMilliseconds: 9000 });
  app.post(path, { schema: { hide: true } }, async (request, reply) => {
    await handle(request, reply);
    return reply;
  });
}
