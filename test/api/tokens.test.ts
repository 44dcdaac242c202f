import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestApp, dbKinds, type TestApp } from '../helpers/context.js';
import { hashSecret, visiblePrefix } from '../../src/auth/secrets.js';
import { createToken, deleteToken, listTokens } from '../../src/services/tokens.js';
import { selfActor } from '../../src/services/permissions.js';
import { dumpDatabase, expectError, makeUser, publishedDuring, restarted, type LoggedInUser } from './account-helpers.js';
import type { TokenView } from '../../src/services/tokens.js';

interface TokenBody extends TokenView {
  key?: string;
}

const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();

describe.each(dbKinds)('tokens API on %s', (kind) => {
  let t: TestApp;
  let alice: LoggedInUser;
  let bob: LoggedInUser;
  beforeAll(async () => {
    t = await createTestApp(kind);
    alice = await makeUser(t, { username: 'alice' });
    bob = await makeUser(t, { username: 'bob' });
    const groups = [
      { name: 'open', ratio: '0.5', userSelectable: true },
      { name: 'closed', ratio: '3', userSelectable: false },
    ];
    for (const payload of groups) {
      const res = await t.app.inject({ method: 'POST', url: '/api/groups', headers: t.admin, payload });
      expect(res.statusCode).toBe(201);
    }
  });
  afterAll(async () => t?.close());

  const create = (auth: Record<string, string>, payload: unknown) =>
    t.app.inject({ method: 'POST', url: '/api/tokens', headers: auth, payload: payload as object });
  const patch = (auth: Record<string, string>, id: number, payload: unknown) =>
    t.app.inject({ method: 'PATCH', url: `/api/tokens/${id}`, headers: auth, payload: payload as object });

  it('creates a token (201): the full key once, only its hash and prefix stored', async () => {
    let key = '';
    const topics = await publishedDuring(t, async () => {
      const res = await create(alice.auth, { name: 'my app' });
      expect(res.statusCode, res.body).toBe(201);
      const body = res.json() as TokenBody;
      key = body.key!;
      expect(key).toMatch(/^sk-[A-Za-z0-9]{48}$/);
      expect(body).toEqual({
        id: body.id,
        userId: alice.id,
        name: 'my app',
        keyPrefix: visiblePrefix(key),
        quota: null,
        usedQuota: 0,
        expiresAt: null,
        models: [],
        allowIps: [],
        group: null,
        status: 'enabled',
        rpm: null,
        tpm: null,
        maxConcurrent: null,
        createdAt: body.createdAt,
        lastUsedAt: null,
        key,
      });
      const row = await t.ctx.db.prisma.token.findUniqueOrThrow({ where: { id: body.id } });
      expect(row.keyHash).toBe(hashSecret(key));
      expect(row.unlimited).toBe(true);

      // Never again: neither the single read nor the list carries the key.
      const again = await t.app.inject({ url: `/api/tokens/${body.id}`, headers: alice.auth });
      const { key: _omit, ...withoutKey } = body;
      expect(again.json()).toEqual(withoutKey);
      const list = await t.app.inject({ url: '/api/tokens', headers: alice.auth });
      expect(list.body).not.toContain(key);
      expect(list.body).not.toContain('"key"');
    });
    expect(topics).toEqual(['tokens']);
    expect(await dumpDatabase(t.ctx.db)).not.toContain(key);
    expect(await dumpDatabase(t.ctx.db)).not.toContain(key.slice(3));
  });

  it('stores limits: quota (null = unlimited), expiresAt, models, allowIps (IPv4, IPv6, CIDR) and group', async () => {
    const expiresAt = inAnHour();
    const res = await create(alice.auth, {
      name: 'limited',
      quota: 250_000,
      expiresAt,
      models: ['gpt-4o', 'gpt-4o', ' claude-3-5-sonnet '],
      allowIps: ['10.0.0.1', '192.168.0.0/16', '2001:db8::/32', '::1'],
      group: 'open',
    });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json() as TokenBody;
    expect(body).toMatchObject({
      quota: 250_000,
      expiresAt,
      models: ['gpt-4o', 'claude-3-5-sonnet'],
      allowIps: ['10.0.0.1', '192.168.0.0/16', '2001:db8::/32', '::1'],
      group: 'open',
    });
    const row = await t.ctx.db.prisma.token.findUniqueOrThrow({ where: { id: body.id } });
    expect([row.unlimited, row.remainQuota]).toEqual([false, 250_000n]);
    expect(JSON.parse(row.allowIps)).toEqual(body.allowIps);
    const zero = await create(alice.auth, { name: 'zero', quota: 0, expiresAt: null });
    expect((zero.json() as TokenBody).quota).toBe(0);
  });

  it('refuses bad fields with 400 naming the field', async () => {
    expectError(await create(alice.auth, {}), 400, 'invalid_request', 'name');
    expectError(await create(alice.auth, { name: '' }), 400, 'invalid_request', 'name');
    expectError(await create(alice.auth, { name: '   ' }), 400, 'invalid_request', 'name');
    expectError(await create(alice.auth, { name: 'a', quota: -1 }), 400, 'invalid_request', 'quota');
    expectError(await create(alice.auth, { name: 'a', quota: '100' }), 400, 'invalid_request', 'quota');
    expectError(await create(alice.auth, { name: 'a', quota: 1.5 }), 400, 'invalid_request', 'quota');
    expectError(await create(alice.auth, { name: 'a', expiresAt: 'tomorrow' }), 400, 'invalid_request', 'expiresAt');
    const past = new Date(Date.now() - 60_000).toISOString();
    const e = expectError(await create(alice.auth, { name: 'a', expiresAt: past }), 400, 'invalid_request', 'expiresAt');
    expect(e.message).toContain('future');
    expectError(await create(alice.auth, { name: 'a', models: 'gpt-4o' }), 400, 'invalid_request', 'models');
    expectError(await create(alice.auth, { name: 'a', models: [''] }), 400, 'invalid_request', 'models.0');
    for (const bad of ['10.0.0.256', '127.1', '0x7f.0.0.1', '10.0.0.0/33', 'example.com', '2001:db8::/129']) {
      const err = expectError(await create(alice.auth, { name: 'a', allowIps: ['10.0.0.1', bad] }), 400, 'invalid_request', 'allowIps');
      expect(err.message).toContain(`"${bad}"`);
    }
    expectError(await create(alice.auth, { name: 'a', group: 'ghost' }), 400, 'invalid_request', 'group');
    expectError(await create(alice.auth, { name: 'a', colour: 'red' }), 400, 'invalid_request');
    const badJson = await t.app.inject({
      method: 'POST',
      url: '/api/tokens',
      headers: { ...alice.auth, 'content-type': 'application/json' },
      payload: '{"name": "x"',
    });
    expectError(badJson, 400, 'invalid_json');
    expect(await t.ctx.db.prisma.token.count({ where: { name: 'a' } })).toBe(0);
  });

  it('groups: a token may use only a group its owner may choose (own, selectable; admins any), whoever sets it', async () => {
    const err = expectError(await create(alice.auth, { name: 'vip', group: 'closed' }), 403, 'group_not_allowed');
    expect(err.param).toBe('group');
    const mine = (await create(alice.auth, { name: 'plain' })).json() as TokenBody;
    expectError(await patch(alice.auth, mine.id, { group: 'closed' }), 403, 'group_not_allowed');
    // Not even an admin gives alice's token a group alice may not choose: relay authentication would not honour it.
    expect(expectError(await create(t.admin, { name: 'vip', group: 'closed', userId: alice.id }), 403, 'group_not_allowed').message).toMatch(/move the owner into it/);
    expectError(await patch(t.admin, mine.id, { group: 'closed' }), 403, 'group_not_allowed');
    // An admin's own token may use any group.
    expect((await create(t.admin, { name: 'root vip', group: 'closed' })).statusCode).toBe(201);
    // Once alice is in the closed group, her tokens may use it; she may rename it and move it back to an open one.
    await t.app.inject({ method: 'PATCH', url: `/api/users/${alice.id}`, headers: t.admin, payload: { group: 'closed' } });
    expect((await patch(alice.auth, mine.id, { group: 'closed' })).json()).toMatchObject({ group: 'closed' });
    await t.app.inject({ method: 'PATCH', url: `/api/users/${alice.id}`, headers: t.admin, payload: { group: 'default' } });
    expect((await patch(alice.auth, mine.id, { name: 'renamed' })).statusCode).toBe(200);
    expect((await patch(alice.auth, mine.id, { group: null })).json()).toMatchObject({ group: null });
  });

  it('a user cannot create tokens for someone else (403); an admin can; unknown userId → 400', async () => {
    expectError(await create(alice.auth, { name: 'x', userId: bob.id }), 403, 'forbidden', 'userId');
    expect((await create(alice.auth, { name: 'self', userId: alice.id })).statusCode).toBe(201);
    const forBob = await create(t.admin, { name: 'for bob', userId: bob.id });
    expect(forBob.statusCode).toBe(201);
    expect((forBob.json() as TokenBody).userId).toBe(bob.id);
    expectError(await create(t.admin, { name: 'x', userId: 999999 }), 400, 'invalid_request', 'userId');
  });

  it("another user's token reads as 404 on GET, PATCH and DELETE; admins reach every token", async () => {
    const bobs = (await create(bob.auth, { name: 'bob private' })).json() as TokenBody;
    expectError(await t.app.inject({ url: `/api/tokens/${bobs.id}`, headers: alice.auth }), 404, 'not_found');
    expectError(await patch(alice.auth, bobs.id, { status: 'disabled' }), 404, 'not_found');
    expectError(await t.app.inject({ method: 'DELETE', url: `/api/tokens/${bobs.id}`, headers: alice.auth }), 404, 'not_found');
    const missing = await t.app.inject({ url: '/api/tokens/999999', headers: alice.auth });
    expect(missing.json()).toEqual({ error: { ...(missing.json() as { error: object }).error, message: 'token 999999 not found' } });
    const other = await t.app.inject({ url: `/api/tokens/${bobs.id}`, headers: alice.auth });
    expect((other.json() as { error: { message: string } }).error.message).toBe(`token ${bobs.id} not found`);

    const row = await t.ctx.db.prisma.token.findUniqueOrThrow({ where: { id: bobs.id } });
    expect(row.status).toBe('enabled');
    expect((await t.app.inject({ url: `/api/tokens/${bobs.id}`, headers: t.admin })).statusCode).toBe(200);
    expect((await patch(t.admin, bobs.id, { name: 'admin renamed' })).json()).toMatchObject({ name: 'admin renamed' });
    expectError(await t.app.inject({ url: '/api/tokens/abc', headers: alice.auth }), 400, 'invalid_request', 'id');
  });

  it('lists own tokens for users, all (or ?userId=) for admins, paginated', async () => {
    const own = await t.app.inject({ url: '/api/tokens?pageSize=200', headers: alice.auth });
    const ownBody = own.json() as { items: TokenBody[]; total: number };
    expect(ownBody.total).toBe(await t.ctx.db.prisma.token.count({ where: { userId: alice.id } }));
    expect(ownBody.items.every((tok) => tok.userId === alice.id)).toBe(true);
    expect(ownBody.items.length).toBe(ownBody.total);

    const all = (await t.app.inject({ url: '/api/tokens?pageSize=200', headers: t.admin })).json() as { total: number };
    expect(all.total).toBe(await t.ctx.db.prisma.token.count());
    const bobs = (await t.app.inject({ url: `/api/tokens?userId=${bob.id}`, headers: t.admin })).json() as {
      items: TokenBody[];
      total: number;
    };
    expect(bobs.total).toBe(await t.ctx.db.prisma.token.count({ where: { userId: bob.id } }));
    expect(bobs.items.every((tok) => tok.userId === bob.id)).toBe(true);
    expectError(await t.app.inject({ url: `/api/tokens?userId=${bob.id}`, headers: alice.auth }), 403, 'forbidden', 'userId');

    const p1 = (await t.app.inject({ url: '/api/tokens?page=1&pageSize=1', headers: alice.auth })).json() as { items: TokenBody[] };
    const p2 = (await t.app.inject({ url: '/api/tokens?page=2&pageSize=1', headers: alice.auth })).json() as { items: TokenBody[] };
    expect(p1.items.map((x) => x.id)).toEqual([ownBody.items[0]?.id]);
    expect(p2.items.map((x) => x.id)).toEqual([ownBody.items[1]?.id]);
    expectError(await t.app.inject({ url: '/api/tokens?pageSize=500', headers: alice.auth }), 400, 'invalid_request', 'pageSize');
  });

  it('PATCH changes name, quota, status, expiresAt, models, allowIps; DELETE removes it', async () => {
    const { key: _key, ...tok } = (await create(alice.auth, { name: 'editable', quota: 10 })).json() as TokenBody;
    const expiresAt = inAnHour();
    const topics = await publishedDuring(t, async () => {
      const res = await patch(alice.auth, tok.id, {
        name: 'edited',
        quota: 500,
        status: 'disabled',
        expiresAt,
        models: ['gpt-4o-mini'],
        allowIps: ['203.0.113.0/24'],
        group: 'open',
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({
        ...tok,
        name: 'edited',
        quota: 500,
        status: 'disabled',
        expiresAt,
        models: ['gpt-4o-mini'],
        allowIps: ['203.0.113.0/24'],
        group: 'open',
      });
    });
    expect(topics).toEqual(['tokens']);
    const unlimited = await patch(alice.auth, tok.id, { quota: null, expiresAt: null, models: [], allowIps: [] });
    expect(unlimited.json()).toMatchObject({ quota: null, expiresAt: null, models: [], allowIps: [] });
    expectError(await patch(alice.auth, tok.id, { status: 'exhausted' }), 400, 'invalid_request', 'status');
    expectError(await patch(alice.auth, tok.id, { allowIps: ['1.2.3'] }), 400, 'invalid_request', 'allowIps');
    expectError(await patch(alice.auth, tok.id, { expiresAt: '2001-01-01T00:00:00Z' }), 400, 'invalid_request', 'expiresAt');
    expectError(await patch(alice.auth, tok.id, { quota: -5 }), 400, 'invalid_request', 'quota');
    expectError(await patch(alice.auth, 999999, { name: 'x' }), 404, 'not_found');

    const del = await t.app.inject({ method: 'DELETE', url: `/api/tokens/${tok.id}`, headers: alice.auth });
    expect(del.statusCode).toBe(204);
    expectError(await t.app.inject({ url: `/api/tokens/${tok.id}`, headers: alice.auth }), 404, 'not_found');
    expectError(await t.app.inject({ method: 'DELETE', url: `/api/tokens/${tok.id}`, headers: alice.auth }), 404, 'not_found');
  });

  it('needs a management key: none → 401, bad → 401, a relay token → 401 relay_token_on_api', async () => {
    expectError(await t.app.inject({ url: '/api/tokens' }), 401, 'missing_key');
    expectError(await create({ authorization: 'Bearer rsm-wrong' }, { name: 'x' }), 401, 'invalid_key');
    const key = ((await create(alice.auth, { name: 'relay' })).json() as TokenBody).key!;
    expectError(await create({ authorization: `Bearer ${key}` }, { name: 'minted' }), 401, 'relay_token_on_api');
    expectError(await t.app.inject({ url: '/api/tokens', headers: { 'x-api-key': key } }), 401, 'relay_token_on_api');
  });

  it('the services work without HTTP (as the bots call them)', async () => {
    const { token, key } = await createToken(t.ctx, selfActor(bob.id), { userId: bob.id, name: 'from a bot', quota: 5 });
    expect(token.keyPrefix).toBe(visiblePrefix(key));
    const { items } = await listTokens(t.ctx, selfActor(bob.id));
    expect(items.map((x) => x.id)).toContain(token.id);
    await expect(deleteToken(t.ctx, selfActor(alice.id), token.id)).rejects.toMatchObject({ code: 'not_found', status: 404 });
    await deleteToken(t.ctx, selfActor(bob.id), token.id);
    expect(await t.ctx.db.prisma.token.count({ where: { id: token.id } })).toBe(0);
    await expect(createToken(t.ctx, selfActor(bob.id), { userId: bob.id, name: 'x', group: 'closed' })).rejects.toMatchObject({
      code: 'group_not_allowed',
    });
  });

  it('the OpenAPI document lists the token routes with request and response schemas', async () => {
    const doc = (await t.app.inject({ url: '/api/openapi.json' })).json() as OpenApiDoc;
    const tokens = doc.paths['/api/tokens'];
    const byId = doc.paths['/api/tokens/{id}'];
    expect(tokens?.post?.requestBody?.content['application/json']?.schema.required).toEqual(['name']);
    expect(Object.keys(tokens?.post?.requestBody?.content['application/json']?.schema.properties ?? {}).sort()).toEqual(
      ['allowIps', 'expiresAt', 'group', 'maxConcurrent', 'models', 'name', 'quota', 'rpm', 'tpm', 'userId'],
    );
    expect(tokens?.post?.responses['201']?.content?.['application/json']?.schema.properties).toHaveProperty('key');
    expect(byId?.get?.responses['200']?.content?.['application/json']?.schema.properties).not.toHaveProperty('key');
    expect(tokens?.get?.parameters?.map((p) => p.name).sort()).toEqual(['page', 'pageSize', 'userId']);
    expect(Object.keys(byId ?? {}).sort()).toEqual(['delete', 'get', 'patch']);
    expect(byId?.get?.responses).toHaveProperty('404');
  });

  it('keeps tokens across a restart (the key still identifies the stored hash)', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/tokens',
      headers: t.admin,
      payload: { name: 'durable', quota: 123, allowIps: ['10.0.0.0/8'] },
    });
    expect(res.statusCode).toBe(201);
    const created = res.json() as TokenBody;
    const next = await restarted(t, kind);
    try {
      const read = await next.app.inject({ url: `/api/tokens/${created.id}`, headers: next.admin });
      const { key, ...stored } = created;
      expect(read.json()).toEqual(stored);
      const row = await next.ctx.db.prisma.token.findUniqueOrThrow({ where: { id: created.id } });
      expect(row.keyHash).toBe(hashSecret(key!));
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
