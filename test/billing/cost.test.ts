// The cost of a call (one function for the reservation and the settle) and what a finished call is billed for.
import { describe, expect, it } from 'vitest';
import { costOf, reservationOf } from '../../src/billing/cost.js';
import { billedUsage, readsGeneratedText, type SettleFacts } from '../../src/billing/billed-usage.js';
import { parseDecimal } from '../../src/billing/decimal.js';
import type { ModelPrice } from '../../src/billing/pricing.js';

const price = (fields: Partial<ModelPrice> = {}): ModelPrice => ({
  model: 'm',
  modelRatio: parseDecimal('0.075'),
  completionRatio: parseDecimal('4'),
  cacheReadRatio: parseDecimal('0.5'),
  cacheWriteRatio: parseDecimal('1.25'),
  source: 'admin',
  ...fields,
});
const usage = (promptTokens: number, completionTokens: number, cacheReadTokens = 0, cacheWriteTokens = 0) => ({ promptTokens, completionTokens, cacheReadTokens, cacheWriteTokens });
const facts = (fields: Partial<SettleFacts>): SettleFacts => ({ model: 'gpt-4o-mini', generated: '', committed: false, units: 1, ...fields });

describe('cost of a call', () => {
  it('prices the reservation and the settle with the same formula (billing.md worked example 1)', () => {
    const one = parseDecimal('1');
    const gpt4oMini = price({ cacheWriteRatio: parseDecimal('1') });
    expect(reservationOf(gpt4oMini, one, { prompt: 1000, completion: 16_384 }, 1)).toBe(4991);
    expect(costOf(gpt4oMini, one, { usage: usage(1000, 500), requests: 1 })).toBe(225);
    // The same counts give the same units whichever way they come in.
    expect(reservationOf(gpt4oMini, one, { prompt: 1000, completion: 500 }, 1)).toBe(225);
  });

  it('reserves a prompt at the cache-write price where writing costs more (any token of it may be written)', () => {
    // Cache writes at 1.25×: 0.075 × (1,000 × 1.25 + 500 × 4) = 243.75 → 244, where a fresh read would be 225.
    expect(reservationOf(price(), parseDecimal('1'), { prompt: 1000, completion: 500 }, 1)).toBe(244);
  });

  it('applies the group ratio to every price, cache tokens at their own ratios', () => {
    const p = price({ modelRatio: parseDecimal('1.5'), completionRatio: parseDecimal('5'), cacheReadRatio: parseDecimal('0.1') });
    expect(costOf(p, parseDecimal('0.8'), { usage: usage(2000, 800, 10_000, 1000), requests: 1 })).toBe(9900);
  });

  it('prices per-request models by the requests that count, never by tokens', () => {
    const image = price({ perRequestUsd: parseDecimal('0.04') });
    expect(reservationOf(image, parseDecimal('0.8'), { prompt: 50, completion: 0 }, 2)).toBe(32_000);
    expect(costOf(image, parseDecimal('0.8'), { usage: usage(9999, 9999), requests: 1 })).toBe(16_000);
    expect(costOf(image, parseDecimal('0.8'), { usage: usage(9999, 9999), requests: 0 })).toBe(0);
  });
});

describe('what a finished call is billed for', () => {
  // billedUsage(facts, finished): finished = the upstream's answer is complete (delivered, or read to its end).
  it('bills the upstream usage of a finished answer as it is, and the requests', () => {
    expect(billedUsage(facts({ usage: usage(10, 5), committed: true, units: 3, generated: 'a long text' }), true)).toEqual({
      usage: usage(10, 5),
      requests: 3,
      source: 'upstream',
    });
  });

  it('counts locally when a finished answer reported no usage', () => {
    const billed = billedUsage(facts({ estimate: { prompt: 12 }, generated: 'Hello there', committed: true }), true);
    expect(billed).toMatchObject({ usage: usage(12, 2), source: 'local' });
  });

  it('does not believe zero usage for an answer that came back with text: the local counts are billed', () => {
    // 0/0 with text delivered (the row: the upstream billed 407, the user paid 0).
    expect(billedUsage(facts({ estimate: { prompt: 12 }, usage: usage(0, 0), generated: 'Hello there', committed: true }), true)).toMatchObject({
      usage: usage(12, 2),
      source: 'local',
    });
    // A real prompt count with a zero completion: the prompt is the upstream's, the completion ours.
    expect(billedUsage(facts({ estimate: { prompt: 12 }, usage: usage(30, 0), generated: 'Hello there', committed: true }), true)).toMatchObject({
      usage: usage(30, 2),
      source: 'mixed',
    });
    // Cache reads are prompt tokens too: a fully cached prompt is plausible.
    expect(billedUsage(facts({ estimate: { prompt: 12 }, usage: { ...usage(0, 2), cacheReadTokens: 40 }, generated: 'Hi', committed: true }), true).source).toBe('upstream');
    // An empty answer with zero completion tokens is plausible (a refusal, a tool call the model declined to make).
    expect(billedUsage(facts({ estimate: { prompt: 12 }, usage: usage(30, 0), generated: '', committed: true }), true)).toMatchObject({ usage: usage(30, 0), source: 'upstream' });
  });

  it('readsGeneratedText is false only where the generated text changes nothing billedUsage decides', () => {
    // A stream meter skips reading its events' text when this says false (providers/openai/stream.ts): the bill and its
    // source must then be the same with or without that text.
    const reports = [undefined, usage(0, 0), usage(30, 0), usage(0, 5), usage(30, 5), { ...usage(0, 5), cacheReadTokens: 40 }];
    let skipped = 0;
    for (const reported of reports) {
      for (const finished of [true, false]) {
        const withText = billedUsage(facts({ estimate: { prompt: 12 }, usage: reported, generated: 'Hello there', committed: true }), finished);
        const without = billedUsage(facts({ estimate: { prompt: 12 }, usage: reported, generated: '', committed: true }), finished);
        if (readsGeneratedText(reported, finished)) continue;
        skipped++;
        expect(without).toEqual(withText);
      }
    }
    expect(skipped).toBe(2); // (30, 5) and the cached prompt, finished
  });

  it('bills a finished answer whose client left before it was sent: its usage and its requests', () => {
    expect(billedUsage(facts({ usage: usage(1004, 300), generated: 'x'.repeat(10), committed: false, units: 1 }), true)).toEqual({
      usage: usage(1004, 300),
      requests: 1,
      source: 'upstream',
    });
  });

  it('refunds a failure before anything was produced', () => {
    expect(billedUsage(facts({ estimate: { prompt: 12 }, units: 2 }), false)).toEqual({ usage: usage(0, 0), requests: 0, source: 'none' });
  });

  it('bills a stream cut short for what went out, at least the local count of its text, and its requests', () => {
    const partial = billedUsage(facts({ usage: usage(40, 1), generated: 'one two three four', committed: true }), false);
    expect(partial).toEqual({ usage: usage(40, 4), requests: 1, source: 'mixed' });
    const noUsage = billedUsage(facts({ estimate: { prompt: 7 }, generated: 'one two', committed: true }), false);
    expect(noUsage).toMatchObject({ usage: usage(7, 2), source: 'local' });
  });

  it('bills a filtered non-stream answer its usage (it was generated)', () => {
    expect(billedUsage(facts({ usage: usage(30, 20) }), false)).toMatchObject({ usage: usage(30, 20), source: 'upstream' });
  });
});

describe('long-prompt tiers', () => {
  // Gemini 2.5 Pro as the catalogue has it: 1.25 / 10 USD per 1M (ratio 0.625, completion 8); above 200,000 prompt
  // tokens 2.50 / 15 (ratio 1.25, completion 6), for the whole call. Cache reads 0.25 in both.
  const one = parseDecimal('1');
  const pro = price({
    modelRatio: parseDecimal('0.625'),
    completionRatio: parseDecimal('8'),
    cacheReadRatio: parseDecimal('0.25'),
    cacheWriteRatio: parseDecimal('1'),
    tiers: [{ above: 200_000, modelRatio: parseDecimal('1.25'), completionRatio: parseDecimal('6'), cacheReadRatio: parseDecimal('0.25'), cacheWriteRatio: parseDecimal('1') }],
  });

  it('settles at the base price up to the threshold and at the tier above it, for the whole call', () => {
    // 0.625 × (200,000 + 1,000 × 8) = 130,000 exactly; one token more: 1.25 × (200,001 + 1,000 × 6) = 257,501.25 → 257,502.
    expect(costOf(pro, one, { usage: usage(200_000, 1000), requests: 1 })).toBe(130_000);
    expect(costOf(pro, one, { usage: usage(200_001, 1000), requests: 1 })).toBe(257_502);
    expect(costOf(pro, one, { usage: usage(199_999, 1000), requests: 1 })).toBe(130_000); // 129,999.375 → 130,000
  });

  it('counts cached tokens in the prompt that decides the tier', () => {
    // 150,000 fresh + 50,001 cached = 200,001 > 200,000: 1.25 × (150,000 + 100 × 6 + 50,001 × 0.25) = 203,875.3125 → 203,876.
    expect(costOf(pro, one, { usage: usage(150_000, 100, 50_001), requests: 1 })).toBe(203_876);
    // 150,000 + 50,000 = 200,000, not above: 0.625 × (150,000 + 800 + 12,500) = 102,062.5 → 102,063.
    expect(costOf(pro, one, { usage: usage(150_000, 100, 50_000), requests: 1 })).toBe(102_063);
  });

  it('reserves at the tier the estimate falls in, so a settle never exceeds the hold', () => {
    expect(reservationOf(pro, one, { prompt: 200_000, completion: 1000 }, 1)).toBe(130_000);
    expect(reservationOf(pro, one, { prompt: 200_001, completion: 1000 }, 1)).toBe(257_502);
    // The group ratio applies on top: 0.8 × 257,501.25 = 206,001 exactly.
    expect(reservationOf(pro, parseDecimal('0.8'), { prompt: 200_001, completion: 1000 }, 1)).toBe(206_001);
    for (const prompt of [1, 199_999, 200_000, 200_001, 1_000_000]) {
      const held = reservationOf(pro, one, { prompt, completion: 1000 }, 1);
      for (const real of [prompt, Math.max(0, prompt - 1), Math.floor(prompt / 2)]) {
        expect(costOf(pro, one, { usage: usage(real, 1000), requests: 1 })).toBeLessThanOrEqual(held);
      }
    }
  });

  it('holds enough under a tier that is cheaper than the one below it (an admin may set one)', () => {
    const odd = price({ modelRatio: parseDecimal('2'), completionRatio: parseDecimal('1'), cacheWriteRatio: parseDecimal('1'), tiers: [{ above: 100, modelRatio: parseDecimal('1'), completionRatio: parseDecimal('1'), cacheReadRatio: parseDecimal('1'), cacheWriteRatio: parseDecimal('1') }] });
    // Estimate 150 (tier: 1 × 160 = 160), but a real prompt of 100 costs 2 × 110 = 220: the hold is 220.
    expect(reservationOf(odd, one, { prompt: 150, completion: 10 }, 1)).toBe(220);
    expect(costOf(odd, one, { usage: usage(100, 10), requests: 1 })).toBe(220);
  });
});
