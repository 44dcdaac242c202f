// The RateLimitStore's two implementations behave alike: windows (take, refuse with a wait, adjust), slots (one per
// id, released once, leaked ones aged out) and event logs (hit, unhit, clear). Redis runs its Lua scripts for real.
import { describe, it, expect, afterAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { MemoryRateLimitStore } from '../../src/rate-limit/memory-store.js';
import { RedisRateLimitStore } from '../../src/rate-limit/redis-store.js';
import { waitMs, type RateLimitStore } from '../../src/rate-limit/store.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const redis = new Redis(REDIS_URL);
const prefix = `relay-test:${randomUUID()}:`;
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

const stores: [string, () => RateLimitStore][] = [
  ['memory', () => new MemoryRateLimitStore()],
  ['redis', () => new RedisRateLimitStore(redis, `${prefix}${randomUUID()}:`)],
];

describe('waitMs', () => {
  it('is 0 with room, the fade of the previous bucket when that makes room, else into the next bucket', () => {
    expect(waitMs(0, 4, 10_000, 60_000, 5, 1)).toBe(0);
    expect(waitMs(0, 5, 10_000, 60_000, 5, 1)).toBe(50_000 + 60_000 * (1 - 4 / 5)); // next bucket, then fading
    expect(waitMs(6, 0, 30_000, 60_000, 5, 1)).toBe(0); // half of 6 counted: room now
    expect(waitMs(10, 0, 30_000, 60_000, 5, 1)).toBeCloseTo((1 - 4 / 10) * 60_000 - 30_000, 6); // 5 counted + 1 > 5
    expect(waitMs(0, 0, 0, 60_000, 5, 500)).toBe(0); // larger than the limit: fits an empty window
  });
});

describe.each(stores)('RateLimitStore (%s)', (_name, make) => {
  it('windows: takes from all or none, refuses with a wait and the fullest window, adjusts a past take', async () => {
    const s = make();
    const both = (cost: number) => [
      { key: 'a', limit: 5, cost: 1 },
      { key: 'b', limit: 100, cost },
    ];
    let bucket = 0;
    for (let i = 0; i < 5; i++) {
      const r = await s.take(both(10), 60_000);
      expect(r.ok).toBe(true);
      if (r.ok) bucket = r.bucket;
    }
    const refused = await s.take(both(10), 60_000);
    expect(refused).toMatchObject({ ok: false, index: 0 });
    if (!refused.ok) expect(refused.retryAfterMs).toBeGreaterThan(0);
    // 'b' holds 50 of 100: 60 more does not fit, and the refusal took nothing from 'a' or 'b'.
    expect(await s.take([{ key: 'b', limit: 100, cost: 60 }], 60_000)).toMatchObject({ ok: false, index: 0 });
    await s.adjust('b', 60_000, bucket, -30); // settle: 30 fewer than taken
    expect(await s.take([{ key: 'b', limit: 100, cost: 60 }], 60_000)).toMatchObject({ ok: true });
    expect(await s.take([{ key: 'b', limit: 100, cost: 21 }], 60_000)).toMatchObject({ ok: false }); // 80 held
  });

  it('slots: one per id up to the limit, released once, leaked ones aged out', async () => {
    const s = make();
    expect(await s.acquireSlot('slots', 'x', 2, 60_000)).toBe(true);
    expect(await s.acquireSlot('slots', 'y', 2, 60_000)).toBe(true);
    expect(await s.acquireSlot('slots', 'z', 2, 60_000)).toBe(false);
    await s.releaseSlot('slots', 'x');
    await s.releaseSlot('slots', 'x'); // twice changes nothing
    expect(await s.acquireSlot('slots', 'z', 2, 60_000)).toBe(true);
    expect(await s.acquireSlot('slots', 'w', 2, 60_000)).toBe(false);
    expect(await s.acquireSlot('old', 'p', 1, 50)).toBe(true);
    await new Promise((r) => setTimeout(r, 120)); // its holder died: the slot ages out
    expect(await s.acquireSlot('old', 'q', 1, 50)).toBe(true);
  });

  it('logs: hit until one log is full (then nothing recorded), unhit takes one back, clear empties', async () => {
    const s = make();
    const logs = [
      { key: 'pair', max: 2 },
      { key: 'client', max: 3 },
    ];
    expect(await s.hit(logs, 60_000, 'e1')).toBe(0);
    expect(await s.hit(logs, 60_000, 'e2')).toBe(0);
    const wait = await s.hit(logs, 60_000, 'e3');
    expect(wait).toBeGreaterThan(59_000);
    expect(wait).toBeLessThanOrEqual(60_000);
    await s.unhit(['pair', 'client'], 'e2');
    expect(await s.hit(logs, 60_000, 'e4')).toBe(0);
    expect(await s.hit([{ key: 'client', max: 3 }], 60_000, 'e5')).toBe(0); // client: e1, e4, e5
    expect(await s.hit([{ key: 'client', max: 3 }], 60_000, 'e6')).toBeGreaterThan(0);
    await s.clear('client');
    expect(await s.hit([{ key: 'client', max: 3 }], 60_000, 'e7')).toBe(0);
  });
});

describe('RelayRateLimiter when the store fails', () => {
  it('lets the call through (logged), releasing any slot it took', async () => {
    const { RelayRateLimiter } = await import('../../src/relay/rate-limits.js');
    const store = new MemoryRateLimitStore();
    store.take = async () => {
      throw new Error('redis down');
    };
    const errors: unknown[] = [];
    const limiter = new RelayRateLimiter(store, 60_000, (err) => errors.push(err));
    const call = { id: 'req-1' } as Parameters<typeof limiter.admit>[0];
    const limits = { tokenId: 7, userId: 1, group: 'default', tokenRpm: 5, tokenTpm: null, tokenConcurrent: 1, groupRpm: null, groupTpm: null };
    expect(await limiter.admit(call, limits, 100)).toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(store.slotsHeld('t:7:slots')).toBe(0);
  });
});
