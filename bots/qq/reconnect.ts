// Reconnecting the koishi bots after any drop, with backoff. koishi's own retry is not enough: the OneBot adapter marks
// its bot offline when the socket closes, after which koishi never retries (so a NapCat / Lagrange restart left the
// bot dead), and the QQ adapter gives up after a fixed number of attempts. So the adapters are configured not to retry
// (adapters.ts: retryTimes 0, any failure ends offline) and this supervisor restarts every bot that went offline,
// waiting 1 s, 2 s, 4 s … up to a ceiling, back to the start once it is online again.
import type { BotLogger } from '../core/index.js';
import type { KoishiContext } from './koishi.js';

/** satori's Universal.Status (a const enum, so not importable as a value here). */
const ONLINE = 1;
const OFFLINE = 0;

export interface Backoff {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 1_000, maxMs: 60_000 };

type KoishiBot = KoishiContext['bots'][number];

/** Starts watching `app`'s bots; returns the function that stops it (call before stopping the bots). */
export function superviseConnections(app: KoishiContext, log: BotLogger, backoff: Backoff = DEFAULT_BACKOFF, onOnline?: () => void): () => void {
  const delays = new Map<KoishiBot, number>();
  const timers = new Map<KoishiBot, NodeJS.Timeout>();
  let stopped = false;

  const dispose = app.on('login-updated', (session) => {
    const bot = session.bot;
    if (stopped || bot.hidden) return;
    if (bot.status === ONLINE) {
      if (delays.has(bot)) log.info({ platform: bot.platform }, 'reconnected');
      delays.delete(bot);
      onOnline?.();
      return;
    }
    if (bot.status !== OFFLINE || timers.has(bot)) return;
    const delay = delays.get(bot) ?? backoff.initialMs;
    delays.set(bot, Math.min(delay * 2, backoff.maxMs));
    log.warn({ platform: bot.platform, retryInMs: delay, reason: bot.error?.message }, 'connection lost; reconnecting');
    const timer = setTimeout(() => {
      timers.delete(bot);
      if (!stopped) void bot.start();
    }, delay);
    timer.unref();
    timers.set(bot, timer);
  });

  return () => {
    stopped = true;
    dispose();
    for (const timer of timers.values()) clearTimeout(timer);
    timers.clear();
  };
}
