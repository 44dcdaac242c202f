// Two instances on one PostgreSQL database, as operators run them: a change made through one is in force on the other
// within a second (LISTEN/NOTIFY without Redis; Redis pub/sub with it), and with Redis the rate limits and the guess
// limits are counted once for both.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import { Redis } from 'ioredis';
import { createTestApp, createTestDatabase, type InstanceParts, type TestApp, type TestDatabase } from '../helpers/context.js';
import { addChannel, listen, seedAccount, type SeededAccount } from '../helpers/relay.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import { createPgBus } from '../../src/cache/pg-bus.js';
import { createRedisBus } from '../../src/cache/bus.js';
import { RedisRateLimitStore } from '../../src/rate-limit/redis-store.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const hi = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'Hi' }], max_tokens: 10 };

interface Cluster {
  a: TestApp;
  b: TestApp;
  urls: [string, string];
  close(): Promise<void>;
}

/** Two instances on a fresh PostgreSQL database; `parts` gives each its bus and store (called once per instance). */
async function startCluster(parts: () => InstanceParts, cleanup: () => Promise<void> = async () => {}): Promise<Cluster> {
  const database: TestDatabase = await createTestDatabase('postgresql');
  const a = await createTestApp('postgresql', {}, {}, { database, ...parts() });
  const b = await createTestApp('postgresql', {}, {}, { database, ...parts() });
  const urls: [string, string] = [await listen(a), await listen(b)];
  return {
    a,
    b,
    urls,
    async close() {
      await a.close();
      await b.close();
      await cleanup();
      await database.drop();
    },
  };
}

/** The price change through A, and the charge of calls on B until it follows (polled for up to 3 s). */
async function priceChangeReachesB(c: Cluster, up: FakeOpenAI): Promise<number> {
  await c.a.app.inject({ method: 'PATCH', url: '/api/options', headers: c.a.admin, payload: { modelRatios: { 'gpt-4o-mini': 1 }, completionRatios: { 'gpt-4o-mini': 1 } } });
  await addChannel(c.a, { baseUrl: up.url, models: ['gpt-4o-mini'] });
  const account = await seedAccount(c.a);
  const onB = new OpenAI({ apiKey: account.key, baseURL: `${c.urls[1]}/v1`, maxRetries: 0 });
  const lastCharge = async () => {
    await onB.chat.completions.create(hi);
    const row = await c.b.ctx.db.prisma.usageLog.findFirstOrThrow({ where: { userId: account.userId }, orderBy: { id: 'desc' } });
    return Number(row.quota);
  };
  // B has the channel, the token and the old price (12 prompt + 9 completion tokens at ratio 1).
  for (let i = 0; ; i++) {
    try {
      expect(await lastCharge()).toBe(21);
      break;
    } catch (err) {
      if (i > 150) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  const changed = await c.a.app.inject({ method: 'PATCH', url: '/api/options', headers: c.a.admin, payload: { modelRatios: { 'gpt-4o-mini': 3 } } });
  expect(changed.statusCode).toBe(200);
  const start = Date.now();
  for (;;) {
    const charge = await lastCharge();
    if (charge === 63) return Date.now() - start;
    expect(charge).toBe(21);
    if (Date.now() - start > 3000) throw new Error('B still charges the old price 3 s after the change through A');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('two instances on PostgreSQL without Redis (LISTEN/NOTIFY)', () => {
  let up: FakeOpenAI;
  let c: Cluster;
  beforeAll(async () => {
    up = await startFakeOpenAI({ keys: ['sk-upstream'] });
    c = await startCluster(() => ({ bus: (db, config) => createPgBus(config.databaseUrl, (db as Extract<typeof db, { kind: 'postgresql' }>).pool, { warn() {}, info() {} }) }));
  });
  afterAll(async () => {
    await c?.close();
    await up?.close();
  });

  it('a price change through A applies on B within a second', async () => {
    const ms = await priceChangeReachesB(c, up);
    expect(ms).toBeLessThan(3000); // in practice a few milliseconds; the poll bounds how long we wait
  });

  it('a token disabled through A is refused on B', async () => {
    const account = await seedAccount(c.a);
    const onB = new OpenAI({ apiKey: account.key, baseURL: `${c.urls[1]}/v1`, maxRetries: 0 });
    await onB.chat.completions.create(hi); // B caches the token
    const res = await c.a.app.inject({ method: 'PATCH', url: `/api/tokens/${account.tokenId}`, headers: c.a.admin, payload: { status: 'disabled' } });
    expect(res.statusCode).toBe(200);
    const start = Date.now();
    for (;;) {
      const err = await onB.chat.completions.create(hi).then(() => undefined, (e: unknown) => e);
      if (err) {
        expect(err).toMatchObject({ status: 401 });
        break;
      }
      if (Date.now() - start > 3000) throw new Error('B still accepts the token disabled through A');
      await new Promise((r) => setTimeout(r, 20));
    }
  });
});

describe('two instances on PostgreSQL with Redis', () => {
  let up: FakeOpenAI;
  let c: Cluster;
  const connections: Redis[] = [];
  const prefix = `relay-test:${randomUUID()}:`;
  const redis = () => {
    const r = new Redis(REDIS_URL);
    connections.push(r);
    return r;
  };

  beforeAll(async () => {
    up = await startFakeOpenAI({ keys: ['sk-upstream'] });
    c = await startCluster(
      () => {
        const publisher = redis();
        return { bus: () => createRedisBus(publisher, redis()), rateLimits: new RedisRateLimitStore(publisher, prefix) };
      },
      async () => {
        const keys = await connections[0]!.keys(`${prefix}*`);
        if (keys.length) await connections[0]!.del(...keys);
        for (const r of connections) r.disconnect();
      },
    );
  });
  afterAll(async () => {
    await c?.close();
    await up?.close();
  });

  it('a price change through A applies on B within a second', async () => {
    expect(await priceChangeReachesB(c, up)).toBeLessThan(3000);
  });

  it('rpm 5 is counted once for both: the 6th call in a minute gets 429 with Retry-After from either instance', async () => {
    const account: SeededAccount = await seedAccount(c.a);
    await c.a.app.inject({ method: 'PATCH', url: `/api/tokens/${account.tokenId}`, headers: c.a.admin, payload: { rpm: 5 } });
    const [onA, onB] = c.urls.map((u) => new OpenAI({ apiKey: account.key, baseURL: `${u}/v1`, maxRetries: 0 }));
    for (let i = 0; i < 5; i++) await (i % 2 ? onB! : onA!).chat.completions.create(hi);
    for (const client of [onA!, onB!]) {
      const err = (await client.chat.completions.create(hi).then(() => undefined, (e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
      expect(err).toBeInstanceOf(OpenAI.RateLimitError);
      expect((err.error as { code: string }).code).toBe('rate_limited');
      expect(err.headers?.get('retry-after')).toMatch(/^[1-9]\d*$/);
    }
    const logged = await c.a.ctx.db.prisma.usageLog.count({ where: { userId: account.userId } });
    expect(logged).toBe(5);
  });

  it('wrong passwords are counted once for both instances', async () => {
    const username = `guess-${randomUUID().slice(0, 8)}`;
    await c.a.app.inject({ method: 'POST', url: '/api/users', headers: c.a.admin, payload: { username, password: 'right-password-123' } });
    const login = (t: TestApp, password: string) =>
      t.app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '203.0.113.9', payload: { username, password } });
    for (let i = 0; i < 5; i++) expect((await login(i % 2 ? c.b : c.a, 'wrong-password')).statusCode).toBe(401);
    const limited = await login(c.b, 'right-password-123');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toMatch(/^[1-9]\d*$/);
  });
});
