// Who runs a bot: PostgreSQL advisory locks on a connection of their own (bots/leadership.ts). One holder per bot; the
// next takes over when the holder closes or its session ends; a holder whose connection dies stops its bot at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { botLockName, postgresLeadership, soleLeadership, type Leadership } from '../../bots/leadership.js';
import { createTestDatabase, type TestDatabase } from '../helpers/context.js';
import { eventually } from '../helpers/relay.js';
import { createMemoryLogger } from './core-suite.js';

describe('bot leadership on PostgreSQL', () => {
  let database: TestDatabase;
  const open: Leadership[] = [];
  const log = createMemoryLogger();

  beforeAll(async () => {
    database = await createTestDatabase('postgresql');
  });
  afterAll(async () => {
    await Promise.all(open.map((l) => l.close()));
    await database?.drop();
  });

  /** An instance: its leadership, and a log of the bot starts and stops it made. */
  function instance(name: string) {
    const events: string[] = [];
    const leadership = postgresLeadership(database.url, log, { retryMs: 100 });
    open.push(leadership);
    const run = (bot: string) =>
      leadership.run(bot, async () => {
        events.push(`${name} starts ${bot}`);
        return async () => void events.push(`${name} stops ${bot}`);
      });
    return { leadership, events, run };
  }

  it('runs each bot on one instance, and hands it over when that one goes', async () => {
    const a = instance('A');
    const b = instance('B');
    const telegram = botLockName('telegram', 'token-1');
    a.run(telegram);
    await eventually(() => expect(a.events).toEqual([`A starts ${telegram}`]));
    b.run(telegram);
    // Another bot (another token) is free: B takes that one.
    const discord = botLockName('discord', 'token-2');
    b.run(discord);
    await eventually(() => expect(b.events).toEqual([`B starts ${discord}`]));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(b.events).toEqual([`B starts ${discord}`]);

    await a.leadership.close();
    expect(a.events).toEqual([`A starts ${telegram}`, `A stops ${telegram}`]);
    await eventually(() => expect(b.events).toContain(`B starts ${telegram}`));
    expect(b.leadership.held).toEqual(new Set([telegram, discord]));
  });

  it('stops the bot at once when its lock connection dies, and takes it back once it can', async () => {
    const c = instance('C');
    const bot = botLockName('onebot', 'ws://napcat');
    c.run(bot);
    await eventually(() => expect(c.events).toEqual([`C starts ${bot}`]));
    // The database ends the session (a network failure, a failover): the lock is gone with it.
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    // Only this test's database: pg_locks lists every database's locks, and ending another test's lock connections
    // (bots/takeover.test.ts running at the same time) made that test lose its bot.
    await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_locks
        WHERE locktype = 'advisory' AND pid <> pg_backend_pid() AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    await admin.end();
    await eventually(() => expect(c.events).toContain(`C stops ${bot}`));
    await eventually(() => expect(c.events.filter((e) => e === `C starts ${bot}`)).toHaveLength(2), 5_000);
    expect(log.lines.some((l) => l.msg === 'bot lock connection lost; stopping the bots this instance ran')).toBe(true);
  });

  it('wakes listeners on NOTIFY', async () => {
    const d = instance('D');
    let woken = 0;
    d.leadership.listen('relay_bot_notices', () => void woken++);
    d.run(botLockName('qq', 'app'));
    await eventually(() => expect(d.leadership.held.size).toBe(1));
    const other = new pg.Client({ connectionString: database.url });
    await other.connect();
    await other.query('NOTIFY relay_bot_notices');
    await other.end();
    await eventually(() => expect(woken).toBe(1));
  });
});

describe('bot leadership on SQLite', () => {
  it('runs every bot at once: one process owns the database', async () => {
    const events: string[] = [];
    const leadership = soleLeadership(createMemoryLogger());
    leadership.run('telegram:x', async () => {
      events.push('start');
      return async () => void events.push('stop');
    });
    await eventually(() => expect(events).toEqual(['start']));
    await leadership.close();
    expect(events).toEqual(['start', 'stop']);
  });
});
