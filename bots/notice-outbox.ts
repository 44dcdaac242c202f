// Admin alerts from any instance reach the instance that runs the bots. The relay disables a channel wherever a call
// failed; that instance may run no bot at all. So every instance records the alert in the database, one row per linked
// admin identity, and wakes the others (PostgreSQL NOTIFY; in-process on SQLite); whichever instance runs a platform
// claims that platform's rows (a conditional update: each row is sent once) and sends them, worded at that moment in
// the admin's language. A sweep every few seconds catches what a lost wake-up or a takeover left behind; rows nobody
// can deliver (a platform no instance runs) are dropped after a day.
import { EventEmitter } from 'node:events';
import type { AppContext } from '../src/context.js';
import type { RelayService } from '../src/relay/service.js';
import type { ChannelIncident } from '../src/relay/alerts.js';
import type { BotBackend, BotLogger, ChannelDisabledNotice, Notifier, Platform } from './core/index.js';

/** The NOTIFY channel the bot-running instance listens on. */
export const NOTICE_CHANNEL = 'relay_bot_notices';
const KEEP_MS = 24 * 60 * 60 * 1000;
/** A recipient the platform refuses (blocked the bot) is given up on after this many sends. */
const MAX_ATTEMPTS = 5;

export interface NoticeOutbox {
  /** Any instance: a channel was disabled; every linked admin gets a row. */
  channelDisabled(notice: ChannelDisabledNotice): Promise<void>;
  /** The bot-running instance: sends the pending rows of these platforms. Resolves to the number sent. */
  deliver(platforms: readonly Platform[], notifier: Notifier): Promise<number>;
  /** Called after rows were recorded on this instance (the others hear it through NOTIFY). */
  onRecorded(listener: () => void): () => void;
}

export function createNoticeOutbox(ctx: AppContext, backend: BotBackend): NoticeOutbox {
  const prisma = ctx.db.prisma;
  const local = new EventEmitter();

  return {
    async channelDisabled(notice) {
      // Old rows go here too, so an installation whose bots never run keeps at most a day of them.
      await prisma.botNotice.deleteMany({ where: { createdAt: { lt: new Date(Date.now() - KEEP_MS) } } });
      const admins = await backend.adminIdentities();
      if (admins.length === 0) return;
      const payload = JSON.stringify(notice);
      await prisma.botNotice.createMany({
        data: admins.map((a) => ({ platform: a.platform, platformUserId: a.platformUserId, kind: 'channel-disabled', payload })),
      });
      local.emit('recorded');
      if (ctx.db.kind === 'postgresql') await prisma.$executeRawUnsafe(`NOTIFY ${NOTICE_CHANNEL}`);
    },

    async deliver(platforms, notifier) {
      if (platforms.length === 0) return 0;
      await prisma.botNotice.deleteMany({ where: { createdAt: { lt: new Date(Date.now() - KEEP_MS) } } });
      const pending = await prisma.botNotice.findMany({
        where: { platform: { in: [...platforms] }, sentAt: null, attempts: { lt: MAX_ATTEMPTS } },
        orderBy: { id: 'asc' },
        take: 100,
      });
      let sent = 0;
      for (const row of pending) {
        // Claimed before sending, so two deliverers never send one row twice; released again when the send failed.
        const claimed = await prisma.botNotice.updateMany({ where: { id: row.id, sentAt: null }, data: { sentAt: new Date(), attempts: { increment: 1 } } });
        if (claimed.count !== 1 || row.kind !== 'channel-disabled') continue;
        const notice = JSON.parse(row.payload) as ChannelDisabledNotice;
        if (await notifier.deliver({ platform: row.platform as Platform, platformUserId: row.platformUserId }, notice)) sent++;
        else await prisma.botNotice.update({ where: { id: row.id }, data: { sentAt: null } });
      }
      return sent;
    },

    onRecorded(listener) {
      local.on('recorded', listener);
      return () => local.off('recorded', listener);
    },
  };
}

/**
 * Every instance records the relay's "channel auto-disabled" events (whole channels only) and the circuit breaker's
 * incidents (a key or channel cooled down, or recovered: each announced by one instance only). Returns the unsubscribe.
 */
export function recordChannelAlerts(relay: Pick<RelayService, 'events'>, outbox: NoticeOutbox, log: BotLogger): () => void {
  // One recording at a time, in the order the events came: two at once (a key cooling down and recovering in quick
  // succession) could otherwise be written, and so told to admins, the other way round.
  let recorded: Promise<void> = Promise.resolve();
  const record = (notice: ChannelDisabledNotice): void => {
    recorded = recorded.then(() => outbox.channelDisabled(notice).catch((err: unknown) => log.error({ err }, 'could not record a channel alert')));
  };
  const listener = (event: { channelId: number; channelName: string; channelDisabled: boolean; reason: string }): void => {
    if (!event.channelDisabled) return;
    record({ channelId: event.channelId, channelName: event.channelName, reason: event.reason });
  };
  const incident = (event: ChannelIncident): void => {
    if (event.kind === 'disabled') return; // told by 'channel-disabled' above
    record({
      kind: event.kind,
      channelId: event.channelId,
      channelName: event.channelName,
      reason: event.reason,
      keyMask: event.keyMask,
      channelOut: event.channelOut,
      ...(event.until ? { until: event.until } : {}),
    });
  };
  relay.events.on('channel-disabled', listener);
  relay.events.on('channel-incident', incident);
  return () => {
    relay.events.off('channel-disabled', listener);
    relay.events.off('channel-incident', incident);
  };
}

/**
 * The delivery loop of the bot-running instance: on a local recording, on a NOTIFY from another instance, when a
 * platform starts here, and every `sweepMs`. One delivery at a time; a wake-up during one runs another after it.
 */
export function deliverNotices(
  outbox: NoticeOutbox,
  notifier: Notifier,
  platforms: () => readonly Platform[],
  log: BotLogger,
  sweepMs = 15_000,
): { wake(): void; stop(): void } {
  let running: Promise<void> | undefined;
  let again = false;
  const wake = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        await outbox.deliver(platforms(), notifier);
      } while (again);
    })()
      .catch((err: unknown) => log.warn({ err }, 'bot notices could not be delivered; the next sweep retries'))
      .finally(() => (running = undefined));
  };
  const unsubscribe = outbox.onRecorded(wake);
  const timer = setInterval(wake, sweepMs);
  timer.unref();
  return {
    wake,
    stop() {
      unsubscribe();
      clearInterval(timer);
    },
  };
}
