import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestApp, dbKinds, type TestApp } from '../helpers/context.js';
import { expectError, makeUser, publishedDuring, restarted, type LoggedInUser } from './account-helpers.js';

interface UserBody {
  id: number;
  username: string;
  role: string;
  group: string;
  quota: number;
  usedQuota: number;
  requestCount: number;
  status: string;
  createdAt: string;
}

describe.each(dbKinds)('users API on %s', (kind) => {
  let t: TestApp;
  let plain: LoggedInUser;
  let rootId: number;
  beforeAll(async () => {
    t = await createTestApp(kind);
    plain = await makeUser(t, { username: 'plain' });
    rootId = (await t.ctx.db.prisma.user.findFirstOrThrow({ where: { role: 'root' } })).id;
  });
  afterAll(async () => t?.close());

  const post = (payload: unknown, headers: Record<string, string> = t.admin) =>
    t.app.inject({ method: 'POST', url: '/api/users', headers, payload: payload as object });
  const patch = (id: number, payload: unknown, headers: Record<string, string> = t.admin) =>
    t.app.inject({ method: 'PATCH', url: `/api/users/${id}`, headers, payload: payload as object });

  it('creates a user (201) with exactly the documented fields; the password is stored hashed', async () => {
    const before = Date.now();
    const topics = await publishedDuring(t, async () => {
      const res = await post({ username: 'newbie', password: 'newbie-password', quota: 1000 });
      expect(res.statusCode, res.body).toBe(201);
      const body = res.json() as UserBody;
      expect(Date.parse(body.createdAt)).toBeGreaterThanOrEqual(before - 1000);
      expect(body).toEqual({
        id: body.id,
        username: 'newbie',
        role: 'user',
        group: 'default',
        quota: 1000,
        usedQuota: 0,
        requestCount: 0,
        status: 'enabled',
        createdAt: body.createdAt,
      });
      const row = await t.ctx.db.prisma.user.findUniqueOrThrow({ where: { id: body.id } });
      expect(row.passwordHash).toMatch(/^scrypt\$/);
      expect(row.passwordHash).not.toContain('newbie-password');
    });
    expect(topics).toContain('users');
  });

  it('refuses bad input naming the field, bad JSON, and duplicate usernames (409)', async () => {
    expectError(await post({ username: 'x1', password: 'short' }), 400, 'invalid_request', 'password');
    expectError(await post({ username: 'x2' }), 400, 'invalid_request', 'password');
    expectError(await post({ password: 'long-enough-pw' }), 400, 'invalid_request', 'username');
    expectError(await post({ username: 'has space', password: 'long-enough-pw' }), 400, 'invalid_request', 'username');
    expectError(await post({ username: 'x3', password: ' long-enough-pw' }), 400, 'invalid_request', 'password');
    expectError(await post({ username: 'x4', password: 'long-enough-pw', quota: -1 }), 400, 'invalid_request', 'quota');
    expectError(await post({ username: 'x5', password: 'long-enough-pw', quota: '5' }), 400, 'invalid_request', 'quota');
    expectError(await post({ username: 'x6', password: 'long-enough-pw', role: 'root' }), 400, 'invalid_request', 'role');
    expectError(await post({ username: 'x7', password: 'long-enough-pw', group: 'nope' }), 400, 'invalid_request', 'group');
    expectError(await post({ username: 'x8', password: 'long-enough-pw', extra: 1 }), 400, 'invalid_request');
    const badJson = await t.app.inject({
      method: 'POST',
      url: '/api/users',
      headers: { ...t.admin, 'content-type': 'application/json' },
      payload: '{"username":',
    });
    expectError(badJson, 400, 'invalid_json');
    expect(await t.ctx.db.prisma.user.count({ where: { username: { startsWith: 'x' } } })).toBe(0);

    await post({ username: 'twin', password: 'long-enough-pw' });
    const dup = await post({ username: 'twin', password: 'another-password' });
    expectError(dup, 409, 'conflict', 'username');
  });

  it('lists users paginated with a total; pageSize is capped at 200', async () => {
    const all = await t.app.inject({ url: '/api/users?pageSize=200', headers: t.admin });
    expect(all.statusCode).toBe(200);
    const { items, total } = all.json() as { items: UserBody[]; total: number };
    expect(total).toBe(await t.ctx.db.prisma.user.count());
    expect(items.map((u) => u.id)).toEqual([...items.map((u) => u.id)].sort((a, b) => a - b));
    expect(items[0]?.role).toBe('root');

    const page2 = await t.app.inject({ url: '/api/users?page=2&pageSize=2', headers: t.admin });
    expect(page2.json()).toEqual({ items: items.slice(2, 4), total });
    const beyond = await t.app.inject({ url: '/api/users?page=1000&pageSize=2', headers: t.admin });
    expect(beyond.json()).toEqual({ items: [], total });

    expectError(await t.app.inject({ url: '/api/users?pageSize=201', headers: t.admin }), 400, 'invalid_request', 'pageSize');
    expectError(await t.app.inject({ url: '/api/users?page=0', headers: t.admin }), 400, 'invalid_request', 'page');
    expectError(await t.app.inject({ url: '/api/users?page=1.5', headers: t.admin }), 400, 'invalid_request', 'page');
    expectError(await t.app.inject({ url: '/api/users?page=abc', headers: t.admin }), 400, 'invalid_request', 'page');
  });

  it('GET /api/users/:id: admins read anyone, users only themselves; unknown → 404; bad id → 400', async () => {
    const other = await makeUser(t);
    const byAdmin = await t.app.inject({ url: `/api/users/${plain.id}`, headers: t.admin });
    expect(byAdmin.statusCode).toBe(200);
    expect((byAdmin.json() as UserBody).username).toBe('plain');
    const self = await t.app.inject({ url: `/api/users/${plain.id}`, headers: plain.auth });
    expect(self.json()).toEqual(byAdmin.json());
    expectError(await t.app.inject({ url: `/api/users/${other.id}`, headers: plain.auth }), 403, 'forbidden');
    expectError(await t.app.inject({ url: '/api/users/999999', headers: t.admin }), 404, 'not_found');
    expectError(await t.app.inject({ url: '/api/users/abc', headers: t.admin }), 400, 'invalid_request', 'id');
    expectError(await t.app.inject({ url: '/api/users/0', headers: t.admin }), 400, 'invalid_request', 'id');
  });

  it('non-admins get 403 on the admin routes; no key → 401', async () => {
    expectError(await t.app.inject({ url: '/api/users', headers: plain.auth }), 403, 'forbidden');
    expectError(await post({ username: 'sneaky', password: 'long-enough-pw' }, plain.auth), 403, 'forbidden');
    expectError(await patch(plain.id, { quota: 10 ** 9 }, plain.auth), 403, 'forbidden');
    expectError(await t.app.inject({ method: 'DELETE', url: `/api/users/${plain.id}`, headers: plain.auth }), 403, 'forbidden');
    expectError(await t.app.inject({ url: '/api/users' }), 401, 'missing_key');
    expectError(await t.app.inject({ url: '/api/users', headers: { authorization: 'Bearer rsm-bogus' } }), 401, 'invalid_key');
    expect((await t.ctx.db.prisma.user.findUniqueOrThrow({ where: { id: plain.id } })).quota).toBe(0n);
  });

  it('PATCH sets quota, tops up with addQuota (never below 0) and logs each change', async () => {
    const u = await makeUser(t, { quota: 100 });
    const topics = await publishedDuring(t, async () => {
      const set = await patch(u.id, { quota: 5000 });
      expect(set.statusCode, set.body).toBe(200);
      expect((set.json() as UserBody).quota).toBe(5000);
    });
    expect(topics).toEqual(['tokens', 'users']);
    expect(((await patch(u.id, { addQuota: 2500 })).json() as UserBody).quota).toBe(7500);
    expect(((await patch(u.id, { addQuota: -7000 })).json() as UserBody).quota).toBe(500);
    expectError(await patch(u.id, { addQuota: -501 }), 400, 'invalid_request', 'addQuota');
    expectError(await patch(u.id, { quota: 1, addQuota: 1 }), 400, 'invalid_request', 'addQuota');
    expectError(await patch(u.id, { quota: -1 }), 400, 'invalid_request', 'quota');
    expectError(await patch(u.id, { addQuota: 1.5 }), 400, 'invalid_request', 'addQuota');
    const row = await t.ctx.db.prisma.user.findUniqueOrThrow({ where: { id: u.id } });
    expect(row.quota).toBe(500n);
    const logs = await t.ctx.db.prisma.usageLog.findMany({ where: { userId: u.id }, orderBy: { id: 'asc' } });
    expect(logs.map((l) => [l.type, l.source, Number(l.quota)])).toEqual([
      ['manage', 'admin', 0],
      ['topup', 'admin', 2500],
      ['manage', 'admin', 7000],
    ]);
    expect(logs[0]?.content).toContain('from 100 to 5000');
  });

  it('PATCH changes group, status, username and password', async () => {
    const u = await makeUser(t, { username: 'changer' });
    await t.app.inject({ method: 'POST', url: '/api/groups', headers: t.admin, payload: { name: 'vip', ratio: 2, userSelectable: false } });
    expect(((await patch(u.id, { group: 'vip' })).json() as UserBody).group).toBe('vip');
    expectError(await patch(u.id, { group: 'ghost' }), 400, 'invalid_request', 'group');

    expect(((await patch(u.id, { status: 'disabled' })).json() as UserBody).status).toBe('disabled');
    expectError(await t.app.inject({ url: '/api/me', headers: u.auth }), 403, 'account_disabled');
    expectError(await patch(u.id, { status: 'paused' }), 400, 'invalid_request', 'status');
    expect(((await patch(u.id, { status: 'enabled' })).json() as UserBody).status).toBe('enabled');
    expect((await t.app.inject({ url: '/api/me', headers: u.auth })).statusCode).toBe(200);

    expect(((await patch(u.id, { username: 'renamed' })).json() as UserBody).username).toBe('renamed');
    expectError(await patch(u.id, { username: 'plain' }), 409, 'conflict', 'username');

    const pw = await patch(u.id, { password: 'brand-new-password' });
    expect(pw.statusCode).toBe(200);
    // An admin reset revokes the user's login keys.
    expectError(await t.app.inject({ url: '/api/me', headers: u.auth }), 401, 'invalid_key');
    const login = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'renamed', password: 'brand-new-password' } });
    expect(login.statusCode).toBe(200);
    expectError(await patch(999999, { quota: 1 }), 404, 'not_found');
    const badJson = await t.app.inject({
      method: 'PATCH',
      url: `/api/users/${u.id}`,
      headers: { ...t.admin, 'content-type': 'application/json' },
      payload: '{',
    });
    expectError(badJson, 400, 'invalid_json');
  });

  it('roles: only root grants admin; root cannot be demoted, disabled or deleted; admins cannot touch other admins', async () => {
    const u = await makeUser(t);
    const granted = await patch(u.id, { role: 'admin' });
    expect((granted.json() as UserBody).role).toBe('admin');
    const admin = { auth: u.auth, id: u.id };
    const other = await makeUser(t);

    // The new admin manages plain users...
    expect(((await patch(other.id, { quota: 42 }, admin.auth)).json() as UserBody).quota).toBe(42);
    expect((await t.app.inject({ url: '/api/users', headers: admin.auth })).statusCode).toBe(200);
    // ...but cannot make admins, nor create them.
    expectError(await patch(other.id, { role: 'admin' }, admin.auth), 403, 'forbidden');
    expectError(await post({ username: 'admin2', password: 'long-enough-pw', role: 'admin' }, admin.auth), 403, 'forbidden');
    // Nobody changes root's role, disables or deletes root; a plain admin cannot reset root's password.
    expectError(await patch(rootId, { role: 'user' }), 403, 'forbidden');
    expectError(await patch(rootId, { role: 'user' }, admin.auth), 403, 'forbidden');
    expectError(await patch(rootId, { status: 'disabled' }), 403, 'forbidden');
    expectError(await patch(rootId, { password: 'take-over-root' }, admin.auth), 403, 'forbidden');
    expectError(await t.app.inject({ method: 'DELETE', url: `/api/users/${rootId}`, headers: t.admin }), 403, 'forbidden');
    expectError(await t.app.inject({ method: 'DELETE', url: `/api/users/${rootId}`, headers: admin.auth }), 403, 'forbidden');
    expect((await t.app.inject({ url: '/api/me', headers: t.admin })).statusCode).toBe(200);

    // Root creates an admin directly, and demotes one.
    const a2 = await post({ username: 'admin2', password: 'long-enough-pw', role: 'admin' });
    expect((a2.json() as UserBody).role).toBe('admin');
    expectError(await patch((a2.json() as UserBody).id, { quota: 1 }, admin.auth), 403, 'forbidden');
    expect(((await patch(admin.id, { role: 'user' })).json() as UserBody).role).toBe('user');
    expectError(await t.app.inject({ url: '/api/users', headers: admin.auth }), 403, 'forbidden');
  });

  it('DELETE removes the user with their tokens and keys; unknown → 404', async () => {
    const u = await makeUser(t);
    const token = await t.app.inject({ method: 'POST', url: '/api/tokens', headers: u.auth, payload: { name: 'app' } });
    expect(token.statusCode).toBe(201);
    const topics = await publishedDuring(t, async () => {
      const res = await t.app.inject({ method: 'DELETE', url: `/api/users/${u.id}`, headers: t.admin });
      expect(res.statusCode).toBe(204);
    });
    expect(topics).toEqual(['tokens', 'users']);
    expectError(await t.app.inject({ url: `/api/users/${u.id}`, headers: t.admin }), 404, 'not_found');
    expect(await t.ctx.db.prisma.token.count({ where: { userId: u.id } })).toBe(0);
    expect(await t.ctx.db.prisma.managementKey.count({ where: { userId: u.id } })).toBe(0);
    expectError(await t.app.inject({ url: '/api/me', headers: u.auth }), 401, 'invalid_key');
    expectError(await t.app.inject({ method: 'DELETE', url: `/api/users/${u.id}`, headers: t.admin }), 404, 'not_found');
  });

  it('the OpenAPI document lists the user routes with request and response schemas', async () => {
    const doc = (await t.app.inject({ url: '/api/openapi.json' })).json() as OpenApiDoc;
    const users = doc.paths['/api/users'];
    const byId = doc.paths['/api/users/{id}'];
    expect(users?.post?.requestBody?.content['application/json']?.schema.required).toEqual(['username', 'password']);
    expect(Object.keys(users?.post?.responses ?? {}).sort()).toEqual(['201', '400', '401', '403', '409']);
    expect(users?.get?.parameters?.map((p) => `${p.in}:${p.name}`).sort()).toEqual(['query:page', 'query:pageSize', 'query:q']);
    expect(Object.keys(users?.get?.responses['200']?.content?.['application/json']?.schema.properties ?? {})).toEqual(['items', 'total']);
    expect(byId?.patch?.requestBody?.content['application/json']?.schema.properties).toHaveProperty('addQuota');
    expect(byId?.get?.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(['path:id']);
    expect(byId?.delete?.responses).toHaveProperty('204');
    const err = byId?.get?.responses['404']?.content?.['application/json']?.schema;
    expect(err?.properties).toHaveProperty('error');
  });

  it('keeps users and login keys across a restart', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/users',
      headers: t.admin,
      payload: { username: 'durable', password: 'durable-password', quota: 777 },
    });
    expect(created.statusCode).toBe(201);
    const login = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'durable', password: 'durable-password' } });
    const key = (login.json() as { key: string }).key;
    const next = await restarted(t, kind);
    try {
      const me = await next.app.inject({ url: '/api/me', headers: { authorization: `Bearer ${key}` } });
      expect(me.statusCode).toBe(200);
      expect(me.json()).toMatchObject({ username: 'durable', quota: 777, group: 'default', role: 'user' });
      const again = await next.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'durable', password: 'durable-password' } });
      expect(again.statusCode).toBe(200);
    } finally {
      await next.close();
    }
  });
});

interface OpenApiSchema {
  required?: string[];
  properties?: Record<string, unknown>;
}
interface OpenApiOperation {
  requestBody?: { content: Record<string, { schema: OpenApiSchema }> };
  responses: Record<string, { content?: Record<string, { schema: OpenApiSchema }> }>;
  parameters?: Array<{ name: string; in: string }>;
}
interface OpenApiDoc {
  paths: Record<string, Record<string, OpenApiOperation>>;
}
