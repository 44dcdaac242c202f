// Cache invalidation across instances through Redis pub/sub: what one instance publishes, the others hear (and the
// publisher hears its own change once, locally, not twice).
import { describe, it, expect, afterAll } from 'vitest';
import { Redis } from 'ioredis';
import { createRedisBus, type InvalidationBus } from '../../src/cache/bus.js';
import { eventually } from '../helpers/relay.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('Redis invalidation bus', () => {
  const connections: Redis[] = [];
  const buses: InvalidationBus[] = [];
  const instance = async () => {
    const pub = new Redis(REDIS_URL);
    const sub = new Redis(REDIS_URL);
    connections.push(pub, sub);
    const bus = await createRedisBus(pub, sub);
    buses.push(bus);
    return bus;
  };
  afterAll(async () => {
    for (const b of buses) await b.close();
    for (const c of connections) c.disconnect();
  });

  it('delivers a topic to the other instances once, and to the publisher once', async () => {
    const a = await instance();
    const b = await instance();
    const heard = { a: 0, b: 0, bOther: 0 };
    a.subscribe('channels', () => heard.a++);
    b.subscribe('channels', () => heard.b++);
    b.subscribe('tokens', () => heard.bOther++);
    a.publish('channels');
    await eventually(() => expect(heard.b).toBe(1));
    await new Promise((r) => setTimeout(r, 100)); // nothing more arrives late
    expect(heard).toEqual({ a: 1, b: 1, bOther: 0 });
  });
});
