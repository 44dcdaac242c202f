import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestApp, dbKinds, type TestApp } from '../helpers/context.js';
import { recentLogs } from '../../src/services/logs.js';
import { createUser, errorOf, type TestUser } from './ops-helpers.js';

interface LogItem {
  id: number;
  createdAt: string;
  userId: number;
  model: string;
  type: string;
  [k: string]: unknown;
}
interface LogPage {
  items: LogItem[];
  total: number;
}
interface Stats {
  by: string;
  from: string;
  to: string;
  items: Array<{ key: string; label: string; requests: number; quota: number; promptTokens: number; completionTokens: number }>;
  total: { requests: number; quota: number; promptTokens: number; completionTokens: number };
}

const zero = { requests: 0, quota: 0, promptTokens: 0, completionTokens: 0, writeOff: 0 };

describe.each(dbKinds)('usage logs and stats on %s', (kind) => {
  let t: TestApp;
  let ann: TestUser;
  let ben: TestUser;
  let channelId: number;

  beforeAll(async () => {
    t = await createTestApp(kind);
    ann = await createUser(t, 'ann');
    ben = await createUser(t, 'ben');
    channelId = (await t.ctx.db.prisma.channel.create({ data: { name: 'main', type: 'openai', baseUrl: 'https://x.test' } })).id;
    const at = (iso: string) => new Date(iso);
    await t.ctx.db.prisma.usageLog.createMany({
      data: [
        {
          createdAt: at('2026-03-01T10:00:00Z'), type: 'consume', source: 'api', userId: ann.id, tokenId: 11,
          tokenName: 'ann-key', channelId, endpoint: '/v1/chat/completions', model: 'gpt-4o',
          upstreamModel: 'gpt-4o-2024-08-06', promptTokens: 100, completionTokens: 50, cacheReadTokens: 20,
          cacheWriteTokens: 5, groupRatio: '1', modelRatio: '1.25', completionRatio: '4', quota: 300n, stream: true,
          latencyMs: 812, ttftMs: 95, status: 'ok', content: '', group: 'default', requestId: 'req-1', usageSource: 'upstream',
        },
        {
          createdAt: at('2026-03-01T23:59:59Z'), type: 'consume', source: 'telegram', userId: ann.id, tokenId: 11,
          tokenName: 'ann-key', channelId, model: 'claude-x', promptTokens: 10, completionTokens: 5, quota: 40n, writeOff: 7n,
        },
        {
          createdAt: at('2026-03-03T00:00:00Z'), type: 'error', source: 'api', userId: ann.id, tokenId: 12,
          tokenName: 'ann-bot', model: 'gpt-4o', status: 'error', content: 'upstream_error: the upstream service could not complete this request',
          detail: 'upstream error (openai): Incorrect API key provided: [redacted]', usageSource: 'none',
        },
        { createdAt: at('2026-03-02T12:00:00Z'), type: 'redeem', source: 'api', userId: ann.id, quota: 5000n },
        {
          createdAt: at('2026-03-02T08:00:00Z'), type: 'consume', source: 'api', userId: ben.id, tokenId: 21,
          tokenName: 'ben-key', channelId, model: 'gpt-4o', promptTokens: 7, completionTokens: 3, quota: 20n,
        },
        {
          createdAt: at('2026-02-28T23:00:00Z'), type: 'consume', source: 'api', userId: ben.id, tokenId: 21,
          tokenName: 'ben-key', channelId, model: 'gpt-4o', promptTokens: 1, completionTokens: 1, quota: 999n,
        },
      ],
    });
  });
  afterAll(async () => t?.close());

  const get = async (url: string, headers: { authorization: string }) => t.app.inject({ url, headers });
  const logs = async (url: string, headers: { authorization: string }) => {
    const res = await get(url, headers);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as LogPage;
  };
  const stats = async (url: string, headers: { authorization: string }) => {
    const res = await get(url, headers);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as Stats;
  };

  it('shows a user only their own logs, newest first, with every field', async () => {
    const page = await logs('/api/logs', ann.headers);
    expect(page.total).toBe(4);
    expect(page.items.map((i) => i.createdAt)).toEqual([
      '2026-03-03T00:00:00.000Z',
      '2026-03-02T12:00:00.000Z',
      '2026-03-01T23:59:59.000Z',
      '2026-03-01T10:00:00.000Z',
    ]);
    expect(page.items.every((i) => i.userId === ann.id)).toBe(true);
    const { id, ...first } = page.items[3]!;
    expect(id).toBeTypeOf('number');
    expect(first).toEqual({
      createdAt: '2026-03-01T10:00:00.000Z', type: 'consume', source: 'api', userId: ann.id, tokenId: 11,
      tokenName: 'ann-key', channelId, endpoint: '/v1/chat/completions', model: 'gpt-4o',
      upstreamModel: 'gpt-4o-2024-08-06', promptTokens: 100, completionTokens: 50, cacheReadTokens: 20,
      cacheWriteTokens: 5, groupRatio: '1', modelRatio: '1.25', completionRatio: '4', quota: 300, stream: true,
      latencyMs: 812, ttftMs: 95, status: 'ok', content: '', group: 'default', requestId: 'req-1', usageSource: 'upstream', writeOff: 0,
    });
    // What the upstream said is for admins: a user's own error row carries what they were told, no detail.
    expect(page.items[0]).toMatchObject({ status: 'error', content: expect.stringContaining('could not complete') });
    expect(page.items[0]).not.toHaveProperty('detail');
    const asAdmin = await logs(`/api/logs?userId=${ann.id}&status=error`, t.admin);
    expect(asAdmin.items[0]).toMatchObject({ detail: 'upstream error (openai): Incorrect API key provided: [redacted]' });
    expect((await logs('/api/logs', ben.headers)).total).toBe(2);
  });

  it("refuses a user asking for another user's logs or stats", async () => {
    const res = await get(`/api/logs?userId=${ben.id}`, ann.headers);
    expect(res.statusCode).toBe(403);
    expect(errorOf(res.body)).toMatchObject({ code: 'forbidden', param: 'userId' });
    expect(res.body).not.toContain('ben-key');
    const statsRes = await get(`/api/stats?userId=${ben.id}`, ann.headers);
    expect(statsRes.statusCode).toBe(403);
    expect((await logs(`/api/logs?userId=${ann.id}`, ann.headers)).total).toBe(4);
    // Filters narrow within the user's own rows; they never widen to someone else's.
    expect((await logs('/api/logs?tokenName=ben-key', ann.headers)).total).toBe(0);
  });

  it('lets admins read everything and filter by each field', async () => {
    expect((await logs('/api/logs', t.admin)).total).toBe(6);
    const count = async (query: string) => (await logs(`/api/logs?${query}`, t.admin)).total;
    expect(await count(`userId=${ben.id}`)).toBe(2);
    expect(await count('tokenId=11')).toBe(2);
    expect(await count('tokenName=ann-bot')).toBe(1);
    expect(await count(`channelId=${channelId}`)).toBe(4);
    expect(await count('model=gpt-4o')).toBe(4);
    expect(await count('type=redeem')).toBe(1);
    expect(await count('status=error')).toBe(1);
    expect(await count('source=telegram')).toBe(1);
    expect(await count(`model=gpt-4o&userId=${ann.id}`)).toBe(2);
    const window = await logs('/api/logs?from=2026-03-01T23:59:59Z&to=2026-03-03T00:00:00Z', t.admin);
    expect(window.items.map((i) => i.createdAt)).toEqual([
      '2026-03-02T12:00:00.000Z',
      '2026-03-02T08:00:00.000Z',
      '2026-03-01T23:59:59.000Z',
    ]);
    expect(await count('from=2026-03-02&to=2026-03-03')).toBe(2);
  });

  it('pages the list', async () => {
    const first = await logs('/api/logs?pageSize=2', t.admin);
    const second = await logs('/api/logs?pageSize=2&page=2', t.admin);
    const fourth = await logs('/api/logs?pageSize=2&page=4', t.admin);
    expect(first.total).toBe(6);
    expect(first.items.map((i) => i.createdAt)).toEqual(['2026-03-03T00:00:00.000Z', '2026-03-02T12:00:00.000Z']);
    expect(second.items.map((i) => i.createdAt)).toEqual(['2026-03-02T08:00:00.000Z', '2026-03-01T23:59:59.000Z']);
    expect(fourth).toEqual({ items: [], total: 6 });
  });

  it('refuses bad queries naming the field, and callers without a key', async () => {
    const cases: Array<[string, string]> = [
      ['/api/logs?from=yesterday', 'from'],
      ['/api/logs?to=2026-13-45T00:00:00Z', 'to'],
      ['/api/logs?userId=abc', 'userId'],
      ['/api/logs?pageSize=0', 'pageSize'],
      ['/api/logs?type=spend', 'type'],
      ['/api/stats?by=week', 'by'],
      ['/api/stats?from=2026-03-05&to=2026-03-01', 'from'],
      ['/api/stats?from=2024-01-01&to=2026-01-01', 'from'],
    ];
    for (const [url, param] of cases) {
      const res = await get(url, t.admin);
      expect(res.statusCode, url).toBe(400);
      expect(errorOf(res.body), url).toMatchObject({ code: 'invalid_request', param });
    }
    const anonymous = await t.app.inject({ url: '/api/logs' });
    expect(anonymous.statusCode).toBe(401);
    expect((await t.app.inject({ url: '/api/stats' })).statusCode).toBe(401);
  });

  it("totals a user's own usage by UTC day, zero days included, redemptions left out", async () => {
    const s = await stats('/api/stats?from=2026-03-01&to=2026-03-04', ann.headers);
    expect(s).toEqual({
      by: 'day',
      from: '2026-03-01T00:00:00.000Z',
      to: '2026-03-04T00:00:00.000Z',
      items: [
        { key: '2026-03-01', label: '2026-03-01', requests: 2, quota: 340, promptTokens: 110, completionTokens: 55, writeOff: 7 },
        { key: '2026-03-02', label: '2026-03-02', ...zero },
        { key: '2026-03-03', label: '2026-03-03', requests: 1, quota: 0, promptTokens: 0, completionTokens: 0, writeOff: 0 },
      ],
      total: { requests: 3, quota: 340, promptTokens: 110, completionTokens: 55, writeOff: 7 },
    });
  });

  it('totals everyone for admins, or one user with userId', async () => {
    const all = await stats('/api/stats?by=day&from=2026-03-01&to=2026-03-04', t.admin);
    expect(all.items.map((i) => [i.key, i.requests, i.quota])).toEqual([
      ['2026-03-01', 2, 340],
      ['2026-03-02', 1, 20],
      ['2026-03-03', 1, 0],
    ]);
    expect(all.total).toEqual({ requests: 4, quota: 360, promptTokens: 117, completionTokens: 58, writeOff: 7 });
    const benOnly = await stats(`/api/stats?userId=${ben.id}&from=2026-02-28&to=2026-03-03`, t.admin);
    expect(benOnly.items.map((i) => [i.key, i.quota])).toEqual([
      ['2026-02-28', 999],
      ['2026-03-01', 0],
      ['2026-03-02', 20],
    ]);
  });

  it('groups by model, token, channel and source, largest first', async () => {
    const range = 'from=2026-03-01&to=2026-03-04';
    const byModel = await stats(`/api/stats?by=model&${range}`, t.admin);
    expect(byModel.items).toEqual([
      { key: 'gpt-4o', label: 'gpt-4o', requests: 3, quota: 320, promptTokens: 107, completionTokens: 53, writeOff: 0 },
      { key: 'claude-x', label: 'claude-x', requests: 1, quota: 40, promptTokens: 10, completionTokens: 5, writeOff: 7 },
    ]);
    const byToken = await stats(`/api/stats?by=token&${range}`, t.admin);
    expect(byToken.items.map((i) => [i.key, i.label, i.requests, i.quota])).toEqual([
      ['11', 'ann-key', 2, 340],
      ['21', 'ben-key', 1, 20],
      ['12', 'ann-bot', 1, 0],
    ]);
    const byChannel = await stats(`/api/stats?by=channel&${range}`, t.admin);
    expect(byChannel.items.map((i) => [i.key, i.label, i.requests, i.quota])).toEqual([
      [String(channelId), 'main', 3, 360],
      ['none', 'none', 1, 0],
    ]);
    const bySource = await stats(`/api/stats?by=source&${range}`, t.admin);
    expect(bySource.items.map((i) => [i.key, i.requests, i.quota])).toEqual([
      ['api', 3, 320],
      ['telegram', 1, 40],
    ]);
    expect(bySource.total).toEqual(byModel.total);
    // Users see their own channel usage by id only; channel names are operator detail.
    const annChannels = await stats(`/api/stats?by=channel&${range}`, ann.headers);
    expect(annChannels.items.map((i) => [i.key, i.label, i.quota])).toEqual([
      [String(channelId), String(channelId), 340],
      ['none', 'none', 0],
    ]);
  });

  it('defaults to the last 30 days by day', async () => {
    const s = await stats('/api/stats', ann.headers);
    expect(s.by).toBe('day');
    expect(Date.parse(s.to) - Date.parse(s.from)).toBe(30 * 86_400_000);
    expect(s.items).toHaveLength(31);
    expect(s.total).toEqual(zero);
  });

  it('exports recentLogs for the bots', async () => {
    const recent = await recentLogs(t.ctx, ann.id, 2);
    expect(recent.map((l) => [l.createdAt, l.type])).toEqual([
      ['2026-03-03T00:00:00.000Z', 'error'],
      ['2026-03-02T12:00:00.000Z', 'redeem'],
    ]);
    expect(await recentLogs(t.ctx, ben.id, 500)).toHaveLength(2);
  });
});
