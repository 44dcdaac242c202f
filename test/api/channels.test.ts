import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestApp, dbKinds, type TestApp } from '../helpers/context.js';
import { maskKey } from '../../src/services/channels.js';
import { KEY_PURPOSE, loadChannel } from '../../src/services/channel-repository.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import { createUser, errorOf, type TestUser } from './ops-helpers.js';

const KEY_A = 'sk-abcdefghijklmnopqrstuvwxyz0123456789AAAA';
const KEY_B = 'sk-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbBBBB';
const KEY_C = 'sk-cccccccccccccccccccccccccccccccccccccCCC';

interface KeyBody {
  id: number;
  mask: string;
  status: string;
  disabledReason: string | null;
  disabledAt: string | null;
  createdAt: string;
}

interface ChannelBody {
  id: number;
  keys: KeyBody[];
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
  let admin: TestUser;

  beforeAll(async () => {
    t = await createTestApp(kind);
    user = await createUser(t, 'carl');
    admin = await createUser(t, 'ada', { role: 'admin' });
    await t.ctx.db.prisma.group.create({ data: { name: 'vip', ratio: '2' } });
  });
  afterAll(async () => t?.close());

  const create = (payload: unknown) =>
    t.app.inject({ method: 'POST', url: '/api/channels', headers: t.admin, payload: payload as object });
  const patch = (id: number, payload: unknown) =>
    t.app.inject({ method: 'PATCH', url: `/api/channels/${id}`, headers: t.admin, payload: payload as object });
  const storedKeys = async (id: number) => (await loadChannel(t.ctx, id))!.keys.map((k) => k.secret);
  const masks = (body: unknown) => (body as ChannelBody).keys.map((k) => k.mask);
  const statuses = (body: unknown) => (body as ChannelBody).keys.map((k) => k.status);

  const getChannelBody = async (id: number) => (await t.app.inject({ url: `/api/channels/${id}`, headers: t.admin })).json() as ChannelBody;

  it('masks keys', () => {
    expect(maskKey(KEY_A)).toBe('sk-ab…AAAA');
    expect(maskKey('abcdefghij')).toBe('ab…ij');
    expect(maskKey('short')).toBe('…');
  });

  /** A new channel's health: in use, nothing seen yet. */
  const FRESH = { state: 'closed', requests: 0, successRate: null, p50LatencyMs: null, consecutiveFailures: 0, lastError: null, lastErrorAt: null, cooldownUntil: null };

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
      keys: [
        { id: expect.any(Number), mask: 'sk-ab…AAAA', status: 'enabled', disabledReason: null, disabledAt: null, createdAt: expect.any(String), health: FRESH },
        { id: expect.any(Number), mask: 'sk-bb…BBBB', status: 'enabled', disabledReason: null, disabledAt: null, createdAt: expect.any(String), health: FRESH },
      ],
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
      health: FRESH,
    });
    expect(published).toBe(1);

    // At rest the keys are sealed (AES-256-GCM under the master key), never plaintext; the router opens them.
    const rows = await t.ctx.db.prisma.channelKey.findMany({ where: { channelId: id }, orderBy: { position: 'asc' } });
    expect(rows.map((r) => r.secret.startsWith(`v1:${t.ctx.secrets.keyId}:`))).toEqual([true, true]);
    expect(JSON.stringify(rows)).not.toContain(KEY_A.slice(3));
    expect(rows.map((r) => t.ctx.secrets.open(KEY_PURPOSE, r.secret))).toEqual([KEY_A, KEY_B]);
    expect(await storedKeys(id)).toEqual([KEY_A, KEY_B]);
    const stored = await t.ctx.db.prisma.channel.findUniqueOrThrow({ where: { id } });
    expect([stored.legacyKeys, stored.legacyDisabledKeys]).toEqual(['[]', '{}']);

    const one = await t.app.inject({ url: `/api/channels/${id}`, headers: t.admin });
    expect(one.statusCode).toBe(200);
    expect(one.body).not.toContain(KEY_A);
    expect(masks(one.json())).toEqual(['sk-ab…AAAA', 'sk-bb…BBBB']);
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
      keys: [expect.objectContaining({ mask: 'sk-cc…cCCC', status: 'enabled' })],
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
      [{ ...main, keys: [KEY_A, KEY_B, KEY_A] }, 'keys.2', 'sent twice'],
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

  it('edits keys by id: add, disable and enable one, remove one, replace all; masked values are refused', async () => {
    const created = (await create({ ...main, name: 'keys', keys: [KEY_A, KEY_B] }).then((r) => r.json())) as ChannelBody;
    const [a, b] = created.keys.map((k) => k.id) as [number, number];
    const keysUrl = `/api/channels/${created.id}/keys`;
    const call = (method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
      t.app.inject({ method, url, headers: t.admin, ...(payload ? { payload } : {}) });

    const added = await call('POST', keysUrl, { keys: [KEY_C] });
    expect(added.statusCode).toBe(201);
    expect(added.body).not.toContain(KEY_C);
    expect(masks(added.json())).toEqual(['sk-ab…AAAA', 'sk-bb…BBBB', 'sk-cc…cCCC']);
    expect(await storedKeys(created.id)).toEqual([KEY_A, KEY_B, KEY_C]);
    const c = (added.json() as ChannelBody).keys[2]!.id;

    const twice = await call('POST', keysUrl, { keys: [KEY_B] });
    expect(twice.statusCode).toBe(400);
    expect(errorOf(twice.body)).toMatchObject({ param: 'keys.0', message: `keys[0] is already key ${b} of this channel` });

    const off = await call('PATCH', `${keysUrl}/${b}`, { status: 'disabled' });
    expect(off.statusCode).toBe(200);
    expect((off.json() as ChannelBody).keys[1]).toMatchObject({ id: b, status: 'disabled', disabledReason: 'disabled by an admin' });
    expect((off.json() as ChannelBody).keys[1]!.disabledAt).toMatch(/^\d{4}-/);
    const on = await call('PATCH', `${keysUrl}/${b}`, { status: 'enabled' });
    expect((on.json() as ChannelBody).keys[1]).toMatchObject({ id: b, status: 'enabled', disabledReason: null, disabledAt: null });

    const removed = await call('DELETE', `${keysUrl}/${a}`);
    expect(removed.statusCode).toBe(200);
    expect((removed.json() as ChannelBody).keys.map((k) => k.id)).toEqual([b, c]);
    expect(await storedKeys(created.id)).toEqual([KEY_B, KEY_C]);
    expect(await t.ctx.db.prisma.channelKey.count({ where: { id: a } })).toBe(0);

    // Replacing: PUT …/keys, or `keys` on PATCH (the old API), both with full keys only.
    const replaced = await call('PUT', keysUrl, { keys: [KEY_A] });
    expect(replaced.statusCode).toBe(200);
    expect(masks(replaced.json())).toEqual(['sk-ab…AAAA']);
    expect(await storedKeys(created.id)).toEqual([KEY_A]);
    const patched = await patch(created.id, { keys: [KEY_C, KEY_B] });
    expect(masks(patched.json())).toEqual(['sk-cc…cCCC', 'sk-bb…BBBB']);
    expect(await storedKeys(created.id)).toEqual([KEY_C, KEY_B]);

    const masked = await patch(created.id, { keys: ['sk-cc…cCCC', KEY_A] });
    expect(masked.statusCode).toBe(400);
    expect(errorOf(masked.body).param).toBe('keys.0');
    expect(errorOf(masked.body).message).toContain('masked key; send full keys');
    const none = await patch(created.id, { keys: [] });
    expect(none.statusCode).toBe(400);
    expect(errorOf(none.body).param).toBe('keys');
    expect(await storedKeys(created.id)).toEqual([KEY_C, KEY_B]);

    // The last key of a type that needs one stays; unknown keys and channels are 404; bad ids and bodies 400.
    const [k1, k2] = (patched.json() as ChannelBody).keys.map((k) => k.id) as [number, number];
    expect((await call('DELETE', `${keysUrl}/${k1}`)).statusCode).toBe(200);
    const last = await call('DELETE', `${keysUrl}/${k2}`);
    expect(last.statusCode).toBe(400);
    expect(errorOf(last.body).message).toContain('last key');
    expect(await storedKeys(created.id)).toEqual([KEY_B]);
    for (const [method, url, payload] of [
      ['DELETE', `${keysUrl}/${k1}`, undefined],
      ['PATCH', `${keysUrl}/${k1}`, { status: 'enabled' }],
      ['POST', '/api/channels/999999/keys', { keys: [KEY_A] }],
      ['PUT', '/api/channels/999999/keys', { keys: [KEY_A] }],
    ] as const) {
      const res = await call(method, url, payload);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(errorOf(res.body).code).toBe('not_found');
    }
    for (const [method, url, payload, param] of [
      ['PATCH', `${keysUrl}/${k2}`, { status: 'auto_disabled' }, 'status'],
      ['PATCH', `${keysUrl}/first`, { status: 'enabled' }, 'keyId'],
      ['POST', keysUrl, { keys: [] }, 'keys'],
      ['POST', keysUrl, { keys: ['  '] }, 'keys.0'],
      ['PUT', keysUrl, { keys: [KEY_A], extra: 1 }, ''],
    ] as const) {
      const res = await call(method, url, payload);
      expect(res.statusCode, `${method} ${url} ${JSON.stringify(payload)}`).toBe(400);
      if (param) expect(errorOf(res.body).param).toBe(param);
    }
  });

  it('an admin cannot send stored keys to another upstream: a new baseUrl or type needs the keys again, or the root', async () => {
    const thief: FakeOpenAI = await startFakeOpenAI();
    const upstream: FakeOpenAI = await startFakeOpenAI({ keys: [KEY_A, KEY_B] });
    try {
      const created = (await create({ ...main, name: 'guarded', baseUrl: upstream.url }).then((r) => r.json())) as ChannelBody;
      const asAdmin = (payload: object) =>
        t.app.inject({ method: 'PATCH', url: `/api/channels/${created.id}`, headers: admin.headers, payload });

      for (const [payload, param] of [
        [{ baseUrl: thief.url }, 'baseUrl'],
        [{ type: 'deepseek' }, 'type'],
        [{ baseUrl: thief.url, type: 'custom', name: 'innocent' }, 'type'],
      ] as const) {
        const res = await asAdmin(payload);
        expect(res.statusCode, JSON.stringify(payload)).toBe(403);
        const error = errorOf(res.body);
        expect(error).toMatchObject({ code: 'forbidden', param });
        expect(error.message).toContain('send the keys again in "keys"');
        expect(error.message).toContain('ask the root');
      }
      // Nothing changed, and testing the channel still goes to the real upstream, not to the admin's server.
      expect(await getChannelBody(created.id)).toMatchObject({ name: 'guarded', type: 'openai', baseUrl: upstream.url });
      const tested = await t.app.inject({ method: 'POST', url: `/api/channels/${created.id}/test`, headers: admin.headers });
      expect(tested.json()).toMatchObject({ ok: true, keys: [{ mask: 'sk-ab…AAAA', ok: true }, { mask: 'sk-bb…BBBB', ok: true }] });
      expect(upstream.requests.map((r) => r.headers.authorization).sort()).toEqual([`Bearer ${KEY_A}`, `Bearer ${KEY_B}`]);
      expect(thief.requests).toHaveLength(0);

      // The same values sent back (a form saving everything) are not a change; other fields stay editable.
      const same = await asAdmin({ baseUrl: `${upstream.url}/`, type: 'openai', weight: 7 });
      expect(same.statusCode).toBe(200);
      expect(same.json()).toMatchObject({ weight: 7 });

      // With the keys sent again the admin may point the channel elsewhere: those keys replace the stored ones.
      const withKeys = await asAdmin({ baseUrl: thief.url, keys: [KEY_C] });
      expect(withKeys.statusCode).toBe(200);
      expect(withKeys.json()).toMatchObject({ baseUrl: thief.url });
      expect(await storedKeys(created.id)).toEqual([KEY_C]);
      await t.app.inject({ method: 'POST', url: `/api/channels/${created.id}/test`, headers: admin.headers });
      expect(thief.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${KEY_C}`]); // only what the admin sent

      // The root may move stored keys.
      const byRoot = await patch(created.id, { baseUrl: upstream.url, type: 'openrouter' });
      expect(byRoot.statusCode).toBe(200);
      expect(byRoot.json()).toMatchObject({ baseUrl: upstream.url, type: 'openrouter' });
      expect(await storedKeys(created.id)).toEqual([KEY_C]);

      // A key-less channel has no stored key to redirect.
      const local = (await create({ name: 'local2', type: 'ollama', models: ['llama3'] }).then((r) => r.json())) as ChannelBody;
      const moved = await t.app.inject({ method: 'PATCH', url: `/api/channels/${local.id}`, headers: admin.headers, payload: { baseUrl: 'http://10.0.0.5:11434' } });
      expect(moved.statusCode).toBe(200);
    } finally {
      await thief.close();
      await upstream.close();
    }
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
    });
    expect(masks(res.json())).toEqual(['sk-ab…AAAA', 'sk-bb…BBBB']);
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
