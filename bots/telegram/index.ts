// The Telegram adapter's public surface.
export { startTelegramBot, type RunningTelegramBot, type StartTelegramOptions } from './start.js';
export { mountTelegramWebhook, webhookSecretFor, webhookPathFor, type TelegramConfig } from './webhook.js';
export { createTelegramBot, type TelegramBot, type TelegramBotOptions } from './bot.js';
export { createTelegramTransport } from './transport.js';
