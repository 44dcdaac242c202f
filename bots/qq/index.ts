// The QQ bots: one koishi app carrying the official QQ adapter and/or the OneBot adapter, bridged to the bot core.
// Each adapter connects (and after any drop reconnects, with backoff: reconnect.ts) in the background, so a platform
// that cannot connect never stops the other one or the relay; starting never throws.
//
//   start → koishi App (prefix "/") → HTTP service → core bridge (commands + chat) → QQ adapter? OneBot adapter?
//           → connection supervisor
//   stop  → supervisor off → bots stopped, sockets closed → adapters disposed (before app.stop(), else @satorijs/core
//           logs a TypeError) → app.stop() → koishi logs restored
import type { Config } from '../../src/config.js';
import type { AddressPolicy } from '../../src/net/safe-fetch.js';
import { createBotCore, type BotBackend, type BotCore, type BotLogger, type Platform, type TransportRegistry } from '../core/index.js';
import { oneBotAdapter, qqAdapter } from './adapters.js';
import { installCoreBridge } from './bridge.js';
import { koishi, type KoishiContext } from './koishi.js';
import { routeKoishiLogs } from './logging.js';
import { NoticeTransport } from './notice-transport.js';
import { DEFAULT_BACKOFF, superviseConnections, type Backoff } from './reconnect.js';
import { stopKoishi } from './shutdown.js';
import { QQ_MAX_MESSAGE_LENGTH, QQ_MAX_REPLIES, QQ_REPLY_WINDOW_MS, type ReplyPolicy } from './reply-transport.js';

export interface QqBotsOptions {
  /** Share one core with the other platforms; by default the bots make their own. */
  core?: BotCore;
  /** Registers the OneBot notice transport so admin alerts and low-balance warnings reach OneBot users. */
  registry?: TransportRegistry;
  /** Pause between the parts of one answer on OneBot (QQ accounts get rate-limited for bursts). Default 500 ms. */
  oneBotPartIntervalMs?: number;
  /** Longest message per part; default 2000. */
  maxMessageLength?: number;
  /** Reconnect backoff after a drop (default 1 s, doubling up to 60 s). */
  reconnect?: Backoff;
  /** QQ's passive-reply window and how early to stop replying passively (tests shorten them). */
  replyWindow?: { windowMs: number; marginMs: number };
  /** Which addresses image downloads may reach (tests: the local fakes). Default: public addresses only. */
  imagePolicy?: AddressPolicy;
  /** Called whenever a bot comes online (the notice outbox delivers what waited). */
  onOnline?: () => void;
  /** Runs after the HTTP service is installed and before the adapters: tests redirect the adapters' hosts here. */
  configureApp?: (app: KoishiContext) => void;
}

export interface RunningBots {
  /** Resolves once the koishi app has started (the adapters keep connecting in the background). Never rejects. */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

const DEFAULT_ONEBOT_PART_INTERVAL_MS = 500;

export function startQqBots(
  ctx: { log: BotLogger },
  backend: BotBackend,
  config: Pick<Config, 'qq' | 'onebot'>,
  options: QqBotsOptions = {},
): RunningBots {
  const log = ctx.log;
  if (!config.qq && !config.onebot) return { ready: Promise.resolve(), stop: async () => undefined };
  const restoreLogs = routeKoishiLogs(log);
  const unregister: Array<() => void> = [];
  const adapters: Array<{ dispose(): unknown }> = [];
  let app: InstanceType<typeof koishi.App> | undefined;
  let unsupervise: () => void = () => {};

  const start = async (): Promise<void> => {
    const core = options.core ?? createBotCore({ backend, log });
    const maxMessageLength = options.maxMessageLength ?? QQ_MAX_MESSAGE_LENGTH;
    const policies: Record<'qq' | 'onebot', ReplyPolicy> = {
      qq: {
        platform: 'qq',
        maxMessageLength,
        maxReplies: QQ_MAX_REPLIES,
        partIntervalMs: 0,
        replyWindowMs: options.replyWindow?.windowMs ?? QQ_REPLY_WINDOW_MS,
        ...(options.replyWindow ? { windowMarginMs: options.replyWindow.marginMs } : {}),
      },
      onebot: { platform: 'onebot', maxMessageLength, maxReplies: Infinity, partIntervalMs: options.oneBotPartIntervalMs ?? DEFAULT_ONEBOT_PART_INTERVAL_MS },
    };
    app = new koishi.App({ prefix: ['/'], prefixMode: 'strict' });
    // Without an HTTP service the adapters wait for one forever, silently.
    app.plugin(koishi.HTTP);
    options.configureApp?.(app);

    const running = app;
    const onebotNotices = new NoticeTransport('onebot', maxMessageLength, () => running.bots.find((b) => b.platform === 'onebot'));
    installCoreBridge(app, {
      core,
      backend,
      log,
      platformOf: (session) => platformOf(session.platform),
      policyFor: (platform) => (platform === 'onebot' ? policies.onebot : policies.qq),
      sendToUser: { onebot: (userId, reply) => onebotNotices.sendToUser(userId, reply) },
      imagePolicy: options.imagePolicy,
    });
    unsupervise = superviseConnections(app, log, options.reconnect ?? DEFAULT_BACKOFF, options.onOnline);
    if (config.qq) {
      const { plugin, config: adapterConfig } = qqAdapter(config.qq);
      adapters.push(app.plugin(plugin, adapterConfig));
    }
    if (config.onebot) {
      const { plugin, config: adapterConfig } = oneBotAdapter(config.onebot);
      adapters.push(app.plugin(plugin, adapterConfig));
      if (options.registry) unregister.push(options.registry.register(onebotNotices));
    }
    await app.start();
    log.info({ platforms: [config.qq && 'qq', config.onebot && 'onebot'].filter(Boolean) }, 'QQ bots started');
  };

  const ready = start().catch((err: unknown) => {
    log.error({ err: { message: err instanceof Error ? err.message : String(err) } }, 'QQ bots could not start');
  });

  return {
    ready,
    async stop() {
      await ready;
      unsupervise();
      for (const undo of unregister.splice(0)) undo();
      if (app) await stopKoishi(app, adapters);
      // A socket closed mid-handshake reports it on the next turn; that record still belongs in the relay's log.
      await new Promise((resolve) => setImmediate(resolve));
      restoreLogs();
    },
  };
}

/** koishi's platform names → the core's. QQ guild (频道) sessions are "qqguild": the same bot, so the same platform. */
function platformOf(name: string): Platform | undefined {
  if (name === 'qq' || name === 'qqguild') return 'qq';
  if (name === 'onebot') return 'onebot';
  return undefined;
}
