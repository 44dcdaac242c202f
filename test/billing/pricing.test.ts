import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { Pricing } from '../../src/billing/pricing.js';
import { formatDecimal } from '../../src/billing/decimal.js';
import { DEFAULT_MODEL_RATIOS } from '../../src/billing/catalog.js';

describe('pricing resolution', () => {
  let ctx: TestContext;
  let pricing: Pricing;
  beforeAll(async () => {
    ctx = await createTestContext('sqlite');
    pricing = new Pricing(ctx.options);
  });
  afterAll(async () => ctx?.cleanup());

  it('prices catalogue models and their dated snapshots alike', () => {
    const base = pricing.resolve('gpt-4o-mini');
    const dated = pricing.resolve('gpt-4o-mini-2024-07-18');
    expect(base.source).toBe('catalog');
    expect(formatDecimal(base.modelRatio)).toBe(String(DEFAULT_MODEL_RATIOS['gpt-4o-mini']));
    expect(dated.modelRatio).toBe(base.modelRatio);
  });

  it('refuses an unknown variant instead of pricing it as its cheaper base', () => {
    expect(() => pricing.resolve('gpt-4o-mini-ultra')).toThrow(/model gpt-4o-mini-ultra has no price/);
    expect(() => pricing.resolve('no-such-model')).toThrow(expect.objectContaining({ code: 'model_not_priced' }));
  });

  it('lets admin ratios, prices and the default ratio win, and forgets stale resolutions on change', async () => {
    await ctx.options.update({ modelRatios: { 'gpt-4o-mini': 0.5, 'my-model': 2 }, completionRatios: { 'my-model': 3 }, modelPrices: { 'my-image': 0.04 } });
    expect(formatDecimal(pricing.resolve('gpt-4o-mini').modelRatio)).toBe('0.5');
    expect(pricing.resolve('my-model')).toMatchObject({ source: 'admin' });
    expect(formatDecimal(pricing.resolve('my-model').completionRatio)).toBe('3');
    expect(formatDecimal(pricing.resolve('my-image').perRequestUsd!)).toBe('0.04');
    await ctx.options.update({ defaultModelRatio: 1.5 });
    expect(pricing.resolve('no-such-model')).toMatchObject({ source: 'default' });
    expect(formatDecimal(pricing.resolve('no-such-model').modelRatio)).toBe('1.5');
  });
});
