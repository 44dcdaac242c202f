import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestApp, dbKinds, type TestApp } from '../helpers/context.js';
import { DEFAULT_OPTIONS } from '../../src/services/options.js';
import { createUser, errorOf, type TestUser } from './ops-helpers.js';

describe.each(dbKinds)('admin options on %s', (kind) => {
  let t: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    t = await createTestApp(kind);
    user = await createUser(t, 'olive');
  });
  afterAll(async () => t?.close());

  const put = (payload: unknown, headers: Record<string, string> = t.admin) =>
    t.app.inject({ method: 'PUT', url: '/api/options', headers, payload: payload as object });

  it('answers the current options, defaults at first', async () => {
    const res = await t.app.inject({ url: '/api/options', headers: t.admin });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(DEFAULT_OPTIONS);
  });

  it('applies a partial update, persists it and answers with every option', async () => {
    let published = 0;
    const off = t.ctx.bus.subscribe('options', () => void published++);
    const res = await put({ retryCount: 5, topUpLink: 'https://shop.example/buy', modelRatios: { 'gpt-4o': 1.25 } });
    off();
    expect(res.statusCode).toBe(200);
    const expected = { ...DEFAULT_OPTIONS, retryCount: 5, topUpLink: 'https://shop.example/buy', modelRatios: { 'gpt-4o': 1.25 } };
    expect(res.json()).toEqual(expected);
    expect(published).toBe(1);
    expect(t.ctx.options.current).toEqual(expected);

    const rows = await t.ctx.db.prisma.option.findMany({ orderBy: { key: 'asc' } });
    expect(rows).toEqual([
      { key: 'modelRatios', value: '{"gpt-4o":1.25}' },
      { key: 'retryCount', value: '5' },
      { key: 'topUpLink', value: '"https://shop.example/buy"' },
    ]);
    expect((await t.app.inject({ url: '/api/options', headers: t.admin })).json()).toEqual(expected);

    const nullable = await put({ defaultModelRatio: null });
    expect(nullable.json()).toMatchObject({ defaultModelRatio: null, retryCount: 5 });
    const ratio = await put({ defaultModelRatio: 2.5 });
    expect(ratio.json()).toMatchObject({ defaultModelRatio: 2.5 });
  });

  it('refuses unknown keys and wrong types, naming the key, and changes nothing', async () => {
    const before = { ...t.ctx.options.current };
    const cases: Array<[unknown, string]> = [
      [{ retryCount: 3, noSuchOption: 1 }, 'noSuchOption'],
      [{ retryCount: 'three' }, 'retryCount'],
      [{ retryCount: 11 }, 'retryCount'],
      [{ autoDisableChannels: 'yes' }, 'autoDisableChannels'],
      [{ modelRatios: { 'gpt-4o': -1 } }, 'modelRatios.gpt-4o'],
    ];
    for (const [payload, param] of cases) {
      const res = await put(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      const error = errorOf(res.body);
      expect(error, JSON.stringify(payload)).toMatchObject({ code: 'invalid_request', param });
      expect(error.message).toContain(param.split('.')[0]);
    }
    const array = await put([1, 2]);
    expect(array.statusCode).toBe(400);
    const badJson = await t.app.inject({
      method: 'PUT',
      url: '/api/options',
      headers: { ...t.admin, 'content-type': 'application/json' },
      payload: '{"retryCount":',
    });
    expect(badJson.statusCode).toBe(400);
    expect(errorOf(badJson.body).code).toBe('invalid_json');
    expect(t.ctx.options.current).toEqual(before);
  });

  it('is for admins only', async () => {
    const read = await t.app.inject({ url: '/api/options', headers: user.headers });
    expect(read.statusCode).toBe(403);
    expect(errorOf(read.body).code).toBe('forbidden');
    const write = await put({ retryCount: 1 }, user.headers);
    expect(write.statusCode).toBe(403);
    expect(t.ctx.options.current.retryCount).not.toBe(1);
    const anonymous = await t.app.inject({ url: '/api/options' });
    expect(anonymous.statusCode).toBe(401);
    expect(errorOf(anonymous.body).code).toBe('missing_key');
  });
});
