// The shipped price catalogue: every value is a plain non-negative decimal, and the ratios follow the convention
// (ratio = input USD per 1M / 2, completion = output / input), checked by hand on a sample.
import { describe, it, expect } from 'vitest';
import {
  DEFAULT_CACHE_READ_RATIOS,
  DEFAULT_CACHE_WRITE_RATIOS,
  DEFAULT_COMPLETION_RATIOS,
  DEFAULT_MODEL_PRICES,
  DEFAULT_MODEL_RATIOS,
} from '../../src/billing/catalog.js';
import { parseDecimal } from '../../src/billing/decimal.js';
import { lookup } from '../../src/billing/pricing.js';

const tables = {
  DEFAULT_MODEL_RATIOS,
  DEFAULT_COMPLETION_RATIOS,
  DEFAULT_MODEL_PRICES,
  DEFAULT_CACHE_READ_RATIOS,
  DEFAULT_CACHE_WRITE_RATIOS,
};

describe('catalogue values', () => {
  it.each(Object.entries(tables))('%s holds only plain non-negative decimals', (_name, table) => {
    for (const [model, value] of Object.entries(table)) {
      expect(typeof value, model).toBe('string');
      expect(value, model).toMatch(/^\d+(\.\d{1,9})?$/);
      expect(() => parseDecimal(value), model).not.toThrow();
    }
  });

  it('gives every token-priced model a completion ratio, and no model two kinds of price', () => {
    expect(Object.keys(DEFAULT_COMPLETION_RATIOS).sort()).toEqual(Object.keys(DEFAULT_MODEL_RATIOS).sort());
    for (const model of Object.keys(DEFAULT_MODEL_PRICES)) expect(DEFAULT_MODEL_RATIOS[model], model).toBeUndefined();
  });

  it('covers the mainstream models', () => {
    const required = [
      'gpt-3.5-turbo', 'gpt-4', 'gpt-4-turbo', 'gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano', 'o1',
      'o3', 'o3-mini', 'o4-mini', 'gpt-5', 'gpt-5-mini', 'gpt-5-nano', 'text-embedding-3-small', 'text-embedding-3-large',
      'text-embedding-ada-002', 'tts-1', 'whisper-1', 'claude-3-5-haiku', 'claude-3-5-sonnet', 'claude-3-7-sonnet',
      'claude-sonnet-4', 'claude-opus-4', 'claude-opus-4-1', 'claude-sonnet-4-5', 'claude-haiku-4-5', 'gemini-1.5-pro',
      'gemini-1.5-flash', 'gemini-2.0-flash', 'gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-2.5-flash-lite',
      'deepseek-chat', 'deepseek-reasoner', 'qwen-max', 'qwen-plus', 'qwen-turbo', 'mistral-large-latest',
      'mistral-small-latest', 'codestral-latest', 'grok-3', 'grok-3-mini', 'grok-4', 'moonshot-v1-8k', 'moonshot-v1-32k',
      'moonshot-v1-128k', 'kimi-k2', 'glm-4', 'glm-4-flash',
    ];
    expect(required.filter((m) => DEFAULT_MODEL_RATIOS[m] === undefined)).toEqual([]);
    expect(DEFAULT_MODEL_PRICES['dall-e-3']).toBe('0.04');
    expect(DEFAULT_MODEL_PRICES['gpt-image-1']).toBe('0.042');
  });
});

describe('catalogue arithmetic', () => {
  it.each([
    // model, ratio (input $/1M ÷ 2), completion (output ÷ input)
    ['gpt-3.5-turbo', '0.75', '1.33'], // $1.50 / $2.00, completion fixed by the FAQ
    ['gpt-4', '15', '2'], // $30 / $60, the FAQ's "GPT4: fixed at 2"
    ['gpt-4o', '1.25', '4'], // $2.50 / $10
    ['gpt-4o-mini', '0.075', '4'], // $0.15 / $0.60
    ['gpt-4.1-nano', '0.05', '4'], // $0.10 / $0.40
    ['o1', '7.5', '4'], // $15 / $60
    ['gpt-5', '0.625', '8'], // $1.25 / $10
    ['claude-sonnet-4-5', '1.5', '5'], // $3 / $15
    ['claude-3-5-haiku', '0.4', '5'], // $0.80 / $4
    ['gemini-1.5-flash-8b', '0.01875', '4'], // $0.0375 / $0.15
    ['gemini-2.5-flash', '0.15', '8.333333334'], // $0.30 / $2.50: 8.3̅ rounded up
    ['deepseek-chat', '0.14', '1.5'], // $0.28 / $0.42
    ['grok-3-mini', '0.15', '1.666666667'], // $0.30 / $0.50
    ['text-embedding-3-small', '0.01', '1'], // $0.02, no output
    ['glm-4', '7.142857143', '1'], // ¥100 / 7 = $14.285714286
    ['glm-4-flash', '0', '1'], // free
  ])('%s → ratio %s, completion %s', (model, ratio, completion) => {
    expect(DEFAULT_MODEL_RATIOS[model]).toBe(ratio);
    expect(DEFAULT_COMPLETION_RATIOS[model]).toBe(completion);
  });

  it('resolves dated ids and cache families through the longest prefix', () => {
    expect(lookup(DEFAULT_MODEL_RATIOS, 'gpt-4o-mini-2024-07-18', false)).toBe('0.075');
    expect(lookup(DEFAULT_MODEL_RATIOS, 'gpt-4o-2024-05-13', false)).toBe('2.5');
    expect(lookup(DEFAULT_MODEL_RATIOS, 'o3-pro-2025-06-10', false)).toBe('10');
    expect(lookup(DEFAULT_MODEL_RATIOS, 'claude-opus-4-1-20250805', false)).toBe('7.5');
    expect(lookup(DEFAULT_CACHE_READ_RATIOS, 'gpt-4o-mini')).toBe('0.5');
    expect(lookup(DEFAULT_CACHE_READ_RATIOS, 'gpt-4.1-mini')).toBe('0.25');
    expect(lookup(DEFAULT_CACHE_READ_RATIOS, 'o3-mini')).toBe('0.5');
    expect(lookup(DEFAULT_CACHE_READ_RATIOS, 'gpt-5-nano')).toBe('0.1');
    expect(lookup(DEFAULT_CACHE_READ_RATIOS, 'claude-haiku-4-5')).toBe('0.1');
    expect(lookup(DEFAULT_CACHE_READ_RATIOS, 'mistral-small-latest')).toBe('1');
    expect(lookup(DEFAULT_CACHE_WRITE_RATIOS, 'claude-sonnet-4-5')).toBe('1.25');
    expect(lookup(DEFAULT_CACHE_WRITE_RATIOS, 'gpt-4o')).toBe('1');
  });
});
