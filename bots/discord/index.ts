// The Discord bot: a discord.js gateway client that hands slash commands, autocomplete, button presses, DMs and
// server messages that @-mention it to the bot core. Intents: Guilds, GuildMessages and DirectMessages, none of them
// privileged (a mention's content is delivered without MessageContent).
// Starting never blocks or throws into the relay: the connection is made in the background and retried with backoff
// until it works or the bot is stopped; once connected, discord.js keeps the session alive (resume/reconnect) itself.
//
//   start → login (GET /gateway/bot, gateway hello/IDENTIFY/READY) ─fail→ log, wait (backoff), retry
//           └ ready → register slash commands (global, or in DISCORD_GUILD_ID) → handle events until stop()
import { Client, Events, GatewayIntentBits, Partials } from 'discord.js';
import type { Config } from '../../src/config.js';
import type { AddressPolicy } from '../../src/net/safe-fetch.js';
import { createBotCore, type BotBackend, type BotCore, type BotLogger, type TransportRegistry } from '../core/index.js';
import { ChannelTransport } from './channel-transport.js';
import { registerSlashCommands } from './commands.js';
import { errorSummary, loginWithRetry } from './connection.js';
import { onInteraction, onMessage, type DiscordHandlerDeps } from './events.js';

export type DiscordConfig = NonNullable<Config['discord']>;

export interface DiscordBotOptions {
  /** Share one core (and its chat-mode state) with the other platforms; by default the bot makes its own. */
  core?: BotCore;
  /** Registers the DM transport so admin alerts and low-balance warnings can reach Discord users. */
  registry?: TransportRegistry;
  /** Between edits of a streamed answer (Discord allows about 5 edits per 5 s per message). */
  minEditIntervalMs?: number;
  /** Backoff between failed connection attempts: starts here and doubles up to maxRetryDelayMs. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Which addresses image downloads may reach (tests: the local fake). Default: public addresses only. */
  imagePolicy?: AddressPolicy;
}

export interface RunningBot {
  /** Resolves once the bot is connected and its commands are registered (never rejects; may never resolve). */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

const DEFAULT_EDIT_INTERVAL_MS = 1_000;
const DEFAULT_RETRY_DELAY_MS = 5_000;
const DEFAULT_MAX_RETRY_DELAY_MS = 5 * 60_000;

export function startDiscordBot(
  ctx: { log: BotLogger },
  backend: BotBackend,
  config: DiscordConfig,
  options: DiscordBotOptions = {},
): RunningBot {
  try {
    return start(ctx.log, backend, config, options);
  } catch (err) {
    ctx.log.error({ err: errorSummary(err), platform: 'discord' }, 'Discord bot could not start');
    return { ready: Promise.resolve(), stop: async () => undefined };
  }
}

function start(log: BotLogger, backend: BotBackend, config: DiscordConfig, options: DiscordBotOptions): RunningBot {
  const core = options.core ?? createBotCore({ backend, log });
  const client = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.DirectMessages],
    // DM channels are not cached before their first message arrives.
    partials: [Partials.Channel],
    ...(config.apiRoot ? { rest: { api: config.apiRoot } } : {}),
  });
  const channels = new ChannelTransport(client.rest, options.minEditIntervalMs ?? DEFAULT_EDIT_INTERVAL_MS);
  const deps: DiscordHandlerDeps = { core, channels, minEditIntervalMs: channels.minEditIntervalMs, imagePolicy: options.imagePolicy };
  const unregister = options.registry?.register(channels);

  client.on(Events.InteractionCreate, (interaction) => {
    onInteraction(interaction, deps).catch((err: unknown) => log.error({ err: errorSummary(err), platform: 'discord' }, 'Discord interaction failed'));
  });
  client.on(Events.MessageCreate, (message) => {
    onMessage(message, deps).catch((err: unknown) => log.error({ err: errorSummary(err), platform: 'discord' }, 'Discord message failed'));
  });
  // An 'error' event without a listener would crash the process.
  client.on(Events.Error, (err) => log.error({ err: errorSummary(err), platform: 'discord' }, 'Discord client error'));
  client.on(Events.ShardDisconnect, (event) => log.warn({ code: event.code, platform: 'discord' }, 'Discord gateway disconnected'));

  const stopping = new AbortController();
  const backoff = { initialMs: options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS, maxMs: options.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS };
  const ready = loginWithRetry(client, config.token, log, stopping.signal, backoff).then(async (connected) => {
    if (!connected) return;
    log.info({ platform: 'discord', user: client.user?.tag }, 'Discord bot connected');
    try {
      await registerSlashCommands(client.rest, config.applicationId, config.guildId, core.commands);
    } catch (err) {
      // Commands registered earlier stay in place on Discord, and DMs work regardless: worth a log, not a stop.
      log.error({ err: errorSummary(err), platform: 'discord' }, 'could not register Discord slash commands');
    }
  });

  return {
    ready,
    async stop() {
      stopping.abort();
      unregister?.();
      await client.destroy();
    },
  };
}
