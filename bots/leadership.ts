// Exactly one instance runs each bot. Every instance may carry the bot variables; on PostgreSQL they compete for one
// session-level advisory lock per bot, held on a connection of its own: the holder runs the bot, the others retry
// every few seconds. When the holder dies, PostgreSQL ends its session (at once when the process is killed: the socket
// closes; within about 10 s when the whole host vanishes, by the TCP keepalives set below) and releases the lock; the
// next retry elsewhere takes it and starts the bot. An instance whose lock connection fails stops its bots at once,
// before anyone else can take over. SQLite is one process: it simply runs its bots.
//
// The same connection LISTENs for wake-ups (NOTIFY), so the bot-running instance hears at once when another instance
// queued something for its chats (bots/notice-outbox.ts).
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { BotLogger } from './core/index.js';

/** Starts a bot; resolves to the function that stops it. */
export type BotStarter = () => Promise<() => Promise<void>>;

export interface Leadership {
  /** Runs the bot while this instance holds `lockName` (started once the lock is taken, stopped when it is lost). */
  run(lockName: string, start: BotStarter): void;
  /** Calls `listener` on every NOTIFY on `channel` (PostgreSQL; never on SQLite, where everything is in-process). */
  listen(channel: string, listener: () => void): void;
  /** The bots this instance runs now (tests, logs). */
  readonly held: ReadonlySet<string>;
  /** Stops the bots and releases every lock. */
  close(): Promise<void>;
}

export interface LeadershipOptions {
  /** How often a waiting instance tries the locks and checks its connection (default 2 s). */
  retryMs?: number;
}

const DEFAULT_RETRY_MS = 2_000;
/** Every lock of ours is (LOCK_CLASS, hash of the bot); the class keeps them apart from other advisory locks. */
const LOCK_CLASS = int32Of('relay-station bots');

/** A signed 32-bit key from text (pg_try_advisory_lock(int, int)). */
function int32Of(text: string): number {
  return createHash('sha256').update(text).digest().readInt32BE(0);
}

/** The lock name of a bot: its platform and a hash of its credential, so two different bots never share a lock. */
export function botLockName(platform: string, credential: string): string {
  return `${platform}:${createHash('sha256').update(credential).digest('hex').slice(0, 16)}`;
}

/** SQLite: one process owns the database and its bots. */
export function soleLeadership(log: BotLogger): Leadership {
  const stops = new Map<string, Promise<(() => Promise<void>) | undefined>>();
  return {
    run(lockName, start) {
      stops.set(
        lockName,
        start().catch((err: unknown) => {
          log.error({ err, bot: lockName }, 'bot failed to start');
          return undefined;
        }),
      );
    },
    listen() {},
    get held() {
      return new Set(stops.keys());
    },
    async close() {
      await Promise.allSettled([...stops.values()].map(async (stop) => (await stop)?.()));
      stops.clear();
    },
  };
}

interface Wanted {
  start: BotStarter;
  key: number;
  /** Set while this instance runs the bot. */
  running?: Promise<(() => Promise<void>) | undefined>;
}

/** PostgreSQL: advisory locks on a dedicated connection, retried every `retryMs`. */
export function postgresLeadership(databaseUrl: string, log: BotLogger, opts: LeadershipOptions = {}): Leadership {
  const retryMs = opts.retryMs ?? DEFAULT_RETRY_MS;
  const wanted = new Map<string, Wanted>();
  const listeners = new Map<string, Array<() => void>>();
  let client: pg.Client | undefined;
  let connecting: Promise<pg.Client | undefined> | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> = Promise.resolve();

  async function connect(): Promise<pg.Client | undefined> {
    const c = new pg.Client({ connectionString: databaseUrl, keepAlive: true, keepAliveInitialDelayMillis: 5_000 });
    c.on('error', (err) => lost(c, err));
    c.on('end', () => lost(c, new Error('the lock connection ended')));
    c.on('notification', (n) => {
      for (const listener of listeners.get(n.channel) ?? []) listener();
    });
    try {
      await c.connect();
      // The server notices a vanished host within ~11 s (not the 2 hours of the system default), ending its session
      // and so releasing its locks for the others.
      await c.query('SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3');
      for (const channel of listeners.keys()) await c.query(`LISTEN "${channel}"`);
      return c;
    } catch (err) {
      log.warn({ err: { message: (err as Error).message } }, 'bot lock connection failed; retrying');
      c.removeAllListeners('end');
      await c.end().catch(() => undefined);
      return undefined;
    }
  }

  /** The connection is gone, and with it every lock it held: stop those bots now, before another instance starts them. */
  function lost(c: pg.Client, err: Error): void {
    if (client !== c) return;
    client = undefined;
    if (!closed) log.warn({ err: { message: err.message } }, 'bot lock connection lost; stopping the bots this instance ran');
    for (const [name, w] of wanted) {
      if (w.running) void stopBot(name, w);
    }
  }

  async function stopBot(name: string, w: Wanted): Promise<void> {
    const running = w.running;
    w.running = undefined;
    const stop = await running;
    try {
      await stop?.();
      log.info({ bot: name }, 'bot stopped');
    } catch (err) {
      log.error({ err, bot: name }, 'bot did not stop cleanly');
    }
  }

  /** One round: make sure there is a connection, check it, take the free locks we want and start those bots. */
  async function tick(): Promise<void> {
    if (closed) return;
    if (!client) {
      connecting ??= connect().finally(() => (connecting = undefined));
      const c = await connecting;
      if (!c || closed) {
        await c?.end().catch(() => undefined);
        return;
      }
      client = c;
    }
    const c = client;
    try {
      for (const [name, w] of wanted) {
        if (w.running) continue;
        const { rows } = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::int, $2::int) AS ok', [LOCK_CLASS, w.key]);
        if (!rows[0]?.ok || closed) continue;
        log.info({ bot: name }, 'this instance runs the bot now');
        w.running = w.start().catch((err: unknown) => {
          log.error({ err, bot: name }, 'bot failed to start');
          return undefined;
        });
      }
      // Proves the connection (so the locks) still alive when nothing was to be taken.
      await c.query('SELECT 1');
    } catch (err) {
      lost(c, err as Error);
      await c.end().catch(() => undefined);
    }
  }

  function schedule(): void {
    if (closed) return;
    timer = setTimeout(() => {
      round = tick().finally(schedule);
    }, retryMs);
    timer.unref();
  }

  round = tick().finally(schedule);

  return {
    run(lockName, start) {
      wanted.set(lockName, { start, key: int32Of(lockName) });
      round = round.then(tick);
    },
    listen(channel, listener) {
      const list = listeners.get(channel) ?? [];
      list.push(listener);
      listeners.set(channel, list);
      if (client && list.length === 1) client.query(`LISTEN "${channel}"`).catch(() => undefined);
    },
    get held() {
      return new Set([...wanted].filter(([, w]) => w.running).map(([name]) => name));
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      await round.catch(() => undefined);
      await Promise.all([...wanted].map(([name, w]) => (w.running ? stopBot(name, w) : undefined)));
      const c = client;
      client = undefined;
      // Ending the session releases the locks: the next instance takes over within one retry.
      await c?.end().catch(() => undefined);
    },
  };
}
