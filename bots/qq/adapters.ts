// The two ways a QQ bot connects, as koishi adapter configurations: the official QQ bot API (@satorijs/adapter-qq,
// WebSocket gateway: C2C messages, group messages that @ the bot, and QQ guild (频道) channel @-messages and direct
// messages) and a OneBot v11 implementation over a forward WebSocket (koishi-plugin-adapter-onebot). Neither retries
// by itself: reconnect.ts restarts a dropped connection with backoff.
import type { Config } from '../../src/config.js';
import { loadOneBotAdapter, loadQqAdapter } from './koishi.js';

export type QqConfig = NonNullable<Config['qq']>;
export type OneBotConfig = NonNullable<Config['onebot']>;

/** koishi's retry settings: none (any failure ends offline, and reconnect.ts takes over). */
const NO_RETRY = { retryTimes: 0, retryInterval: 0, retryLazy: 0 };

/**
 * The events the bot subscribes to: C2C and group @-messages (GROUP_AND_C2C_EVENT, 1 << 25), guild direct messages
 * (DIRECT_MESSAGE, 1 << 12) and guild channel messages that @ the bot (PUBLIC_GUILD_MESSAGES, 1 << 30).
 */
export const QQ_INTENTS = (1 << 25) | (1 << 12) | (1 << 30);

export function qqAdapter(config: QqConfig) {
  const adapter = loadQqAdapter();
  return {
    plugin: adapter.QQBot,
    config: {
      id: config.appId,
      secret: config.secret,
      token: config.token,
      // A public bot: in guilds it receives the messages that @ it.
      type: 'public' as const,
      sandbox: config.sandbox,
      authType: 'bearer' as const,
      intents: QQ_INTENTS,
      protocol: 'websocket' as const,
      ...NO_RETRY,
    },
  };
}

export function oneBotAdapter(config: OneBotConfig) {
  const adapter = loadOneBotAdapter();
  return {
    plugin: adapter.OneBotBot,
    config: {
      // The account is reported by get_login_info; the adapter only needs a placeholder until then.
      selfId: config.selfId ?? '',
      token: config.token,
      protocol: 'ws' as const,
      endpoint: config.endpoint,
      ...NO_RETRY,
    },
  };
}
