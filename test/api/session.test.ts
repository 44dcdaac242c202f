// The web console's session: an httpOnly, SameSite=Strict cookie from username + password, stored hashed, accepted only
// as a cookie (never as a Bearer key, and a key never as the cookie), guarded against cross-site requests, revoked by
// sign-out and by a password change; optional self-registration under the login limiter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, dbKinds, type TestApp } from '../helpers/context.js';
import { dumpDatabase, expectError, makeUser } from './account-helpers.js';

const CONSOLE = { 'x-relay-console': '1' };

function sessionCookie(res: LightMyRequestResponse): { value: string; header: string } {
  const header = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('relay_session='));
  expect(header, 'a session cookie').toBeDefined();
  return { value: /^relay_session=([^;]*)/.exec(header!)![1]!, header: header! };
}

describe.each(dbKinds)('console session on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(() => t.close());

  const signIn = (username: string, password: string, headers: Record<string, string> = CONSOLE) =>
    t.app.inject({ method: 'POST', url: '/api/auth/session', headers, payload: { username, password } });

  it('signs in with a cookie scripts cannot read, stored only as a hash, that authenticates /api', async () => {
    const user = await makeUser(t);
    const res = await signIn(user.username, user.password);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ account: { id: user.id, username: user.username, quotaUsd: 0 } });
    const cookie = sessionCookie(res);
    expect(cookie.header).toMatch(/; HttpOnly/);
    expect(cookie.header).toMatch(/; SameSite=Strict/);
    expect(cookie.header).toMatch(/; Path=\/api/);
    expect(cookie.header).not.toMatch(/; Secure/); // plain HTTP here
    expect(res.body).not.toContain(cookie.value);
    expect(await dumpDatabase(t.ctx.db)).not.toContain(cookie.value);
    const me = await t.app.inject({ url: '/api/me', headers: { cookie: `relay_session=${cookie.value}` } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ id: user.id });
  });

  it('a session is only a cookie and a key only a header', async () => {
    const user = await makeUser(t);
    const { value } = sessionCookie(await signIn(user.username, user.password));
    expectError(await t.app.inject({ url: '/api/me', headers: { authorization: `Bearer ${value}` } }), 401, 'invalid_key');
    expectError(await t.app.inject({ url: '/api/me', headers: { cookie: `relay_session=${user.key}` } }), 401, 'invalid_key');
    expectError(await t.app.inject({ url: '/api/me', headers: { cookie: 'relay_session=sk-whatever' } }), 401, 'relay_token_on_api');
  });

  it('refuses cookie-authenticated changes without the console header or from another origin (CSRF)', async () => {
    const user = await makeUser(t);
    const cookie = `relay_session=${sessionCookie(await signIn(user.username, user.password)).value}`;
    const post = (headers: Record<string, string>) => t.app.inject({ method: 'POST', url: '/api/links/code', headers: { cookie, ...headers } });
    expectError(await post({}), 403, 'forbidden');
    expectError(await post({ ...CONSOLE, origin: 'https://evil.example' }), 403, 'forbidden');
    expectError(await post({ ...CONSOLE, 'sec-fetch-site': 'cross-site' }), 403, 'forbidden');
    expect((await post({ ...CONSOLE, origin: 'http://localhost:80', host: 'localhost:80', 'sec-fetch-site': 'same-origin' })).statusCode).toBe(201);
    // Reads need no header; Bearer keys are not subject to the check (no ambient credential to forge with).
    expect((await t.app.inject({ url: '/api/me', headers: { cookie } })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'POST', url: '/api/links/code', headers: user.auth })).statusCode).toBe(201);
    // Sign-in itself needs the header (login CSRF).
    expectError(await signIn(user.username, user.password, {}), 403, 'forbidden');
  });

  it('sign-out revokes the session on the server and clears the cookie', async () => {
    const user = await makeUser(t);
    const { value } = sessionCookie(await signIn(user.username, user.password));
    const cookie = `relay_session=${value}`;
    const out = await t.app.inject({ method: 'DELETE', url: '/api/auth/session', headers: { cookie, ...CONSOLE } });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/relay_session=;.*Expires=Thu, 01 Jan 1970/);
    expectError(await t.app.inject({ url: '/api/me', headers: { cookie } }), 401, 'invalid_key');
    // Signing out twice (or with an ended session) is still a clean 204.
    expect((await t.app.inject({ method: 'DELETE', url: '/api/auth/session', headers: { cookie, ...CONSOLE } })).statusCode).toBe(204);
  });

  it('a password change keeps the session that made it and ends the others; a disabled account is refused', async () => {
    const user = await makeUser(t);
    const mine = `relay_session=${sessionCookie(await signIn(user.username, user.password)).value}`;
    const other = `relay_session=${sessionCookie(await signIn(user.username, user.password)).value}`;
    const changed = await t.app.inject({
      method: 'PATCH',
      url: '/api/me',
      headers: { cookie: mine, ...CONSOLE },
      payload: { password: 'a brand new password', currentPassword: user.password },
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expect((await t.app.inject({ url: '/api/me', headers: { cookie: mine } })).statusCode).toBe(200);
    expectError(await t.app.inject({ url: '/api/me', headers: { cookie: other } }), 401, 'invalid_key');
    expectError(await t.app.inject({ url: '/api/me', headers: user.auth }), 401, 'invalid_key');
    await t.app.inject({ method: 'PATCH', url: `/api/users/${user.id}`, headers: t.admin, payload: { status: 'disabled' } });
    expectError(await t.app.inject({ url: '/api/me', headers: { cookie: mine } }), 403, 'account_disabled');
  });

  it('wrong passwords count toward the same limit as key logins', async () => {
    const user = await makeUser(t);
    for (let i = 0; i < 3; i++) expectError(await signIn(user.username, 'wrong password!'), 401, 'invalid_key');
    for (let i = 0; i < 2; i++) {
      const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: user.username, password: 'nope nope' } });
      expect(res.statusCode).toBe(401);
    }
    const limited = await signIn(user.username, user.password);
    expectError(limited, 429, 'rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('registration is off by default, and on: creates the account, signs in, and is limited per address', async () => {
    const register = (username: string, headers: Record<string, string> = CONSOLE) =>
      t.app.inject({ method: 'POST', url: '/api/auth/register', headers: { ...headers, 'x-forwarded-for': '1.2.3.4' }, payload: { username, password: 'long enough pw' } });
    expect((await t.app.inject({ url: '/api/site' })).json()).toMatchObject({ allowRegistration: false, quotaPerUsd: 500_000 });
    expectError(await register('newbie'), 403, 'forbidden');
    expect((await t.app.inject({ method: 'PATCH', url: '/api/options', headers: t.admin, payload: { allowRegistration: true } })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/site' })).json()).toMatchObject({ allowRegistration: true });
    expectError(await register('newbie', {}), 403, 'forbidden');
    const created = await register('newbie');
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ account: { username: 'newbie', role: 'user', quota: 0 } });
    const me = await t.app.inject({ url: '/api/me', headers: { cookie: `relay_session=${sessionCookie(created).value}` } });
    expect(me.json()).toMatchObject({ username: 'newbie' });
    expectError(await register('newbie'), 409, 'conflict', 'username');
    expectError(await t.app.inject({ method: 'POST', url: '/api/auth/register', headers: CONSOLE, payload: { username: 'x', password: 'long enough pw' } }), 400, 'invalid_request', 'username');
    // Five attempts per address in the window (successes count too), then 429.
    // (Counted so far: newbie, the taken newbie; not the refusals before the handler.)
    for (const name of ['newbie2', 'newbie3', 'newbie4']) expect((await register(name)).statusCode).toBe(201);
    expectError(await register('newbie5'), 429, 'rate_limited');
  });

  it('routes added for the console refuse unknown query parameters, naming them', async () => {
    expectError(await t.app.inject({ url: '/api/site?x=1' }), 400, 'invalid_request', 'x');
    expectError(await t.app.inject({ url: '/api/links?page=1', headers: t.admin }), 400, 'invalid_request', 'page');
    expectError(await t.app.inject({ url: '/api/usage/series?day=1', headers: t.admin }), 400, 'invalid_request', 'day');
    expectError(await t.app.inject({ url: '/api/admin/overview?userId=1', headers: t.admin }), 400, 'invalid_request', 'userId');
    expectError(await t.app.inject({ url: '/api/logs/export?page=2', headers: t.admin }), 400, 'invalid_request', 'page');
    expectError(await t.app.inject({ url: '/api/channel-types?all=1', headers: t.admin }), 400, 'invalid_request', 'all');
    expectError(await t.app.inject({ url: '/api/channel-health?all=1', headers: t.admin }), 400, 'invalid_request', 'all');
    expectError(await t.app.inject({ method: 'PATCH', url: '/api/options?merge=1', headers: t.admin, payload: {} }), 400, 'invalid_request', 'merge');
    expectError(await t.app.inject({ method: 'POST', url: '/api/auth/session?next=/', headers: CONSOLE, payload: { username: 'a', password: 'b' } }), 400, 'invalid_request', 'next');
    expectError(await t.app.inject({ method: 'DELETE', url: '/api/links/1?x=1', headers: t.admin }), 400, 'invalid_request', 'x');
  });
});

describe('console session over HTTPS', () => {
  it('marks the cookie Secure when the request came over HTTPS', async () => {
    const t = await createTestApp('sqlite', { TRUST_PROXY: 'true' });
    try {
      const user = await makeUser(t);
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/auth/session',
        headers: { ...CONSOLE, 'x-forwarded-proto': 'https' },
        payload: { username: user.username, password: user.password },
      });
      expect(sessionCookie(res).header).toMatch(/; Secure/);
    } finally {
      await t.close();
    }
  });
});
