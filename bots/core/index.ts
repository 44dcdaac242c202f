// The bot core's public surface for adapters and the relay.
export type * from './types.js';
export type * from './backend.js';
export { createBotCore, type BotCore, type BotCoreOptions } from './core.js';
export { BotContext } from './context.js';
export { BotError, describeError, type BotLogger } from './errors.js';
export { parseCommand, formatUnits } from './commands.js';
export { StreamedReply, splitMessage } from './chat-stream.js';
export { TransportRegistry, createNotifier, lowBalanceWarning, type Notifier, type ChannelDisabledNotice } from './notifications.js';
export type { CommandInfo, Middleware } from './router.js';
export { createRelayBackend, connectChannelAlerts, type RelayForBots } from './relay-backend.js';
