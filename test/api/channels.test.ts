import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestApp, dbKinds, type TestApp } from '../helpers/context.js';
import { maskKey, mergeKeys, parseChannelRow } from '../../src/services/channels.js';
import { createUser, errorOf, type TestUser } from './ops-helpers.js';

const KEY_A = 'sk-abcdefghijklmnopqrstuvwxyz0123456789AAAA';
const KEY_B = 'sk-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbBBBB';
const KEY_C = 'sk-cccccccccccccccccccccccccccccccccccccCCC';

interface ChannelBody {
  id: number;
  keys: string[];
  status: string;
  disabledReason: string | null;
  disabledAt: string | null;
  [k: string]: unknown;
}

const main = {
  name: 'main',
  type: 'openai',
  baseUrl: 'https://api.openai.com/',
  keys: [KEY_A, KEY_B],
  models: ['gpt-4o-mini', 'gpt-4o'],
  modelMapping: { 'gpt-4o-mini': 'gpt-4o-mini-2024-07-18' },
  groups: ['default'],
  priority: 5,
  weight: 3,
  config: { firstByteTimeoutMs: 30000, headers: { 'X-Title': 'relay' } },
};

describe.each(dbKinds)('channels on %s', (kind) => {
  let t: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    t = await createTestApp(kind);
    user = await createUser(t, 'carl');
    await t.ctx.db.prisma.group.create({ data: { name: 'vip', ratio: '2' } });
  });
  afterAll(async () => t?.close());

  const create = (payload: unknown) =>
    t.app.inject({ method: 'POST', url: '/api/channels', headers: t.admin, payload: payload as object });
  const patch = (id: number, payload: unknown) =>
    t.app.inject({ method: 'PATCH', url: `/api/channels/${id}`, headers: t.admin, payload: payload as object });
  const storedKeys = async (id: number) =>
    parseChannelRow(await t.ctx.db.prisma.channel.findUniqueOrThrow({ where: { id } })).keys;

  it('masks keys', () => {
    expect(maskKey(KEY_A)).toBe('sk-ab…AAAA');
    expect(maskKey('abcdefghij')).toBe('ab…ij');
    expect(maskKey('short')).toBe('…');
  });

  it('creates a channel and never answers with a full key', async () => {
    let published = 0;
    const off = t.ctx.bus.subscribe('channels', () => void published++);
    const res = await create(main);
    off();
    expect(res.statusCode).toBe(201);
    expect(res.body).not.toContain(KEY_A);
    expect(res.body).not.toContain(KEY_B);
    const body = res.json() as ChannelBody;
    const { id, createdAt, updatedAt, ...rest } = body;
    expect(typeof createdAt).toBe('string');
    expect(typeof updatedAt).toBe('string');
    expect(rest).toEqual({
      name: 'main',
      type: 'openai',
      baseUrl: 'https://api.openai.com',
      keys: ['sk-ab…AAAA', 'sk-bb…BBBB'],
      disabledKeys: {},
      models: ['gpt-4o-mini', 'gpt-4o'],
      modelMapping: { 'gpt-4o-mini': 'gpt-4o-mini-2024-07-18' },
      groups: ['default'],
      priority: 5,
      weight: 3,
      config: { firstByteTimeoutMs: 30000, headers: { 'X-Title': 'relay' } },
      status: 'enabled',
      disabledReason: null,
      disabledAt: null,
      testedAt: null,
      responseTimeMs: null,
    });
    expect(published).toBe(1);

    const row = await t.ctx.db.prisma.channel.findUniqueOrThrow({ where: { id } });
    expect(parseChannelRow(row)).toEqual({
      id,
      name: 'main',
      type: 'openai',
      baseUrl: 'https://api.openai.com',
      keys: [KEY_A, KEY_B],
      disabledKeys: {},
      models: ['gpt-4o-mini', 'gpt-4o'],
      modelMapping: { 'gpt-4o-mini': 'gpt-4o-mini-2024-07-18' },
      groups: ['default'],
      priority: 5,
      weight: 3,
      status: 'enabled',
      disabledReason: null,
      config: { firstByteTimeoutMs: 30000, headers: { 'X-Title': 'relay' } },
    });

    const one = await t.app.inject({ url: `/api/channels/${id}`, headers: t.admin });
    expect(one.statusCode).toBe(200);
    expect(one.body).not.toContain(KEY_A);
    expect((one.json() as ChannelBody).keys).toEqual(['sk-ab…AAAA', 'sk-bb…BBBB']);
  });

  it('fills defaults: base URL by type, group default, priority 0, weight 1; key-less self-hosted types', async () => {
    const res = await create({ name: 'ds', type: 'deepseek', keys: [KEY_C], models: ['deepseek-chat'] });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      baseUrl: 'https://api.deepseek.com',
      groups: ['default'],
      priority: 0,
      weight: 1,
      modelMapping: {},
      config: {},
      keys: ['sk-cc…cCCC'],
    });
    const ollama = await create({ name: 'local', type: 'ollama', models: ['llama3'], groups: ['vip', 'default'] });
    expect(ollama.statusCode).toBe(201);
    expect(ollama.json()).toMatchObject({ keys: [], baseUrl: 'http://127.0.0.1:11434', groups: ['vip', 'default'] });
  });

  it('refuses invalid channels with the field named', async () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ ...main, type: 'openia' }, 'type', 'unknown channel type "openia"'],
      [{ ...main, baseUrl: 'ftp://files.example' }, 'baseUrl', 'http'],
      [{ ...main, baseUrl: 'not a url' }, 'baseUrl', 'not a valid URL'],
      [{ ...main, type: 'azure', baseUrl: undefined }, 'baseUrl', 'required'],
      [{ ...main, keys: [] }, 'keys', 'at least one key'],
      [{ ...main, keys: undefined }, 'keys', 'at least one key'],
      [{ ...main, keys: ['  '] }, 'keys.0', 'blank'],
      [{ ...main, keys: ['sk-ab…AAAA'] }, 'keys.0', 'masked'],
      [{ ...main, models: [] }, 'models', ''],
      [{ ...main, models: ['gpt-4o', ''] }, 'models.1', ''],
      [{ ...main, models: undefined }, 'models', 'required'],
      [{ ...main, groups: ['default', 'nope'] }, 'groups', 'group "nope" does not exist'],
      [{ ...main, weight: 1001 }, 'weight', ''],
      [{ ...main, weight: -1 }, 'weight', ''],
      [{ ...main, priority: 1.5 }, 'priority', ''],
      [{ ...main, name: undefined }, 'name', 'required'],
      [{ ...main, name: '   ' }, 'name', 'blank'],
      [{ ...main, config: { totalTimeoutMs: 'soon' } }, 'config.totalTimeoutMs', ''],
      [{ ...main, surprise: true }, '', ''],
    ];
    for (const [payload, param, text] of cases) {
      const res = await create(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      const error = errorOf(res.body);
      expect(error.code).toBe('invalid_request');
      if (param) expect(error.param, JSON.stringify(payload)).toBe(param);
      expect(error.message).toContain(text);
    }
    const badJson = await t.app.inject({
      method: 'POST',
      url: '/api/channels',
      headers: { ...t.admin, 'content-type': 'application/json' },
      payload: '{"name":"x",',
    });
    expect(badJson.statusCode).toBe(400);
    expect(errorOf(badJson.body).code).toBe('invalid_json');
    expect(await t.ctx.db.prisma.channel.count({ where: { name: 'main', type: { not: 'openai' } } })).toBe(0);
  });

  it('lists channels with masked keys, filtered by type and status', async () => {
    const res = await t.app.inject({ url: '/api/channels', headers: t.admin });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toMatch(/sk-[a-c]{10}/);
    const body = res.json() as { items: ChannelBody[]; total: number };
    expect(body.total).toBe(await t.ctx.db.prisma.channel.count());
    expect(body.items.map((c) => c.id)).toEqual([...body.items.map((c) => c.id)].sort((a, b) => a - b));
    const openai = await t.app.inject({ url: '/api/channels?type=openai&status=enabled', headers: t.admin });
    expect((openai.json() as { items: ChannelBody[] }).items.map((c) => c.name)).toEqual(['main']);
    const bad = await t.app.inject({ url: '/api/channels?status=broken', headers: t.admin });
    expect(bad.statusCode).toBe(400);
    expect(errorOf(bad.body).param).toBe('status');
  });

  it('keeps stored keys when their masks are sent back, adds new ones, follows disabled keys', async () => {
    const created = (await create({ ...main, name: 'keys', keys: [KEY_A, KEY_B] }).then((r) => r.json())) as ChannelBody;
    await t.ctx.db.prisma.channel.update({ where: { id: created.id }, data: { disabledKeys: '{"1":"invalid key"}' } });

    // The admin's form sends back both masks unchanged and appends a new key.
    const res = await patch(created.id, { keys: [...created.keys, KEY_C] });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain(KEY_C);
    expect(res.json()).toMatchObject({ keys: ['sk-ab…AAAA', 'sk-bb…BBBB', 'sk-cc…cCCC'], disabledKeys: { '1': 'invalid key' } });
    expect(await storedKeys(created.id)).toEqual([KEY_A, KEY_B, KEY_C]);

    // Removing the first key: the remaining masks move to new positions and still resolve, reasons follow.
    const removed = await patch(created.id, { keys: ['sk-bb…BBBB', 'sk-cc…cCCC'] });
    expect(removed.json()).toMatchObject({ keys: ['sk-bb…BBBB', 'sk-cc…cCCC'], disabledKeys: { '0': 'invalid key' } });
    expect(await storedKeys(created.id)).toEqual([KEY_B, KEY_C]);

    const replaced = await patch(created.id, { keys: [KEY_A] });
    expect(replaced.json()).toMatchObject({ keys: ['sk-ab…AAAA'], disabledKeys: {} });
    expect(await storedKeys(created.id)).toEqual([KEY_A]);

    const bogus = await patch(created.id, { keys: ['sk-zz…ZZZZ'] });
    expect(bogus.statusCode).toBe(400);
    expect(errorOf(bogus.body).param).toBe('keys.0');
    const none = await patch(created.id, { keys: [] });
    expect(none.statusCode).toBe(400);
    expect(errorOf(none.body).param).toBe('keys');
    expect(await storedKeys(created.id)).toEqual([KEY_A]);
  });

  it('merges keys by index first, then by a unique mask', () => {
    expect(mergeKeys(['sk-ab…AAAA', 'new-key-123'], [KEY_A, KEY_B], { 0: 'gone', 1: 'bad' })).toEqual({
      keys: [KEY_A, 'new-key-123'],
      disabledKeys: { 0: 'gone' },
    });
    // Two stored keys with the same mask: a moved mask is ambiguous and refused.
    const twin = 'sk-ab-other-middle-AAAA';
    expect(() => mergeKeys(['x', 'sk-ab…AAAA', 'y'], [KEY_A, 'z', twin], {})).toThrow(/matches no single stored key/);
  });

  it('updates fields, validates them, and enabling clears the disable reason', async () => {
    const created = (await create({ ...main, name: 'patchme' }).then((r) => r.json())) as ChannelBody;
    const res = await patch(created.id, {
      name: 'renamed',
      models: ['gpt-4.1'],
      groups: ['vip'],
      weight: 0,
      priority: -2,
      modelMapping: {},
      config: { apiVersion: '2024-10-21' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      name: 'renamed',
      models: ['gpt-4.1'],
      groups: ['vip'],
      weight: 0,
      priority: -2,
      modelMapping: {},
      config: { apiVersion: '2024-10-21' },
      keys: ['sk-ab…AAAA', 'sk-bb…BBBB'],
    });
    expect(await storedKeys(created.id)).toEqual([KEY_A, KEY_B]);

    const cases: Array<[Record<string, unknown>, string]> = [
      [{ type: 'nope' }, 'type'],
      [{ groups: ['ghost'] }, 'groups'],
      [{ baseUrl: 'javascript:alert(1)' }, 'baseUrl'],
      [{ weight: 5000 }, 'weight'],
      [{ status: 'auto_disabled' }, 'status'],
      [{ models: [] }, 'models'],
    ];
    for (const [payload, param] of cases) {
      const bad = await patch(created.id, payload);
      expect(bad.statusCode, JSON.stringify(payload)).toBe(400);
      expect(errorOf(bad.body).param).toBe(param);
    }

    const disabled = await patch(created.id, { status: 'disabled' });
    expect(disabled.json()).toMatchObject({ status: 'disabled', disabledReason: 'disabled by an admin' });
    expect((disabled.json() as ChannelBody).disabledAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);

    await t.ctx.db.prisma.channel.update({
      where: { id: created.id },
      data: { status: 'auto_disabled', disabledReason: 'upstream said: invalid api key', disabledAt: new Date() },
    });
    const enabled = await patch(created.id, { status: 'enabled' });
    expect(enabled.statusCode).toBe(200);
    expect(enabled.json()).toMatchObject({ status: 'enabled', disabledReason: null, disabledAt: null });
  });

  it('deletes a channel; unknown or malformed ids answer 404 / 400', async () => {
    const created = (await create({ ...main, name: 'doomed' }).then((r) => r.json())) as ChannelBody;
    let published = 0;
    const off = t.ctx.bus.subscribe('channels', () => void published++);
    const del = await t.app.inject({ method: 'DELETE', url: `/api/channels/${created.id}`, headers: t.admin });
    off();
    expect(del.statusCode).toBe(204);
    expect(del.body).toBe('');
    expect(published).toBe(1);
    for (const [method, url] of [
      ['GET', `/api/channels/${created.id}`],
      ['DELETE', `/api/channels/${created.id}`],
      ['PATCH', '/api/channels/999999'],
    ] as const) {
      const res = await t.app.inject({ method, url, headers: t.admin, ...(method === 'PATCH' ? { payload: { weight: 1 } } : {}) });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(errorOf(res.body).code).toBe('not_found');
    }
    const bad = await t.app.inject({ url: '/api/channels/first', headers: t.admin });
    expect(bad.statusCode).toBe(400);
    expect(errorOf(bad.body).param).toBe('id');
  });

  it('is for admins only, and needs a key', async () => {
    const routes = [
      ['POST', '/api/channels'],
      ['GET', '/api/channels'],
      ['GET', '/api/channels/1'],
      ['PATCH', '/api/channels/1'],
      ['DELETE', '/api/channels/1'],
    ] as const;
    for (const [method, url] of routes) {
      const payload = method === 'POST' || method === 'PATCH' ? { payload: main } : {};
      const asUser = await t.app.inject({ method, url, headers: user.headers, ...payload });
      expect(asUser.statusCode, `${method} ${url}`).toBe(403);
      expect(asUser.body).not.toContain(KEY_A);
      const anonymous = await t.app.inject({ method, url, ...payload });
      expect(anonymous.statusCode, `${method} ${url}`).toBe(401);
    }
  });

  it('documents every channel route in the OpenAPI document', async () => {
    const doc = (await t.app.inject({ url: '/api/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/api/channels'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/api/channels/{id}'] ?? {}).sort()).toEqual(['delete', 'get', 'patch']);
    expect(Object.keys(doc.paths['/api/options'] ?? {}).sort()).toEqual(['get', 'patch', 'put']);
    expect(Object.keys(doc.paths['/api/logs'] ?? {})).toEqual(['get']);
    expect(Object.keys(doc.paths['/api/stats'] ?? {})).toEqual(['get']);
  });
});
