// The bot core's public surface for adapters and the relay.
export type * from './types.js';
export type * from './backend.js';
export { createBotCore, type BotCore, type BotCoreOptions, type Asker } from './core.js';
export { BotContext } from './context.js';
export { BotError, describeError, type BotLogger } from './errors.js';
export { parseCommand } from './commands.js';
export { StreamedReply, splitMessage } from './chat-stream.js';
export { decodePress, ownButton, type Press } from './buttons.js';
export { TransportRegistry, createNotifier, type Notifier, type ChannelDisabledNotice } from './notifications.js';
export { messages, langOf, chooseLang, commandWords, type Lang, type Messages } from './i18n/index.js';
export type { CommandInfo, Middleware, ArgSpec, Suggestions } from './router.js';
export type { Suggestion } from './suggestions.js';
export { createRelayBackend, type RelayForBots } from './relay-backend.js';
