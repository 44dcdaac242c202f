import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestApp, dbKinds, type TestApp } from '../helpers/context.js';
import { hashSecret } from '../../src/auth/secrets.js';
import { FailureWindow, GuessLimiter, LOGIN_KEY_TTL_MS } from '../../src/services/auth.js';
import { RelayError } from '../../src/errors.js';
import { MemoryRateLimitStore } from '../../src/rate-limit/memory-store.js';
import { dumpDatabase, expectError, makeUser } from './account-helpers.js';

describe('FailureWindow', () => {
  it('allows maxFailures attempts per window, then says how long to wait (counting nothing), and slides', async () => {
    let now = 1_000_000;
    const limiter = new FailureWindow(3, 60_000, new MemoryRateLimitStore(() => now));
    const key = 'alice\u000010.0.0.1';
    for (let i = 0; i < 3; i++) {
      expect(await limiter.tryAttempt(key)).toBe(0);
      now += 10_000;
    }
    // Attempts at 0 s, 10 s, 20 s; now 30 s: the first one expires at 60 s.
    expect(await limiter.tryAttempt(key)).toBe(30);
    expect(await limiter.tryAttempt('alice\u000010.0.0.2')).toBe(0);
    now += 30_000;
    expect(await limiter.tryAttempt(key)).toBe(0); // counted at 60 s
    expect(await limiter.tryAttempt(key)).toBe(10); // 10 s, 20 s, 60 s: the 10 s one expires at 70 s
    await limiter.reset(key);
    expect(await limiter.tryAttempt(key)).toBe(0);
  });

  it('keeps at most maxKeys keys', async () => {
    const limiter = new FailureWindow(5, 60_000, new MemoryRateLimitStore(Date.now, 10));
    for (let i = 0; i < 50; i++) await limiter.tryAttempt(`k${i}`);
    for (let i = 0; i < 4; i++) await limiter.tryAttempt('k49');
    expect(await limiter.tryAttempt('k49')).toBeGreaterThan(0);
    expect(await limiter.tryAttempt('k0')).toBe(0);
  });
});

describe('GuessLimiter', () => {
  const wrong = new RelayError('invalid_key', 'wrong');
  const guess = (limiter: GuessLimiter, account: string, client: string, right = false) =>
    limiter.attempt({ account, client }, async () => {
      if (!right) throw wrong;
      return 'ok';
    }, (err) => err === wrong);

  it('limits per account + client, per client across accounts, and per account across clients', async () => {
    const limiter = new GuessLimiter({ perPair: 2, perClient: 3, perAccount: 4, windowMs: 60_000 });
    const limited = (p: Promise<unknown>) => expect(p).rejects.toMatchObject({ code: 'rate_limited', status: 429 });
    await expect(guess(limiter, 'Ann', 'ip1')).rejects.toBe(wrong);
    await expect(guess(limiter, 'ann', 'ip1')).rejects.toBe(wrong); // usernames are case-insensitive here
    await limited(guess(limiter, 'ann', 'ip1', true)); // the pair is full: even the right secret waits
    await expect(guess(limiter, 'bob', 'ip1')).rejects.toBe(wrong); // third failure from ip1
    await limited(guess(limiter, 'cat', 'ip1')); // ip1 is full across accounts
    await expect(guess(limiter, 'ann', 'ip2')).rejects.toBe(wrong);
    await expect(guess(limiter, 'ann', 'ip3')).rejects.toBe(wrong); // fourth failure against ann
    await limited(guess(limiter, 'ann', 'ip4', true)); // ann is full across clients
    await expect(guess(limiter, 'dan', 'ip4', true)).resolves.toBe('ok');
  });

  it('counts an attempt before checking (parallel guesses cannot slip past), forgives right ones and other errors', async () => {
    const limiter = new GuessLimiter({ perPair: 3, perClient: 100, perAccount: 100, windowMs: 60_000 });
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => guess(limiter, 'eve', 'ip')));
    expect(results.filter((r) => r.status === 'rejected' && r.reason === wrong)).toHaveLength(3);
    const other = new GuessLimiter({ perPair: 1, perClient: 1, perAccount: 1, windowMs: 60_000 });
    const unrelated = new RelayError('account_disabled', 'disabled');
    for (let i = 0; i < 3; i++) {
      await expect(other.attempt({ account: 'x', client: 'y' }, async () => { throw unrelated; }, (err) => err === wrong)).rejects.toBe(unrelated);
      await expect(guess(other, 'x', 'y', true)).resolves.toBe('ok');
    }
  });
});

describe.each(dbKinds)('auth API on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(async () => t?.close());

  it('logs in with username and password and returns a 7-day login key (only its hash stored)', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/users',
      headers: t.admin,
      payload: { username: 'alice', password: 'alice-password-1' },
    });
    expect(created.statusCode).toBe(201);
    const before = Date.now();
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'alice', password: 'alice-password-1' },
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { key: string; expiresAt: string };
    expect(Object.keys(body).sort()).toEqual(['expiresAt', 'key']);
    expect(body.key).toMatch(/^rsm-[A-Za-z0-9]{48}$/);
    const expires = Date.parse(body.expiresAt);
    expect(expires).toBeGreaterThanOrEqual(before + LOGIN_KEY_TTL_MS);
    expect(expires).toBeLessThanOrEqual(Date.now() + LOGIN_KEY_TTL_MS);
    expect(LOGIN_KEY_TTL_MS).toBe(7 * 24 * 3600 * 1000);

    const row = await t.ctx.db.prisma.managementKey.findUnique({ where: { keyHash: hashSecret(body.key) } });
    expect(row?.kind).toBe('login');
    expect(row?.expiresAt?.toISOString()).toBe(body.expiresAt);
    expect(await dumpDatabase(t.ctx.db)).not.toContain(body.key);

    const me = await t.app.inject({ url: '/api/me', headers: { authorization: `Bearer ${body.key}` } });
    expect(me.statusCode).toBe(200);
    expect((me.json() as { username: string }).username).toBe('alice');
  });

  it('refuses a wrong password and an unknown username alike (401 invalid_key)', async () => {
    await makeUser(t, { username: 'bob', password: 'bob-password-1' });
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'bob', password: 'not-the-password' },
      remoteAddress: '10.1.0.1',
    });
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'nobody-here', password: 'whatever-password' },
      remoteAddress: '10.1.0.1',
    });
    const e1 = expectError(wrong, 401, 'invalid_key');
    const e2 = expectError(unknown, 401, 'invalid_key');
    expect(e1.message).toBe(e2.message);
  });

  it('validates the body: bad JSON, missing and mistyped fields name the field', async () => {
    const badJson = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"username": "alice",',
    });
    expectError(badJson, 400, 'invalid_json');
    const missing = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { password: 'x' } });
    expectError(missing, 400, 'invalid_request', 'username');
    const mistyped = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'a', password: 5 } });
    expectError(mistyped, 400, 'invalid_request', 'password');
  });

  it('refuses a disabled account even with the right password (403 account_disabled)', async () => {
    const carol = await makeUser(t, { username: 'carol' });
    await t.ctx.db.prisma.user.update({ where: { id: carol.id }, data: { status: 'disabled' } });
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'carol', password: carol.password },
      remoteAddress: '10.2.0.1',
    });
    expectError(res, 403, 'account_disabled');
    expectError(await t.app.inject({ url: '/api/me', headers: carol.auth }), 403, 'account_disabled');
  });

  it('rate-limits failed logins per username + IP: 5 failures in 15 minutes → 429 with Retry-After', async () => {
    const dave = await makeUser(t, { username: 'dave' });
    const attempt = (password: string, remoteAddress = '10.3.0.1', username = 'dave') =>
      t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password }, remoteAddress });
    for (let i = 0; i < 5; i++) expectError(await attempt(`wrong-${i}-password`), 401, 'invalid_key');
    // Locked now, even with the right password.
    const locked = await attempt(dave.password);
    const err = expectError(locked, 429, 'rate_limited');
    const retryAfter = Number(locked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(14 * 60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    expect(err.retryAfter).toBe(retryAfter);
    // Another address, or another username from the same address, is not affected.
    expect((await attempt(dave.password, '10.3.0.2')).statusCode).toBe(200);
    expect((await attempt('carol-wrong-pass', '10.3.0.1', 'someone-else')).statusCode).toBe(401);
  });

  it('a successful login clears the failure count', async () => {
    const erin = await makeUser(t, { username: 'erin' });
    const attempt = (password: string) =>
      t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'erin', password }, remoteAddress: '10.4.0.1' });
    for (let i = 0; i < 4; i++) expect((await attempt('wrong-password')).statusCode).toBe(401);
    expect((await attempt(erin.password)).statusCode).toBe(200);
    for (let i = 0; i < 4; i++) expect((await attempt('wrong-password')).statusCode).toBe(401);
    expect((await attempt(erin.password)).statusCode).toBe(200);
  });

  it('logout deletes the current login key; other keys stay; the root key cannot log out', async () => {
    const frank = await makeUser(t, { username: 'frank' });
    const second = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'frank', password: frank.password },
    });
    const secondKey = (second.json() as { key: string }).key;
    const out = await t.app.inject({ method: 'POST', url: '/api/auth/logout', headers: frank.auth });
    expect(out.statusCode).toBe(204);
    expect(out.body).toBe('');
    expectError(await t.app.inject({ url: '/api/me', headers: frank.auth }), 401, 'invalid_key');
    expect((await t.app.inject({ url: '/api/me', headers: { authorization: `Bearer ${secondKey}` } })).statusCode).toBe(200);
    expectError(await t.app.inject({ method: 'POST', url: '/api/auth/logout', headers: t.admin }), 400, 'invalid_request');
    expectError(await t.app.inject({ method: 'POST', url: '/api/auth/logout' }), 401, 'missing_key');
  });

  it('refuses requests without a key, with a bad key, an expired key, and with a relay token', async () => {
    expectError(await t.app.inject({ url: '/api/me' }), 401, 'missing_key');
    expectError(await t.app.inject({ url: '/api/me', headers: { authorization: 'Bearer rsm-nonsense' } }), 401, 'invalid_key');
    const gina = await makeUser(t, { username: 'gina' });
    const token = await t.app.inject({ method: 'POST', url: '/api/tokens', headers: gina.auth, payload: { name: 'app' } });
    const sk = (token.json() as { key: string }).key;
    expectError(await t.app.inject({ url: '/api/me', headers: { authorization: `Bearer ${sk}` } }), 401, 'relay_token_on_api');
    expectError(await t.app.inject({ url: '/api/tokens', headers: { authorization: `Bearer ${sk}` } }), 401, 'relay_token_on_api');
    await t.ctx.db.prisma.managementKey.update({
      where: { keyHash: hashSecret(gina.key) },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    expectError(await t.app.inject({ url: '/api/me', headers: gina.auth }), 401, 'key_expired');
  });

  it('GET /api/me shows the own account with quota in units and USD', async () => {
    const hank = await makeUser(t, { username: 'hank', quota: 1_250_000 });
    const res = await t.app.inject({ url: '/api/me', headers: hank.auth });
    expect(res.statusCode).toBe(200);
    const body = res.json() as Record<string, unknown>;
    expect(typeof body.createdAt).toBe('string');
    expect({ ...body, createdAt: 'x' }).toEqual({
      id: hank.id,
      username: 'hank',
      role: 'user',
      group: 'default',
      quota: 1_250_000,
      quotaUsd: 2.5,
      usedQuota: 0,
      usedQuotaUsd: 0,
      requestCount: 0,
      status: 'enabled',
      createdAt: 'x',
    });
  });

  it('PATCH /api/me changes the own password: current one required; other login keys are revoked', async () => {
    const ivy = await makeUser(t, { username: 'ivy', password: 'ivy-password-1' });
    const other = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'ivy', password: 'ivy-password-1' } });
    const otherAuth = { authorization: `Bearer ${(other.json() as { key: string }).key}` };
    const patch = (payload: unknown) => t.app.inject({ method: 'PATCH', url: '/api/me', headers: ivy.auth, payload: payload as object });

    expectError(await patch({ password: 'ivy-password-2' }), 400, 'invalid_request', 'currentPassword');
    expectError(await patch({ password: 'ivy-password-2', currentPassword: 'nope-nope-nope' }), 400, 'invalid_request', 'currentPassword');
    expectError(await patch({ password: 'short', currentPassword: 'ivy-password-1' }), 400, 'invalid_request', 'password');
    expectError(await patch({ password: ' padded-password ', currentPassword: 'ivy-password-1' }), 400, 'invalid_request', 'password');
    expectError(await patch({ nickname: 'x' }), 400, 'invalid_request');

    const ok = await patch({ password: 'ivy-password-2', currentPassword: 'ivy-password-1' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect((await t.app.inject({ url: '/api/me', headers: ivy.auth })).statusCode).toBe(200);
    expectError(await t.app.inject({ url: '/api/me', headers: otherAuth }), 401, 'invalid_key');
    const oldLogin = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'ivy', password: 'ivy-password-1' } });
    expect(oldLogin.statusCode).toBe(401);
    const newLogin = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'ivy', password: 'ivy-password-2' } });
    expect(newLogin.statusCode).toBe(200);
  });

  it('the OpenAPI document lists the auth and me routes with their schemas', async () => {
    const res = await t.app.inject({ url: '/api/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { paths: Record<string, Record<string, OpenApiOperation>> };
    const login = doc.paths['/api/auth/login']?.post;
    expect(login?.requestBody?.content['application/json']?.schema.required).toEqual(['username', 'password']);
    expect(Object.keys(login?.responses ?? {}).sort()).toEqual(['200', '400', '401', '403', '429']);
    expect(login?.responses['200']?.content?.['application/json']?.schema.properties).toHaveProperty('key');
    expect(doc.paths['/api/auth/logout']?.post?.responses).toHaveProperty('204');
    expect(doc.paths['/api/me']?.get?.responses['200']?.content?.['application/json']?.schema.properties).toHaveProperty('quotaUsd');
    expect(doc.paths['/api/me']?.patch?.requestBody?.content['application/json']?.schema.properties).toHaveProperty('group');
  });
});

interface OpenApiOperation {
  requestBody?: { content: Record<string, { schema: { required?: string[]; properties?: Record<string, unknown> } }> };
  responses: Record<string, { content?: Record<string, { schema: { properties?: Record<string, unknown> } }> }>;
  parameters?: Array<{ name: string; in: string }>;
}
