// Cache invalidation across instances through PostgreSQL LISTEN/NOTIFY (no Redis): what one instance publishes, the
// others hear once (the publisher hears its own change once, locally); a listener whose connection dies reconnects
// and treats every topic as changed.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import pg from 'pg';
import { createPgBus } from '../../src/cache/pg-bus.js';
import type { InvalidationBus } from '../../src/cache/bus.js';
import { createTestDatabase, PG_ADMIN_URL, type TestDatabase } from '../helpers/context.js';
import { eventually } from '../helpers/relay.js';

const quiet = { warn() {}, info() {} };

describe('PostgreSQL invalidation bus', () => {
  let database: TestDatabase;
  const pools: pg.Pool[] = [];
  const buses: InvalidationBus[] = [];
  const instance = async () => {
    const pool = new pg.Pool({ connectionString: database.url, max: 2 });
    pools.push(pool);
    const bus = await createPgBus(database.url, pool, quiet);
    buses.push(bus);
    return bus;
  };
  beforeAll(async () => {
    database = await createTestDatabase('postgresql');
  });
  afterAll(async () => {
    for (const b of buses) await b.close();
    for (const p of pools) await p.end();
    await database?.drop();
  });

  it('delivers a topic to the other instances once, and to the publisher once', async () => {
    const a = await instance();
    const b = await instance();
    const heard = { a: 0, b: 0, bOther: 0 };
    a.subscribe('options', () => heard.a++);
    b.subscribe('options', () => heard.b++);
    b.subscribe('tokens', () => heard.bOther++);
    a.publish('options');
    await eventually(() => expect(heard.b).toBe(1));
    await new Promise((r) => setTimeout(r, 100)); // nothing more arrives late
    expect(heard).toEqual({ a: 1, b: 1, bOther: 0 });
  });

  it('reconnects after its connection is killed, and then drops what it cached', async () => {
    const a = await instance();
    const b = await instance();
    let heard = 0;
    b.subscribe('channels', () => heard++);
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    const name = new URL(database.url).pathname.slice(1);
    const killed = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN%'`, [name]);
    await admin.end();
    expect(killed.rowCount).toBeGreaterThanOrEqual(2);
    // On reconnect every topic counts as changed (notifications sent while it was away are lost).
    await eventually(() => expect(heard).toBeGreaterThanOrEqual(1));
    const before = heard;
    a.publish('channels');
    await eventually(() => expect(heard).toBe(before + 1));
  });
});
