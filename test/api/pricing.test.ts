import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/context.js';
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
