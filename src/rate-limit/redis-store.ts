// RateLimitStore in Redis: every instance counts in the same keys, each check-and-count one Lua script (atomic), timed
// by the Redis server's clock (instances whose clocks differ still agree on the buckets). Keys carry a prefix and a
// TTL, so nothing outlives its window. One Redis (not a cluster): the scripts build bucket keys from the server time.
import type { Redis } from 'ioredis';
import type { RateLimitStore, TakeResult, WindowTake } from './store.js';

const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

// KEYS: window keys; ARGV: windowMs, then limit and cost per key. Returns {1, bucket} or {0, index, waitMs}.
// The wait is waitMs() of store.ts.
const TAKE = `${NOW}
local w = tonumber(ARGV[1])
local bucket = math.floor(now / w)
local elapsed = now - bucket * w
local worst, refused = 0, 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 * i])
  local c = math.min(tonumber(ARGV[2 * i + 1]), limit)
  local curr = tonumber(redis.call('GET', key .. ':' .. bucket) or '0')
  local prev = tonumber(redis.call('GET', key .. ':' .. (bucket - 1)) or '0')
  if prev * (1 - elapsed / w) + curr + c > limit then
    local wait
    if curr + c <= limit and prev > 0 then
      wait = math.max(1, (1 - (limit - curr - c) / prev) * w - elapsed)
    else
      local fade = 0
      if curr > 0 then fade = math.max(0, 1 - (limit - c) / curr) end
      wait = w - elapsed + fade * w
    end
    if wait > worst then worst, refused = wait, i end
  end
end
if refused > 0 then return {0, refused - 1, math.ceil(worst)} end
for i, key in ipairs(KEYS) do
  local k = key .. ':' .. bucket
  redis.call('INCRBY', k, tonumber(ARGV[2 * i + 1]))
  redis.call('PEXPIRE', k, 2 * w + 1000)
end
return {1, bucket}`;

// KEYS[1]: the bucket's key; ARGV[1]: delta. Only a bucket that still exists is corrected, never below zero.
const ADJUST = `if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if v < 0 then redis.call('SET', KEYS[1], 0, 'KEEPTTL') end
return 1`;

// KEYS[1]: the slots' sorted set (member: call id, score: taken at); ARGV: id, limit, maxAgeMs.
const ACQUIRE = `${NOW}
local maxAge = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - maxAge)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], maxAge)
return 1`;

// KEYS: event logs (sorted sets); ARGV: windowMs, id, then max per key. Returns 0 (recorded) or the wait in ms.
const HIT = `${NOW}
local w = tonumber(ARGV[1])
local worst = 0
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - w)
  local n = redis.call('ZCARD', key)
  local max = tonumber(ARGV[2 + i])
  if n >= max then
    local e = redis.call('ZRANGE', key, n - max, n - max, 'WITHSCORES')
    worst = math.max(worst, tonumber(e[2]) + w - now, 1)
  end
end
if worst > 0 then return math.ceil(worst) end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[2])
  redis.call('PEXPIRE', key, w)
end
return 0`;

interface Scripts {
  rlTake(...args: (string | number)[]): Promise<number[]>;
  rlAdjust(key: string, delta: number): Promise<number>;
  rlAcquire(key: string, id: string, limit: number, maxAgeMs: number): Promise<number>;
  rlHit(...args: (string | number)[]): Promise<number>;
}

export class RedisRateLimitStore implements RateLimitStore {
  readonly #redis: Redis & Scripts;

  /** `prefix` names the keyspace (tests use their own). */
  constructor(
    redis: Redis,
    private readonly prefix = 'relay-station:rl:',
  ) {
    redis.defineCommand('rlTake', { lua: TAKE });
    redis.defineCommand('rlAdjust', { lua: ADJUST, numberOfKeys: 1 });
    redis.defineCommand('rlAcquire', { lua: ACQUIRE, numberOfKeys: 1 });
    redis.defineCommand('rlHit', { lua: HIT });
    this.#redis = redis as Redis & Scripts;
  }

  async take(windows: readonly WindowTake[], windowMs: number): Promise<TakeResult> {
    const keys = windows.map((w) => this.prefix + w.key);
    const args = windows.flatMap((w) => [w.limit, w.cost]);
    const [ok, a, b] = await this.#redis.rlTake(keys.length, ...keys, windowMs, ...args);
    return ok === 1 ? { ok: true, bucket: a! } : { ok: false, index: a!, retryAfterMs: b! };
  }

  async adjust(key: string, _windowMs: number, bucket: number, delta: number): Promise<void> {
    if (delta !== 0) await this.#redis.rlAdjust(`${this.prefix}${key}:${bucket}`, delta);
  }

  async acquireSlot(key: string, id: string, limit: number, maxAgeMs: number): Promise<boolean> {
    return (await this.#redis.rlAcquire(this.prefix + key, id, limit, maxAgeMs)) === 1;
  }

  async releaseSlot(key: string, id: string): Promise<void> {
    await this.#redis.zrem(this.prefix + key, id);
  }

  async hit(logs: readonly { key: string; max: number }[], windowMs: number, id: string): Promise<number> {
    const keys = logs.map((l) => this.prefix + l.key);
    return this.#redis.rlHit(keys.length, ...keys, windowMs, id, ...logs.map((l) => l.max));
  }

  async unhit(keys: readonly string[], id: string): Promise<void> {
    await Promise.all(keys.map((k) => this.#redis.zrem(this.prefix + k, id)));
  }

  async clear(key: string): Promise<void> {
    await this.#redis.del(this.prefix + key);
  }

  async close(): Promise<void> {}
}
