// The data the console reads and changes beyond the original API: price maps merged by PATCH /api/options, linked chat
// accounts, the usage series and admin overview (GROUP BY on the usage log), the streamed CSV export, channel types
// and user search. On SQLite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, dbKinds, type TestApp } from '../helpers/context.js';
import { expectError, makeUser, type LoggedInUser } from './account-helpers.js';
import { EXPORT_BATCH } from '../../src/services/log-export.js';
import { SERIES_MODELS } from '../../src/services/insights.js';

const DAY = 86_400_000;

describe.each(dbKinds)('console data on %s', (kind) => {
  let t: TestApp;
  let alice: LoggedInUser;
  let bob: LoggedInUser;
  beforeAll(async () => {
    t = await createTestApp(kind);
    alice = await makeUser(t, { username: `alice_${kind}` });
    bob = await makeUser(t, { username: `bob_${kind}` });
  });
  afterAll(() => t.close());

  const options = (method: 'PUT' | 'PATCH', payload: Record<string, unknown>) => t.app.inject({ method, url: '/api/options', headers: t.admin, payload });

  describe('price maps', () => {
    it('PATCH changes only the models given, null removes one, PUT still replaces', async () => {
      expect((await options('PUT', { modelRatios: { a: 1, b: 2 }, completionRatios: { a: 3 } })).statusCode).toBe(200);
      const merged = await options('PATCH', { modelRatios: { b: null, c: 0.5 }, completionRatios: { c: 4 }, exchangeRate: 7.2 });
      expect(merged.statusCode, merged.body).toBe(200);
      expect(merged.json()).toMatchObject({ modelRatios: { a: 1, c: 0.5 }, completionRatios: { a: 3, c: 4 }, exchangeRate: 7.2 });
      expect(merged.json().modelRatios).not.toHaveProperty('b');
      expect(t.ctx.options.current.modelRatios).toEqual({ a: 1, c: 0.5 });
      // Removing a model that is not there, and a map that was never stored, are fine.
      expect((await options('PATCH', { modelPrices: { nothing: null }, cacheReadRatios: { 'gpt-4o': 0.5 } })).json()).toMatchObject({
        modelPrices: {},
        cacheReadRatios: { 'gpt-4o': 0.5 },
      });
      expect((await options('PUT', { modelRatios: { z: 9 } })).json().modelRatios).toEqual({ z: 9 });
    });

    it('two admins saving different models at the same time both keep their change', async () => {
      await options('PUT', { modelRatios: {} });
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => options('PATCH', { modelRatios: { [`m${i}`]: i + 0.5 } })));
      expect(results.map((r) => r.statusCode)).toEqual(Array(12).fill(200));
      await t.ctx.options.load();
      expect(Object.keys(t.ctx.options.current.modelRatios).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `m${i}`).sort());
    });

    it('refuses bad values naming map and model, and keeps the stored map as it was', async () => {
      await options('PUT', { modelRatios: { keep: 1 } });
      expectError(await options('PATCH', { modelRatios: { x: -1 } }), 400, 'invalid_request', 'modelRatios.x');
      expectError(await options('PATCH', { modelRatios: { x: '-0.5' } }), 400, 'invalid_request', 'modelRatios.x');
      expectError(await options('PATCH', { modelRatios: { x: 0.1234567891 } }), 400, 'invalid_request', 'modelRatios.x');
      expectError(await options('PATCH', { modelRatios: [1] }), 400, 'invalid_request', 'modelRatios');
      expectError(await options('PATCH', { nope: 1 }), 400, 'invalid_request', 'nope');
      // A bad scalar in the same body stops the map change too (validated before anything is written).
      expectError(await options('PATCH', { modelRatios: { y: 1 }, retryCount: 99 }), 400, 'invalid_request', 'retryCount');
      expect((await t.app.inject({ url: '/api/options', headers: t.admin })).json().modelRatios).toEqual({ keep: 1 });
      expectError(await t.app.inject({ method: 'PATCH', url: '/api/options', headers: alice.auth, payload: { modelRatios: { y: 1 } } }), 403, 'forbidden');
    });
  });

  describe('linked chat accounts', () => {
    it('lists the caller’s links and unlinks only their own', async () => {
      const prisma = t.ctx.db.prisma;
      const mine = await prisma.platformLink.create({ data: { platform: 'telegram', platformUserId: `${kind}-42`, userId: alice.id } });
      const theirs = await prisma.platformLink.create({ data: { platform: 'discord', platformUserId: `${kind}-7`, userId: bob.id } });
      const list = await t.app.inject({ url: '/api/links', headers: alice.auth });
      expect(list.json()).toEqual({ items: [{ id: mine.id, platform: 'telegram', platformUserId: `${kind}-42`, createdAt: mine.createdAt.toISOString() }] });
      expectError(await t.app.inject({ method: 'DELETE', url: `/api/links/${theirs.id}`, headers: alice.auth }), 404, 'not_found');
      expect((await t.app.inject({ method: 'DELETE', url: `/api/links/${mine.id}`, headers: alice.auth })).statusCode).toBe(204);
      expect((await t.app.inject({ url: '/api/links', headers: alice.auth })).json()).toEqual({ items: [] });
      expect(await prisma.platformLink.count({ where: { id: theirs.id } })).toBe(1);
    });
  });

  describe('usage series, overview and export', () => {
    const now = new Date();
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    // Whole UTC days, so rows placed later today are inside the range whatever the time now.
    const range = `from=${new Date(today - 29 * DAY).toISOString()}&to=${new Date(today + DAY).toISOString()}`;
    let channelId: number;

    beforeAll(async () => {
      const prisma = t.ctx.db.prisma;
      channelId = (await prisma.channel.create({ data: { name: 'health-check', type: 'openai', baseUrl: 'http://127.0.0.1:9' } })).id;
      const rows = [];
      // Alice: 8 models over three days (so the series folds two into "other"); one failed call; one write-off.
      for (let m = 0; m < SERIES_MODELS + 2; m++) {
        for (const daysAgo of [0, 1, 2]) {
          rows.push({ userId: alice.id, model: `model-${m}`, quota: BigInt((m + 1) * 100), promptTokens: 10, completionTokens: 5, createdAt: new Date(today - daysAgo * DAY + 3_600_000), channelId });
        }
      }
      rows.push({ userId: alice.id, model: 'model-0', type: 'error', status: 'error', quota: 0n, content: 'upstream 401: invalid key', createdAt: new Date(today + 60_000), channelId });
      rows.push({ userId: alice.id, model: 'model-0', quota: 50n, writeOff: 12n, content: 'cost exceeded the reservation; 12 units could not be charged (balance exhausted)', createdAt: new Date(today + 120_000), channelId });
      // Bob: one big call; a top-up (not a relay call) that must not count.
      rows.push({ userId: bob.id, model: 'model-big', quota: 99_999n, createdAt: new Date(today + 180_000) });
      rows.push({ userId: bob.id, type: 'topup', quota: 1_000_000n, createdAt: new Date(today + 240_000) });
      await prisma.usageLog.createMany({ data: rows });
    });

    it('the series gives the caller’s usage per day and model, biggest models first, the rest as "other"', async () => {
      const res = await t.app.inject({ url: `/api/usage/series?${range}`, headers: alice.auth });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json() as { days: string[]; models: { model: string; quota: number[]; requests: number[] }[]; total: { requests: number; quota: number } };
      expect(body.days).toHaveLength(30);
      expect(body.days.at(-1)).toBe(new Date(today).toISOString().slice(0, 10));
      expect(body.models.map((m) => m.model)).toEqual(['model-7', 'model-6', 'model-5', 'model-4', 'model-3', 'model-2', 'other']);
      const other = body.models.at(-1)!;
      expect(other.quota.slice(-3)).toEqual([300, 300, 350]); // model-0 (100 + 50 write-off) + model-1 (200); the failed call costs 0
      expect(other.requests.slice(-3)).toEqual([2, 2, 4]);
      expect(body.models[0]!.quota.slice(-3)).toEqual([800, 800, 800]);
      expect(body.total.requests).toBe(26);
      expect(body.total.quota).toBe(3 * (100 + 200 + 300 + 400 + 500 + 600 + 700 + 800) + 50);
      expectError(await t.app.inject({ url: `/api/usage/series?userId=${bob.id}`, headers: alice.auth }), 403, 'forbidden', 'userId');
      expectError(await t.app.inject({ url: '/api/usage/series?all=true', headers: alice.auth }), 403, 'forbidden', 'all');
      const everyone = await t.app.inject({ url: `/api/usage/series?all=true&${range}`, headers: t.admin });
      expect(everyone.json().total.requests).toBe(27);
      const ranged = await t.app.inject({ url: `/api/usage/series?from=${new Date(today).toISOString()}&to=${new Date(today + DAY).toISOString()}`, headers: alice.auth });
      expect(ranged.json().days).toHaveLength(1);
      expectError(await t.app.inject({ url: '/api/usage/series?from=2020-01-01&to=2022-01-01', headers: alice.auth }), 400, 'invalid_request', 'from');
      expectError(await t.app.inject({ url: '/api/usage/series?from=yesterday', headers: alice.auth }), 400, 'invalid_request', 'from');
    });

    it('the admin overview counts requests, quota, errors and write-offs per day; ranks models and users; shows channel health', async () => {
      expectError(await t.app.inject({ url: '/api/admin/overview', headers: alice.auth }), 403, 'forbidden');
      const res = await t.app.inject({ url: `/api/admin/overview?${range}`, headers: t.admin });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      const todayRow = body.days.at(-1);
      expect(todayRow).toEqual({ day: new Date(today).toISOString().slice(0, 10), requests: 8 + 3, quota: 3600 + 50 + 99_999, errors: 1, writeOffs: 1, writeOffQuota: 12 });
      expect(body.topModels[0]).toEqual({ key: 'model-big', label: 'model-big', requests: 1, quota: 99_999 });
      expect(body.topUsers.map((u: { label: string }) => u.label)).toEqual([bob.username, alice.username]);
      const health = body.channels.find((c: { id: number }) => c.id === channelId);
      expect(health).toMatchObject({ name: 'health-check', status: 'enabled', requests24h: expect.any(Number), errors24h: 1 });
      expect(health.requests24h).toBeGreaterThanOrEqual(10);
      expect(health.lastError).toBe('upstream 401: invalid key');
      const alone = await t.app.inject({ url: '/api/channel-health', headers: t.admin });
      expect(alone.json().items.find((c: { id: number }) => c.id === channelId)).toEqual(health);
      expectError(await t.app.inject({ url: '/api/channel-health', headers: alice.auth }), 403, 'forbidden');
    });

    it('exports the filtered logs as CSV, streamed in batches, newest first, only the caller’s, formulas defused', async () => {
      const prisma = t.ctx.db.prisma;
      const base = Date.now() - 10 * DAY;
      await prisma.usageLog.createMany({
        data: Array.from({ length: EXPORT_BATCH + 250 }, (_, i) => ({
          userId: bob.id,
          model: 'bulk-model',
          tokenName: i === 0 ? '=HYPERLINK("http://evil")' : 'bulk, "quoted"',
          quota: BigInt(i),
          // Several rows share a timestamp: the keyset must still visit each exactly once.
          createdAt: new Date(base + Math.floor(i / 3) * 1000),
        })),
      });
      const res = await t.app.inject({ url: '/api/logs/export?model=bulk-model', headers: bob.auth });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="usage-logs-\d{4}-\d{2}-\d{2}\.csv"$/);
      const lines = res.body.replace(/^\ufeff/, '').trimEnd().split('\r\n');
      expect(lines[0]).toMatch(/^time,type,source,user_id,token,/);
      expect(lines).toHaveLength(EXPORT_BATCH + 250 + 1);
      const quotas = lines.slice(1).map((l) => Number(/,(\d+),[\d.e-]+,(true|false),/.exec(l)![1]));
      expect(new Set(quotas).size).toBe(EXPORT_BATCH + 250);
      expect(quotas[0]).toBeGreaterThan(quotas.at(-1)!); // newest first
      expect(res.body).toContain(`"'=HYPERLINK(""http://evil"")"`);
      expect(res.body).toContain('"bulk, ""quoted"""');
      // Alice's export has none of Bob's rows; the filters are the list's.
      const mine = await t.app.inject({ url: '/api/logs/export?type=error', headers: alice.auth });
      expect(mine.body.replace(/^\ufeff/, '').trimEnd().split('\r\n')).toHaveLength(2);
      expect(mine.body).not.toContain('bulk-model');
      expectError(await t.app.inject({ url: `/api/logs/export?userId=${bob.id}`, headers: alice.auth }), 403, 'forbidden', 'userId');
    });
  });

  it('lists channel types for the channel form (admins)', async () => {
    const res = await t.app.inject({ url: '/api/channel-types', headers: t.admin });
    const items = res.json().items as { type: string; defaultBaseUrl: string | null; needsKey: boolean }[];
    expect(items.find((i) => i.type === 'openai')).toMatchObject({ defaultBaseUrl: 'https://api.openai.com', needsKey: true });
    expect(items.find((i) => i.type === 'ollama')?.needsKey).toBe(false);
    expectError(await t.app.inject({ url: '/api/channel-types', headers: alice.auth }), 403, 'forbidden');
  });

  it('finds users by part of the username', async () => {
    const res = await t.app.inject({ url: `/api/users?q=lice_${kind}`, headers: t.admin });
    expect(res.json()).toMatchObject({ total: 1, items: [{ username: alice.username }] });
  });

  it('documents every route the console added', async () => {
    const doc = (await t.app.inject({ url: '/api/openapi.json' })).json() as { paths: Record<string, Record<string, { parameters?: { name: string }[] }>> };
    for (const [path, method] of [
      ['/api/auth/session', 'post'],
      ['/api/auth/session', 'delete'],
      ['/api/auth/register', 'post'],
      ['/api/site', 'get'],
      ['/api/options', 'patch'],
      ['/api/links', 'get'],
      ['/api/links/{id}', 'delete'],
      ['/api/usage/series', 'get'],
      ['/api/admin/overview', 'get'],
      ['/api/logs/export', 'get'],
      ['/api/channel-types', 'get'],
      ['/api/channel-health', 'get'],
    ] as const) {
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
    expect(doc.paths['/api/logs/export']!.get!.parameters!.map((p) => p.name)).toContain('model');
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/assets'))).toBe(false);
  });
});
