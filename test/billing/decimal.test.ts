import { describe, it, expect } from 'vitest';
import { computeQuota, parseDecimal, formatDecimal, quotaToUsd, type PriceRatios } from '../../src/billing/decimal.js';

function ratios(group: string | number, model: string | number, completion: string | number, extra: Partial<PriceRatios> = {}): PriceRatios {
  return {
    group: parseDecimal(group),
    model: parseDecimal(model),
    completion: parseDecimal(completion),
    cacheRead: parseDecimal('0.1'),
    cacheWrite: parseDecimal('1.25'),
    ...extra,
  };
}
const t = (promptTokens: number, completionTokens: number, cacheReadTokens = 0, cacheWriteTokens = 0) => ({ promptTokens, completionTokens, cacheReadTokens, cacheWriteTokens });

describe('exact quota arithmetic', () => {
  it.each([
    // group, model, completion ratio, prompt, completion, expected (hand-computed)
    ['1', '1', '1', 30, 0, 30],
    ['1', '0.1', '1', 30, 0, 3], // 0.1 × 30 = 3 exactly (a float gives 3.0000000000000004 → 4)
    [1, 0.1, 1, 30, 0, 3], // the same from JS numbers
    ['1', '0.075', '4', 1000, 500, 225], // 0.075 × (1000 + 2000) = 225
    ['1', '15', '1.33', 100, 100, 3495], // 15 × (100 + 133) = 3495
    ['0.9', '2.5', '2', 7, 3, 30], // 0.9 × 2.5 × 13 = 29.25 → 30 (rounded up)
    ['1.5', '0.5', '3', 10, 10, 30], // 0.75 × 40 = 30
    ['1', '0.000001', '1', 1, 0, 1], // tiny but billable → at least 1
    ['1', '0', '1', 1000, 1000, 0], // a free model costs nothing
    ['0', '1', '1', 1000, 1000, 0], // a free group costs nothing
    ['2', '1.25', '1.6', 333, 77, 1141], // 2.5 × (333 + 123.2) = 1140.5 → 1141
  ])('group %s × model %s × (p + c × %s) with p=%i c=%i → %i', (g, m, c, p, comp, expected) => {
    expect(computeQuota(ratios(g, m, c), t(p, comp))).toBe(expected);
  });

  it('prices cache reads and writes by their own ratios', () => {
    // 1 × 1.5 × (100 + 10×4 + 1000×0.1 + 200×1.25) = 1.5 × 490 = 735
    expect(computeQuota(ratios('1', '1.5', '4'), t(100, 10, 1000, 200))).toBe(735);
  });

  it('prices per-request models in USD × 500,000 × group ratio', () => {
    const r = ratios('1.2', '1', '1', { perRequestUsd: parseDecimal('0.04') });
    expect(computeQuota(r, t(5000, 0))).toBe(24_000); // 0.04 × 500000 × 1.2
  });

  it('refuses bad decimals and counts', () => {
    expect(() => parseDecimal('-1')).toThrow();
    expect(() => parseDecimal('1e3')).toThrow();
    expect(() => parseDecimal('abc')).toThrow();
    expect(() => parseDecimal('0.0000000001')).toThrow(/decimal places/);
    expect(() => computeQuota(ratios(1, 1, 1), t(-1, 0))).toThrow();
    expect(() => computeQuota(ratios(1, 1, 1), t(1.5, 0))).toThrow();
  });

  it('formats decimals and USD', () => {
    expect(formatDecimal(parseDecimal('1.330'))).toBe('1.33');
    expect(formatDecimal(parseDecimal(2))).toBe('2');
    expect(quotaToUsd(500_000)).toBe('1.000000');
    expect(quotaToUsd(1)).toBe('0.000002');
  });
});
