import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestApp, dbKinds, type TestApp } from '../helpers/context.js';
import { normalizeRatio } from '../../src/services/ratios.js';
import { switchGroup } from '../../src/services/users.js';
import { expectError, makeUser, publishedDuring, restarted, type LoggedInUser } from './account-helpers.js';

interface GroupBody {
  name: string;
  ratio: string;
  description: string;
  userSelectable: boolean;
}

describe('normalizeRatio', () => {
  it('keeps exact decimals canonical and refuses the rest', () => {
    expect(normalizeRatio(0.8, 'ratio')).toBe('0.8');
    expect(normalizeRatio(2, 'ratio')).toBe('2');
    expect(normalizeRatio('01.500', 'ratio')).toBe('1.5');
    expect(normalizeRatio('0.000000001', 'ratio')).toBe('0.000000001');
    expect(normalizeRatio(1e-7, 'ratio')).toBe('0.0000001'); // a JSON number, read exactly
    expect(normalizeRatio('0', 'ratio')).toBe('0');
    expect(normalizeRatio('3.0', 'ratio')).toBe('3');
    expect(normalizeRatio(1_000_000, 'ratio')).toBe('1000000');
    for (const bad of [-1, '-0.5', 1e-10, 2.5e-9, '1e3', '0.0000000001', 'abc', '', '1.', '.5', NaN, Infinity, 1_000_000.5, '1000001', true, null]) {
      expect(() => normalizeRatio(bad, 'ratio'), String(bad)).toThrowError(expect.objectContaining({ code: 'invalid_request', details: { param: 'ratio' } }));
    }
    expect(() => normalizeRatio(1e-10, 'ratio')).toThrow(/below 0.000000001, the smallest step a price can take/);
  });
});

describe.each(dbKinds)('groups API on %s', (kind) => {
  let t: TestApp;
  let user: LoggedInUser;
  beforeAll(async () => {
    t = await createTestApp(kind);
    user = await makeUser(t, { username: 'member' });
  });
  afterAll(async () => t?.close());

  const create = (payload: unknown, headers: Record<string, string> = t.admin) =>
    t.app.inject({ method: 'POST', url: '/api/groups', headers, payload: payload as object });
  const patch = (name: string, payload: unknown, headers: Record<string, string> = t.admin) =>
    t.app.inject({ method: 'PATCH', url: `/api/groups/${name}`, headers, payload: payload as object });
  const del = (name: string, headers: Record<string, string> = t.admin) =>
    t.app.inject({ method: 'DELETE', url: `/api/groups/${name}`, headers });

  it('creates groups (201) with the ratio stored as an exact decimal string', async () => {
    const topics = await publishedDuring(t, async () => {
      const res = await create({ name: 'cheap', ratio: 0.8, description: 'night rates' });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toEqual({ name: 'cheap', ratio: '0.8', description: 'night rates', userSelectable: true, rpm: null, tpm: null });
    });
    expect(topics).toEqual(['groups']);
    const vip = await create({ name: 'vip', ratio: '1.250', userSelectable: false });
    expect(vip.json()).toEqual({ name: 'vip', ratio: '1.25', description: '', userSelectable: false, rpm: null, tpm: null });
    const row = await t.ctx.db.prisma.group.findUniqueOrThrow({ where: { name: 'cheap' } });
    expect(row.ratio).toBe('0.8');
    expectError(await create({ name: 'cheap', ratio: 1 }), 409, 'conflict', 'name');
  });

  it('refuses bad input naming the field', async () => {
    for (const ratio of [-1, '-1', 1e-10, '0.0000000001', 1_000_001, 'abc', true, null]) {
      expectError(await create({ name: 'bad', ratio }), 400, 'invalid_request', 'ratio');
    }
    expectError(await create({ name: 'bad' }), 400, 'invalid_request', 'ratio');
    expectError(await create({ ratio: 1 }), 400, 'invalid_request', 'name');
    expectError(await create({ name: 'has space', ratio: 1 }), 400, 'invalid_request', 'name');
    expectError(await create({ name: 'bad', ratio: 1, userSelectable: 'yes' }), 400, 'invalid_request', 'userSelectable');
    expectError(await create({ name: 'bad', ratio: 1, owner: 'me' }), 400, 'invalid_request');
    const badJson = await t.app.inject({
      method: 'POST',
      url: '/api/groups',
      headers: { ...t.admin, 'content-type': 'application/json' },
      payload: '{"name":"bad",',
    });
    expectError(badJson, 400, 'invalid_json');
    expect(await t.ctx.db.prisma.group.count({ where: { name: 'bad' } })).toBe(0);
  });

  it('lists groups: admins see all, users the selectable ones plus their own', async () => {
    const all = await t.app.inject({ url: '/api/groups', headers: t.admin });
    expect(all.statusCode).toBe(200);
    const allBody = all.json() as { items: GroupBody[]; total: number };
    expect(allBody.items.map((g) => g.name)).toEqual(['cheap', 'default', 'vip']);
    expect(allBody.total).toBe(3);
    const mine = (await t.app.inject({ url: '/api/groups', headers: user.auth })).json() as { items: GroupBody[]; total: number };
    expect(mine.items.map((g) => g.name)).toEqual(['cheap', 'default']);
    expect(mine.total).toBe(2);
    const page = (await t.app.inject({ url: '/api/groups?page=2&pageSize=2', headers: t.admin })).json();
    expect(page).toEqual({ items: [allBody.items[2]], total: 3 });
    expectError(await t.app.inject({ url: '/api/groups' }), 401, 'missing_key');
  });

  it('PATCH changes ratio, description and userSelectable; unknown → 404', async () => {
    await create({ name: 'editable', ratio: 1 });
    const topics = await publishedDuring(t, async () => {
      const res = await patch('editable', { ratio: '0.5', description: 'half price', userSelectable: false });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ name: 'editable', ratio: '0.5', description: 'half price', userSelectable: false, rpm: null, tpm: null });
    });
    expect(topics).toEqual(['groups']);
    expect((await patch('editable', { ratio: 3 })).json()).toEqual({
      name: 'editable',
      ratio: '3',
      description: 'half price',
      userSelectable: false,
      rpm: null,
      tpm: null,
    });
    expectError(await patch('editable', { ratio: '1e2' }), 400, 'invalid_request', 'ratio');
    expectError(await patch('editable', { name: 'renamed' }), 400, 'invalid_request');
    expectError(await patch('ghost', { ratio: 1 }), 404, 'not_found');
  });

  it('non-admins may not create, change or delete groups (403)', async () => {
    expectError(await create({ name: 'mine', ratio: 0 }, user.auth), 403, 'forbidden');
    expectError(await patch('cheap', { ratio: 0 }, user.auth), 403, 'forbidden');
    expectError(await del('cheap', user.auth), 403, 'forbidden');
    expect((await t.ctx.db.prisma.group.findUniqueOrThrow({ where: { name: 'cheap' } })).ratio).toBe('0.8');
  });

  it('DELETE refuses default and groups in use (409 with counts); deletes unused ones (204)', async () => {
    expectError(await del('default'), 409, 'conflict');
    await create({ name: 'busy', ratio: 1 });
    const u1 = await makeUser(t, { group: 'busy' });
    const tokens = [];
    for (const name of ['t1', 't2']) {
      const res = await t.app.inject({ method: 'POST', url: '/api/tokens', headers: u1.auth, payload: { name, group: 'busy' } });
      expect(res.statusCode).toBe(201);
      tokens.push((res.json() as { id: number }).id);
    }
    const err = expectError(await del('busy'), 409, 'conflict');
    expect(err.message).toContain('1 user and 2 tokens');
    expect([err.users, err.tokens]).toEqual([1, 2]);

    await t.app.inject({ method: 'PATCH', url: `/api/users/${u1.id}`, headers: t.admin, payload: { group: 'default' } });
    const only = expectError(await del('busy'), 409, 'conflict');
    expect(only.message).toContain('2 tokens');
    for (const id of tokens) await t.app.inject({ method: 'DELETE', url: `/api/tokens/${id}`, headers: u1.auth });

    const topics = await publishedDuring(t, async () => expect((await del('busy')).statusCode).toBe(204));
    expect(topics).toEqual(['groups']);
    expectError(await del('busy'), 404, 'not_found');
  });

  it('users switch themselves only into selectable groups (PATCH /api/me); admins anywhere', async () => {
    const me = (group: string, auth = user.auth) => t.app.inject({ method: 'PATCH', url: '/api/me', headers: auth, payload: { group } });
    const ok = await me('cheap');
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ group: 'cheap', username: 'member' });
    expectError(await me('vip'), 403, 'group_not_allowed', 'group');
    expectError(await me('ghost'), 400, 'invalid_request', 'group');
    expect((await t.ctx.db.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).group).toBe('cheap');
    // The root (an admin) may pick a closed group for themself; an admin moves a user with PATCH /api/users/:id.
    expect((await me('vip', t.admin)).json()).toMatchObject({ group: 'vip' });
    await expect(switchGroup(t.ctx, user.id, 'vip')).rejects.toMatchObject({ code: 'group_not_allowed', status: 403 });
    const moved = await t.app.inject({ method: 'PATCH', url: `/api/users/${user.id}`, headers: t.admin, payload: { group: 'vip' } });
    expect(moved.json()).toMatchObject({ group: 'vip' });
    // Staying in a closed group one is already in is not a switch.
    expect((await switchGroup(t.ctx, user.id, 'vip')).group).toBe('vip');
    await t.app.inject({ method: 'PATCH', url: '/api/me', headers: t.admin, payload: { group: 'default' } });
  });

  it('the OpenAPI document lists the group routes with request and response schemas', async () => {
    const doc = (await t.app.inject({ url: '/api/openapi.json' })).json() as OpenApiDoc;
    const groups = doc.paths['/api/groups'];
    const byName = doc.paths['/api/groups/{name}'];
    expect(groups?.post?.requestBody?.content['application/json']?.schema.required).toEqual(['name', 'ratio']);
    expect(Object.keys(groups?.post?.responses ?? {}).sort()).toEqual(['201', '400', '401', '403', '409']);
    expect(groups?.get?.responses['200']?.content?.['application/json']?.schema.properties).toHaveProperty('items');
    expect(byName?.patch?.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(['path:name']);
    expect(byName?.delete?.responses).toHaveProperty('409');
  });

  it('keeps groups across a restart', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/groups',
      headers: t.admin,
      payload: { name: 'durable', ratio: '0.333333', userSelectable: false },
    });
    expect(res.statusCode).toBe(201);
    const next = await restarted(t, kind);
    try {
      const list = (await next.app.inject({ url: '/api/groups', headers: next.admin })).json() as { items: GroupBody[] };
      expect(list.items).toContainEqual({ name: 'durable', ratio: '0.333333', description: '', userSelectable: false, rpm: null, tpm: null });
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
