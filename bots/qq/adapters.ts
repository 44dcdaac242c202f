// The two ways a QQ bot connects, as koishi adapter configurations: the official QQ bot API (@satorijs/adapter-qq,
// WebSocket gateway, C2C and group @-messages) and a OneBot v11 implementation over a forward WebSocket
// (koishi-plugin-adapter-onebot). Both reconnect on their own: `retry` sets how often.
import type { Config } from '../../src/config.js';
import { loadOneBotAdapter, loadQqAdapter } from './koishi.js';

export type QqConfig = NonNullable<Config['qq']>;
export type OneBotConfig = NonNullable<Config['onebot']>;

export interface RetryConfig {
  /** Quick retries right after a connection is lost (then every retryLazyMs). */
  retryTimes: number;
  retryIntervalMs: number;
  retryLazyMs: number;
}

/** C2C messages and group messages that @ the bot (the GROUP_AND_C2C_EVENT intent, 1 << 25). */
const USER_MESSAGE_INTENT = 1 << 25;

export function qqAdapter(config: QqConfig, retry: RetryConfig) {
  const adapter = loadQqAdapter();
  return {
    plugin: adapter.QQBot,
    config: {
      id: config.appId,
      secret: config.secret,
      token: config.token,
      // Only matters for guild (频道) messages, which the bot does not subscribe to.
      type: 'public' as const,
      sandbox: config.sandbox,
      authType: 'bearer' as const,
      intents: USER_MESSAGE_INTENT,
      protocol: 'websocket' as const,
      retryTimes: retry.retryTimes,
      retryInterval: retry.retryIntervalMs,
      retryLazy: retry.retryLazyMs,
    },
  };
}

export function oneBotAdapter(config: OneBotConfig, retry: RetryConfig) {
  const adapter = loadOneBotAdapter();
  return {
    plugin: adapter.OneBotBot,
    config: {
      // The account is reported by get_login_info; the adapter only needs a placeholder until then.
      selfId: config.selfId ?? '',
      token: config.token,
      protocol: 'ws' as const,
      endpoint: config.endpoint,
      retryTimes: retry.retryTimes,
      retryInterval: retry.retryIntervalMs,
      retryLazy: retry.retryLazyMs,
    },
  };
}
