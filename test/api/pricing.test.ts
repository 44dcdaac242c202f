import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestApp, dbKinds, type TestApp } from '../helpers/context.js';
import { addChannel } from '../helpers/relay.js';

describe('GET /api/pricing', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('sqlite');
    await t.ctx.db.prisma.group.create({ data: { name: 'vip', ratio: '1.5' } });
    await t.ctx.options.update({
      modelRatios: { 'gpt-4o-mini': 0.075, 'my-private': 10 },
      completionRatios: { 'gpt-4o-mini': 4 },
      modelPrices: { 'dall-e-3': 0.04 },
      topUpLink: 'https://shop.example/buy',
      exchangeRate: 0.9,
    });
    await addChannel(t, { baseUrl: 'http://127.0.0.1:9', models: ['gpt-4o-mini', 'dall-e-3', 'unpriced-x'], groups: ['default', 'vip'] });
    await addChannel(t, { baseUrl: 'http://127.0.0.1:9', models: ['my-private'], groups: ['vip'] });
  });
  afterAll(async () => t?.close());

  it('is public and prices the default group, with the groups that have each model and the recharge info', async () => {
    const res = await t.app.inject({ url: '/api/pricing' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ group: 'default', groupRatio: '1', quotaPerUsd: 500000, recharge: { topUpLink: 'https://shop.example/buy', exchangeRate: 0.9, currency: 'CNY' } });
    const byModel = Object.fromEntries(body.models.map((m: { model: string }) => [m.model, m]));
    // ratio 0.075 → 0.15 USD / 1M input; × 4 → 0.6 USD / 1M output
    expect(byModel['gpt-4o-mini']).toMatchObject({ available: true, priced: true, inputUsdPer1M: '0.15', outputUsdPer1M: '0.6', inputUsdPer1K: '0.00015', outputUsdPer1K: '0.0006', groups: ['default', 'vip'] });
    expect(byModel['dall-e-3']).toMatchObject({ perRequestUsd: '0.04', inputUsdPer1M: null });
    expect(byModel['my-private']).toMatchObject({ available: false, groups: ['vip'] });
    expect(byModel['unpriced-x']).toMatchObject({ priced: false, inputUsdPer1M: null });
  });

  it('applies the group ratio (?group=vip, or the logged-in user’s own group)', async () => {
    const vip = (await t.app.inject({ url: '/api/pricing?group=vip' })).json();
    const mini = vip.models.find((m: { model: string }) => m.model === 'gpt-4o-mini');
    expect(mini).toMatchObject({ inputUsdPer1M: '0.225', outputUsdPer1M: '0.9' });
    expect(vip.models.find((m: { model: string }) => m.model === 'dall-e-3').perRequestUsd).toBe('0.06');
    expect((await t.app.inject({ url: '/api/pricing?group=nope' })).statusCode).toBe(404);
  });
});

describe.each(dbKinds)('GET /api/pricing: long-prompt tiers on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
    await t.ctx.db.prisma.group.create({ data: { name: 'half', ratio: '0.5' } });
    await addChannel(t, { baseUrl: 'http://127.0.0.1:9', models: ['gemini-2.5-pro', 'claude-sonnet-4-5-20250929', 'gpt-4o', 'mine'], groups: ['default', 'half'] });
  });
  afterAll(async () => t?.close());

  const tiersOf = async (query = '') => {
    const body = (await t.app.inject({ url: `/api/pricing${query}` })).json() as { models: Array<{ model: string; tiers: unknown[] }> };
    return Object.fromEntries(body.models.map((m) => [m.model, m.tiers]));
  };

  it('shows the catalogue’s tiers in USD for the group, and none where there are none', async () => {
    const tiers = await tiersOf();
    expect(tiers['gemini-2.5-pro']).toEqual([{ above: 200_000, modelRatio: '1.25', completionRatio: '6', inputUsdPer1M: '2.5', outputUsdPer1M: '15' }]);
    expect(tiers['claude-sonnet-4-5-20250929']).toEqual([{ above: 200_000, modelRatio: '3', completionRatio: '3.75', inputUsdPer1M: '6', outputUsdPer1M: '22.5' }]);
    expect(tiers['gpt-4o']).toEqual([]);
    expect((await tiersOf('?group=half'))['gemini-2.5-pro']).toMatchObject([{ inputUsdPer1M: '1.25', outputUsdPer1M: '7.5' }]);
  });

  it('follows the admin: own tiers (merged per model by PATCH, null removes), none under an admin ratio', async () => {
    const patch = (payload: object) => t.app.inject({ method: 'PATCH', url: '/api/options', headers: t.admin, payload });
    expect((await patch({ modelRatios: { mine: '1' }, priceTiers: { mine: [{ above: 1000, modelRatio: '2' }, { above: 500, modelRatio: '1.5', completionRatio: '0.5' }] } })).statusCode).toBe(200);
    expect(t.ctx.options.current.priceTiers.mine).toEqual([{ above: 500, modelRatio: '1.5', completionRatio: '0.5' }, { above: 1000, modelRatio: '2' }]);
    expect((await tiersOf()).mine).toEqual([
      { above: 500, modelRatio: '1.5', completionRatio: '0.5', inputUsdPer1M: '3', outputUsdPer1M: '1.5' },
      { above: 1000, modelRatio: '2', completionRatio: '1', inputUsdPer1M: '4', outputUsdPer1M: '4' },
    ]);
    // An admin ratio for a catalogue model drops the catalogue's tiers (they priced another base) until the admin sets some.
    expect((await patch({ modelRatios: { 'gemini-2.5-pro': '0.5' }, priceTiers: { 'gpt-4o': [{ above: 100_000, modelRatio: 2.5 }] } })).statusCode).toBe(200);
    const tiers = await tiersOf();
    expect(tiers['gemini-2.5-pro']).toEqual([]);
    expect(tiers['gpt-4o']).toMatchObject([{ above: 100_000, modelRatio: '2.5' }]);
    expect(tiers.mine).toHaveLength(2); // untouched by the merge
    expect((await patch({ priceTiers: { mine: null } })).statusCode).toBe(200);
    expect((await tiersOf()).mine).toEqual([]);
    // An empty list for a catalogue model removes its tiers.
    expect((await patch({ priceTiers: { 'claude-sonnet-4-5': [] } })).statusCode).toBe(200);
    expect((await tiersOf())['claude-sonnet-4-5-20250929']).toEqual([]);
  });

  it('refuses bad tiers naming them, with the one number rule, by PUT and PATCH alike', async () => {
    for (const method of ['PUT', 'PATCH'] as const) {
      const send = (priceTiers: unknown) => t.app.inject({ method, url: '/api/options', headers: t.admin, payload: { priceTiers } });
      const cases: Array<[unknown, string]> = [
        [{ m: [{ above: 10, modelRatio: '0.1234567891' }] }, 'priceTiers.m.0.modelRatio'],
        [{ m: [{ above: 10, modelRatio: 1, completionRatio: '-1' }] }, 'priceTiers.m.0.completionRatio'],
        [{ m: [{ above: 10, modelRatio: 1 }, { above: 10, modelRatio: 2 }] }, 'priceTiers.m'],
        [{ m: [{ above: 0, modelRatio: 1 }] }, 'priceTiers'],
        [{ m: [{ modelRatio: 1 }] }, 'priceTiers'],
      ];
      for (const [value, param] of cases) {
        const res = await send(value);
        expect(res.statusCode, `${method} ${JSON.stringify(value)}`).toBe(400);
        expect((res.json() as { error: { param: string } }).error.param, `${method} ${JSON.stringify(value)}`).toContain(param);
      }
    }
  });
});
