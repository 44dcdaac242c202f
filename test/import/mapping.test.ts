// The pieces of the import that need no database: every source channel type code has a decision, ratios are checked
// against relay-station's decimal rules exactly, and the URLs operators have at hand are understood.
import { describe, it, expect } from 'vitest';
import { CHANNEL_TYPES } from '../../src/providers/registry.js';
import { definedTypeCodes, mapChannelType } from '../../src/import/channel-types.js';
import { fitDecimal, plainDecimal } from '../../src/import/numbers.js';
import { ImportUsageError, parseSourceUrl } from '../../src/import/source.js';
import { readToken } from '../../src/import/rows.js';
import { parseDecimal } from '../../src/billing/decimal.js';

describe('channel type codes', () => {
  it.each([
    ['one-api', 51, 52],
    ['new-api', 57, 58],
  ] as const)('%s: every code up to %i is mapped to a relay-station type or to a reason', (variant, last, unknown) => {
    const codes = definedTypeCodes(variant);
    expect(Math.max(...codes)).toBe(last);
    for (const code of codes) {
      const m = mapChannelType(variant, code);
      if (m.type !== undefined) expect(CHANNEL_TYPES, `${variant} ${code}`).toContain(m.type);
      else expect(m.reason.length, `${variant} ${code}`).toBeGreaterThan(5);
    }
    const none = mapChannelType(variant, unknown);
    expect(none.type).toBeUndefined();
    expect(none).toMatchObject({ reason: expect.stringMatching(/does not define/) });
  });

  it('knows where the two projects number differently', () => {
    expect(mapChannelType('one-api', 36).type).toBe('deepseek');
    expect(mapChannelType('new-api', 43).type).toBe('deepseek');
    expect(mapChannelType('one-api', 4).type).toBe('custom'); // CloseAI
    expect(mapChannelType('new-api', 4).type).toBe('ollama');
    expect(mapChannelType('one-api', 15).type).toBeUndefined(); // Baidu's own API
  });
});

describe('exact decimals', () => {
  it('expands what Go and JavaScript print with an exponent', () => {
    expect(plainDecimal(1e-7)).toBe('0.0000001');
    expect(plainDecimal(1.5e-10)).toBe('0.00000000015');
    expect(plainDecimal(2.5e21)).toBe('2500000000000000000000');
    expect(plainDecimal(0.075)).toBe('0.075');
  });

  it.each([
    [0.3, 9, { kind: 'exact', value: '0.3' }],
    [0.0375, 9, { kind: 'exact', value: '0.0375' }],
    [1e-7, 9, { kind: 'exact', value: '0.0000001' }],
    [8.571428571428571, 9, { kind: 'inexact', roundedUp: '8.571428572' }],
    [1.5e-10, 9, { kind: 'inexact', roundedUp: '0.000000001' }],
    [9.9999999999, 9, { kind: 'inexact', roundedUp: '10' }],
    [0.1234567, 6, { kind: 'inexact', roundedUp: '0.123457' }],
    [-1, 9, { kind: 'invalid', reason: 'negative' }],
    ['1', 9, { kind: 'invalid', reason: 'not a number' }],
  ])('%s with %i places → %j', (value, places, expected) => {
    expect(fitDecimal(value, places)).toEqual(expected);
  });

  it('what it calls exact, relay-station stores exactly', () => {
    for (const n of [0.3, 0.0375, 1e-7, 1.25, 2e-9, 100]) {
      const fit = fitDecimal(n, 9);
      expect(fit.kind).toBe('exact');
      if (fit.kind === 'exact') expect(parseDecimal(Number(fit.value))).toBe(parseDecimal(fit.value));
    }
  });
});

describe('source URLs', () => {
  it.each([
    ['mysql://root:p%40ss@db:3306/oneapi', 'mysql', 'mysql db:3306/oneapi'],
    ['mariadb://root@127.0.0.1/oneapi', 'mysql', 'mysql 127.0.0.1/oneapi'],
    ['oneapi:secret@tcp(db.internal:3306)/oneapi?charset=utf8mb4&parseTime=True', 'mysql', 'mysql db.internal:3306/oneapi'],
    ['postgres://postgres:pw@127.0.0.1:5432/newapi', 'postgresql', 'postgresql 127.0.0.1:5432/newapi'],
  ] as const)('%s', (url, dialect, label) => {
    const parsed = parseSourceUrl(url);
    expect(parsed).toMatchObject({ dialect, label });
    expect(parsed.label).not.toMatch(/secret|pw|p%40ss/);
  });

  it('reads a Go DSN into a URL with the same credentials', () => {
    const url = new URL(parseSourceUrl('oneapi:s3cr%t@tcp(db:3307)/one').target);
    expect([url.username, decodeURIComponent(url.password), url.host, url.pathname]).toEqual(['oneapi', 's3cr%t', 'db:3307', '/one']);
  });

  it('takes a SQLite file as a path, sqlite: or file:, with one-api\'s query string dropped', () => {
    expect(parseSourceUrl(`${import.meta.filename}?_busy_timeout=5000`)).toMatchObject({ dialect: 'sqlite', target: import.meta.filename });
    expect(parseSourceUrl(`sqlite:${import.meta.filename}`).target).toBe(import.meta.filename);
    expect(parseSourceUrl(`file:${import.meta.filename}`).target).toBe(import.meta.filename);
  });

  it.each(['', 'redis://x', 'mysql://host', 'mysql://[bad'])('refuses %j', (url) => {
    expect(() => parseSourceUrl(url)).toThrow(ImportUsageError);
  });
});

describe('token rows', () => {
  it("one-api: comma-separated models and subnets, -1 = never expires", () => {
    const t = readToken({ id: 1, user_id: 2, key: 'abc', models: 'a, b,,a', subnet: '10.0.0.0/8, 192.168.1.0/24', expired_time: -1, unlimited_quota: 0, remain_quota: '123' }, 'one-api');
    expect(t).toMatchObject({ models: ['a', 'b'], allowIps: ['10.0.0.0/8', '192.168.1.0/24'], expiresAt: null, unlimited: false, remainQuota: 123n });
    expect(readToken({ id: 1, key: 'k', models: '' }, 'one-api').models).toBeNull();
  });

  it('new-api: model limits only when enabled, one IP per line', () => {
    const on = readToken({ id: 1, key: 'k', model_limits_enabled: true, model_limits: 'x,y', allow_ips: '1.2.3.4\n5.6.7.8' }, 'new-api');
    expect(on).toMatchObject({ models: ['x', 'y'], allowIps: ['1.2.3.4', '5.6.7.8'] });
    expect(readToken({ id: 1, key: 'k', model_limits_enabled: 0, model_limits: 'x' }, 'new-api').models).toBeNull();
    expect(readToken({ id: 1, key: 'k', model_limits_enabled: 't', model_limits: '' }, 'new-api').models).toEqual([]);
  });
});
