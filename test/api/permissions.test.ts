// The rules of services/permissions.ts, one by one, through the API: root does everything (but never ends root); an
// admin administers plain users and themself, never root or another admin (no tokens for them, no reading their
// tokens, no password/role/group/quota/status change, no deleting them); a user acts on their own things only.
// Before, POST /api/tokens {userId: 1} by an admin minted a key for root.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestApp, dbKinds, type TestApp } from '../helpers/context.js';
import { expectError, makeUser, type LoggedInUser } from './account-helpers.js';

interface TokenBody {
  id: number;
  userId: number;
  key?: string;
}

describe.each(dbKinds)('permissions on %s', (kind) => {
  let t: TestApp;
  let adminA: LoggedInUser;
  let adminB: LoggedInUser;
  let userU: LoggedInUser;
  let userV: LoggedInUser;
  const ROOT = 1;
  const tokenOf: Record<string, TokenBody> = {};

  const call = (auth: { authorization: string }, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });

  beforeAll(async () => {
    t = await createTestApp(kind);
    adminA = await makeUser(t, { username: 'admin-a', role: 'admin', password: 'admin-a-password' });
    adminB = await makeUser(t, { username: 'admin-b', role: 'admin' });
    userU = await makeUser(t, { username: 'user-u' });
    userV = await makeUser(t, { username: 'user-v' });
    for (const [name, auth] of [['root', t.admin], ['a', adminA.auth], ['b', adminB.auth], ['u', userU.auth], ['v', userV.auth]] as const) {
      const res = await call(auth, 'POST', '/api/tokens', { name: `${name}-own` });
      expect(res.statusCode, res.body).toBe(201);
      tokenOf[name] = res.json() as TokenBody;
    }
  });
  afterAll(async () => t?.close());

  it('an admin cannot create tokens for root or another admin; for a plain user and themself they can', async () => {
    for (const userId of [ROOT, adminB.id]) {
      const err = expectError(await call(adminA.auth, 'POST', '/api/tokens', { name: 'takeover', userId }), 403, 'forbidden', 'userId');
      expect(err.message).toBe('only root may create tokens for root or another admin');
    }
    expect(await t.ctx.db.prisma.token.count({ where: { name: 'takeover' } })).toBe(0);
    expect((await call(adminA.auth, 'POST', '/api/tokens', { name: 'for-u', userId: userU.id })).statusCode).toBe(201);
    expect((await call(adminA.auth, 'POST', '/api/tokens', { name: 'for-me', userId: adminA.id })).statusCode).toBe(201);
  });

  it("an admin cannot read, change or delete root's or another admin's tokens: they read as missing", async () => {
    for (const token of [tokenOf.root!, tokenOf.b!]) {
      expectError(await call(adminA.auth, 'GET', `/api/tokens/${token.id}`), 404, 'not_found');
      expectError(await call(adminA.auth, 'PATCH', `/api/tokens/${token.id}`, { status: 'disabled' }), 404, 'not_found');
      expectError(await call(adminA.auth, 'DELETE', `/api/tokens/${token.id}`), 404, 'not_found');
      expect((await t.ctx.db.prisma.token.findUniqueOrThrow({ where: { id: token.id } })).status).toBe('enabled');
    }
    expect((await call(adminA.auth, 'GET', `/api/tokens/${tokenOf.u!.id}`)).statusCode).toBe(200);
    expect((await call(adminA.auth, 'PATCH', `/api/tokens/${tokenOf.u!.id}`, { name: 'renamed by admin' })).statusCode).toBe(200);
  });

  it("an admin's token list holds plain users' tokens and their own, never root's or another admin's", async () => {
    const page = (await call(adminA.auth, 'GET', '/api/tokens?pageSize=200')).json() as { items: TokenBody[]; total: number };
    const owners = new Set(page.items.map((x) => x.userId));
    expect(owners.has(ROOT)).toBe(false);
    expect(owners.has(adminB.id)).toBe(false);
    expect(owners.has(userU.id) && owners.has(userV.id) && owners.has(adminA.id)).toBe(true);
    expect(page.total).toBe(page.items.length);
    for (const userId of [ROOT, adminB.id]) expectError(await call(adminA.auth, 'GET', `/api/tokens?userId=${userId}`), 403, 'forbidden', 'userId');
    expect((await call(adminA.auth, 'GET', `/api/tokens?userId=${userU.id}`)).statusCode).toBe(200);
    // Root sees every token.
    const all = (await call(t.admin, 'GET', '/api/tokens?pageSize=200')).json() as { items: TokenBody[] };
    expect(new Set(all.items.map((x) => x.userId))).toEqual(new Set([ROOT, adminA.id, adminB.id, userU.id, userV.id]));
  });

  it('an admin cannot change, disable or delete root or another admin', async () => {
    const changes: object[] = [
      { password: 'taken-over-password' },
      { quota: 5 },
      { addQuota: 5 },
      { group: 'default' },
      { status: 'disabled' },
      { username: 'renamed' },
      { role: 'user' },
    ];
    for (const target of [ROOT, adminB.id]) {
      for (const change of changes) {
        expectError(await call(adminA.auth, 'PATCH', `/api/users/${target}`, change), 403, 'forbidden');
      }
      expectError(await call(adminA.auth, 'DELETE', `/api/users/${target}`), 403, 'forbidden');
    }
    const b = await t.ctx.db.prisma.user.findUniqueOrThrow({ where: { id: adminB.id } });
    expect([b.username, b.role, b.status, b.quota]).toEqual(['admin-b', 'admin', 'enabled', 0n]);
    // The old password of B still works: nothing changed it.
    expect((await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin-b', password: adminB.password } })).statusCode).toBe(200);
  });

  it('an admin administers plain users: quota, group, status, password reset, delete', async () => {
    const w = await makeUser(t, { username: 'user-w' });
    for (const change of [{ addQuota: 100 }, { quota: 7 }, { group: 'default' }, { password: 'reset-by-admin' }, { status: 'disabled' }]) {
      const res = await call(adminA.auth, 'PATCH', `/api/users/${w.id}`, change);
      expect(res.statusCode, `${JSON.stringify(change)}: ${res.body}`).toBe(200);
    }
    expect((await call(adminA.auth, 'DELETE', `/api/users/${w.id}`)).statusCode).toBe(204);
  });

  it('only root creates admins or changes a role; nobody changes root’s role, disables or deletes root', async () => {
    expectError(await call(adminA.auth, 'POST', '/api/users', { username: 'new-admin', password: 'new-admin-pass', role: 'admin' }), 403, 'forbidden', 'role');
    expectError(await call(adminA.auth, 'PATCH', `/api/users/${userU.id}`, { role: 'admin' }), 403, 'forbidden', 'role');
    expectError(await call(adminA.auth, 'PATCH', `/api/users/${adminA.id}`, { role: 'user' }), 403, 'forbidden', 'role');
    expectError(await call(t.admin, 'PATCH', `/api/users/${ROOT}`, { role: 'admin' }), 403, 'forbidden', 'role');
    expectError(await call(t.admin, 'PATCH', `/api/users/${ROOT}`, { status: 'disabled' }), 403, 'forbidden', 'status');
    expectError(await call(t.admin, 'DELETE', `/api/users/${ROOT}`), 403, 'forbidden');
    const promoted = await call(t.admin, 'PATCH', `/api/users/${userV.id}`, { role: 'admin' });
    expect(promoted.json()).toMatchObject({ role: 'admin' });
    expect((await call(t.admin, 'PATCH', `/api/users/${userV.id}`, { role: 'user' })).json()).toMatchObject({ role: 'user' });
  });

  it('an admin changes their own password only with PATCH /api/me (the current one required); root may use either', async () => {
    const err = expectError(await call(adminA.auth, 'PATCH', `/api/users/${adminA.id}`, { password: 'stolen-key-password' }), 403, 'forbidden', 'password');
    expect(err.message).toMatch(/PATCH \/api\/me/);
    expect((await call(adminA.auth, 'PATCH', '/api/me', { password: 'admin-a-password-2', currentPassword: 'admin-a-password' })).statusCode).toBe(200);
    expect((await call(adminA.auth, 'PATCH', `/api/users/${adminA.id}`, { quota: 10 })).statusCode).toBe(200); // other own fields: fine
    expect((await call(t.admin, 'PATCH', `/api/users/${ROOT}`, { password: 'root-password-1' })).statusCode).toBe(200);
  });

  it('root does everything to admins: tokens for them, their tokens, password, status, delete', async () => {
    const c = await makeUser(t, { username: 'admin-c', role: 'admin' });
    const minted = await call(t.admin, 'POST', '/api/tokens', { name: 'for-c', userId: c.id });
    expect(minted.statusCode).toBe(201);
    const id = (minted.json() as TokenBody).id;
    expect((await call(t.admin, 'GET', `/api/tokens?userId=${c.id}`)).json()).toMatchObject({ total: 1 });
    expect((await call(t.admin, 'PATCH', `/api/tokens/${id}`, { status: 'disabled' })).statusCode).toBe(200);
    for (const change of [{ password: 'root-sets-this' }, { quota: 9 }, { group: 'default' }, { status: 'disabled' }]) {
      expect((await call(t.admin, 'PATCH', `/api/users/${c.id}`, change)).statusCode).toBe(200);
    }
    expect((await call(t.admin, 'DELETE', `/api/users/${c.id}`)).statusCode).toBe(204);
  });

  it('a user acts on their own account and tokens only; admins read every account and usage log', async () => {
    expectError(await call(userU.auth, 'POST', '/api/tokens', { name: 'x', userId: userV.id }), 403, 'forbidden', 'userId');
    expectError(await call(userU.auth, 'GET', `/api/tokens?userId=${userV.id}`), 403, 'forbidden', 'userId');
    expectError(await call(userU.auth, 'GET', `/api/tokens/${tokenOf.v!.id}`), 404, 'not_found');
    expectError(await call(userU.auth, 'GET', `/api/users/${userV.id}`), 403, 'forbidden');
    expectError(await call(userU.auth, 'GET', `/api/logs?userId=${userV.id}`), 403, 'forbidden', 'userId');
    expectError(await call(userU.auth, 'PATCH', `/api/users/${userU.id}`, { quota: 1_000_000 }), 403, 'forbidden');
    expect((await call(userU.auth, 'GET', `/api/users/${userU.id}`)).statusCode).toBe(200);
    expect((await call(adminA.auth, 'GET', `/api/users/${ROOT}`)).statusCode).toBe(200);
    expect((await call(adminA.auth, 'GET', `/api/logs?userId=${ROOT}`)).statusCode).toBe(200);
  });
});
