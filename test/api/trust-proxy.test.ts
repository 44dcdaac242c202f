// TRUST_PROXY decides whose X-Forwarded-For the relay believes, and so which address token allowIps and the login
// limit see: nobody's, everybody's (true: anyone can claim any address), the nearest N hops, or listed proxies.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ConfigError, loadConfig, type TrustProxy } from '../../src/config.js';
import { buildApp } from '../../src/app.js';
import { createTestContext, dbKinds, type TestContext } from '../helpers/context.js';
import { seedAccount, type SeededAccount } from '../helpers/relay.js';

const trustOf = (value: string): TrustProxy => loadConfig({ TRUST_PROXY: value }).trustProxy;

describe('TRUST_PROXY parsing', () => {
  it('takes true/false, a hop count, or a list of addresses, subnets and range names', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    for (const word of ['true', 'TRUE', 'yes', 'on']) expect(trustOf(word)).toBe(true);
    for (const word of ['false', 'no', 'off', '0']) expect(trustOf(word)).toBe(false);
    expect(trustOf('1')).toEqual({ hops: 1 });
    expect(trustOf('2')).toEqual({ hops: 2 });
    expect(trustOf('127.0.0.1')).toEqual({ proxies: ['127.0.0.1'] });
    expect(trustOf(' 127.0.0.1, 10.0.0.0/8 ,::1,fd00::/8, Loopback ')).toEqual({ proxies: ['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', 'loopback'] });
  });

  it('refuses anything else with a message naming the variable and the bad entry', () => {
    const cases: Array<[string, RegExp]> = [
      ['maybe', /TRUST_PROXY must be true, false, a hop count .* "maybe" is none of these/],
      ['127.0.0.1,10.0.0.0/33', /"10.0.0.0\/33" is none of these/],
      ['127.1', /"127.1" is none of these/],
      ['10.0.0.1,,10.0.0.2', /"" is none of these/],
      ['-1', /"-1" is none of these/],
      ['1.5', /"1.5" is none of these/],
      ['33', /TRUST_PROXY hop count must be at most 32, got 33/],
    ];
    for (const [value, message] of cases) {
      expect(() => trustOf(value), value).toThrow(ConfigError);
      expect(() => trustOf(value), value).toThrow(message);
    }
  });
});

describe.each(dbKinds)('TRUST_PROXY decides the client address on %s', (kind) => {
  let ctx: TestContext;
  let account: SeededAccount;
  const apps: FastifyInstance[] = [];

  beforeAll(async () => {
    ctx = await createTestContext(kind);
    account = await seedAccount({ ctx }, { allowIps: ['203.0.113.7'] });
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await ctx?.cleanup();
  });

  /** An app with this TRUST_PROXY, on the shared database. */
  const appWith = async (value: string): Promise<FastifyInstance> => {
    const app = await buildApp({ ...ctx, config: { ...ctx.config, trustProxy: trustOf(value) } });
    apps.push(app);
    return app;
  };

  /** The address the relay saw: 'allowed' when it was the allow-listed 203.0.113.7, else the refused address. */
  const seen = async (app: FastifyInstance, remoteAddress: string, forwardedFor?: string): Promise<string> => {
    const res = await app.inject({
      url: '/v1/models',
      remoteAddress,
      headers: { authorization: `Bearer ${account.key}`, ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
    });
    if (res.statusCode === 200) return 'allowed';
    expect(res.statusCode, res.body).toBe(403);
    return /requests from (\S+) are not allowed/.exec((res.json() as { error: { message: string } }).error.message)![1]!;
  };

  it('false: the socket address, whatever the header says', async () => {
    const app = await appWith('false');
    expect(await seen(app, '127.0.0.1', '203.0.113.7')).toBe('127.0.0.1');
  });

  it('true: any client can claim any address (why a list is the safe choice)', async () => {
    const app = await appWith('true');
    expect(await seen(app, '198.51.100.9', '203.0.113.7')).toBe('allowed'); // a direct client forging the header
    expect(await seen(app, '127.0.0.1', 'not-an-address')).toBe('not-an-address'); // garbage is refused, not a 500
  });

  it('a hop count trusts only the nearest hops: a forged leftmost entry is ignored', async () => {
    const one = await appWith('1');
    expect(await seen(one, '127.0.0.1', '203.0.113.7')).toBe('allowed');
    expect(await seen(one, '127.0.0.1', '203.0.113.7, 198.51.100.1')).toBe('198.51.100.1');
    const two = await appWith('2');
    expect(await seen(two, '127.0.0.1', '203.0.113.7, 10.0.0.2')).toBe('allowed');
    expect(await seen(two, '127.0.0.1', '203.0.113.7, 198.51.100.1, 10.0.0.2')).toBe('198.51.100.1');
  });

  it('a list trusts only the listed proxies: a direct client cannot claim an address', async () => {
    const app = await appWith('127.0.0.1,10.0.0.0/8');
    expect(await seen(app, '127.0.0.1', '203.0.113.7, 10.0.0.2')).toBe('allowed');
    expect(await seen(app, '127.0.0.1', '203.0.113.7, 198.51.100.1')).toBe('198.51.100.1');
    expect(await seen(app, '198.51.100.9', '203.0.113.7')).toBe('198.51.100.9');
    const named = await appWith('loopback');
    expect(await seen(named, '127.0.0.1', '203.0.113.7')).toBe('allowed');
    expect(await seen(named, '192.0.2.1', '203.0.113.7')).toBe('192.0.2.1');
  });
});
