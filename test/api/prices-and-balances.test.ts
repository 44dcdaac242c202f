// Prices and balances are exact or refused. One rule for every ratio and price (services/ratios.ts): a JSON number or
// a decimal string, 0 to 1,000,000, at most 9 decimal places; 1e-10 used to be stored and priced as 0 (a free model),
// and "0.5" was refused in the options but accepted for groups. Balances stay within 2^53 − 1 units, checked in the
// UPDATE that adds: 1,025 top-ups used to push a balance past 2^53 (and SQLite to store a REAL).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestApp, dbKinds, type TestApp } from '../helpers/context.js';
import { addChannel, balances, seedAccount } from '../helpers/relay.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import { formatDecimal, parseDecimal } from '../../src/billing/decimal.js';
import { expectError, makeUser } from './account-helpers.js';

const MAX = Number.MAX_SAFE_INTEGER;

describe('parseDecimal reads JSON numbers digit for digit', () => {
  it('expands exponents exactly instead of rounding to 9 places', () => {
    expect(formatDecimal(parseDecimal(1e-7))).toBe('0.0000001');
    expect(formatDecimal(parseDecimal(1.5e-7))).toBe('0.00000015');
    expect(formatDecimal(parseDecimal(1e-9))).toBe('0.000000001');
    expect(formatDecimal(parseDecimal(1.5e21))).toBe('1500000000000000000000');
    expect(() => parseDecimal(1e-10)).toThrow(/below 0.000000001/); // was 0: a free model
    expect(() => parseDecimal(2.5e-9)).toThrow(/more than 9 decimal places/); // was 0.000000003
  });
});

describe.each(dbKinds)('prices and balances on %s', (kind) => {
  let t: TestApp;
  let up: FakeOpenAI;

  beforeAll(async () => {
    up = await startFakeOpenAI();
    up.setScript(() => ({ kind: 'answer', text: '', usage: { prompt: 1000, completion: 0 } })); // an empty answer: 1000 prompt tokens only
    t = await createTestApp(kind);
    await addChannel(t, { baseUrl: up.url, models: ['m', 'priced-per-call'] });
  });
  afterAll(async () => {
    await t?.close();
    await up?.close();
  });

  const putOptions = (payload: object) => t.app.inject({ method: 'PUT', url: '/api/options', headers: t.admin, payload });
  const patchOptions = (payload: object) => t.app.inject({ method: 'PATCH', url: '/api/options', headers: t.admin, payload });
  const createGroup = (name: string, ratio: unknown) => t.app.inject({ method: 'POST', url: '/api/groups', headers: t.admin, payload: { name, ratio } });
  const patchUser = (id: number, payload: object) => t.app.inject({ method: 'PATCH', url: `/api/users/${id}`, headers: t.admin, payload });

  it('a ratio or price below the stored precision is refused everywhere, naming it; nothing is stored', async () => {
    const before = { ...t.ctx.options.current };
    for (const [payload, param] of [
      [{ modelRatios: { m: 1e-10 } }, 'modelRatios.m'],
      [{ completionRatios: { m: 1e-12 } }, 'completionRatios.m'],
      [{ modelPrices: { 'priced-per-call': 1e-10 } }, 'modelPrices.priced-per-call'],
      [{ cacheReadRatios: { '*': '0.0000000001' } }, 'cacheReadRatios.*'],
      [{ defaultModelRatio: 1e-10 }, 'defaultModelRatio'],
    ] as const) {
      const err = expectError(await putOptions(payload), 400, 'invalid_request', param);
      expect(err.message).toMatch(/below 0.000000001, the smallest step a price can take/);
    }
    expect(t.ctx.options.current).toEqual(before);
    expect(expectError(await createGroup('tiny', 1e-10), 400, 'invalid_request', 'ratio').message).toMatch(/smallest step/);
  });

  it('the same number rule for options (PUT and PATCH) and groups: numbers and decimal strings, 0 to 1,000,000, 9 places', async () => {
    for (const [value, stored] of [[0.5, 0.5], ['0.5', '0.5'], ['0.50', '0.5'], [1e-7, 1e-7], ['0.000000001', '0.000000001'], [1_000_000, 1_000_000]] as const) {
      for (const send of [putOptions, patchOptions]) {
        const res = await send({ modelRatios: { x: value } });
        expect(res.statusCode, `${value}: ${res.body}`).toBe(200);
        expect((res.json() as { modelRatios: Record<string, unknown> }).modelRatios.x).toBe(stored);
      }
    }
    let n = 0;
    for (const [value, stored] of [[0.5, '0.5'], ['0.5', '0.5'], ['0.50', '0.5'], [1e-7, '0.0000001'], ['0.000000001', '0.000000001'], [1_000_000, '1000000']] as const) {
      const res = await createGroup(`same-rule-${n++}`, value);
      expect(res.statusCode, `${value}: ${res.body}`).toBe(201);
      expect(res.json()).toMatchObject({ ratio: stored });
    }
    for (const bad of ['1e-7', 1_000_001, '1000000.5', -1, '-0.5', 'abc', '', '0.1234567891', true, [1]]) {
      const messages = [
        expectError(await putOptions({ modelRatios: { x: bad } }), 400, 'invalid_request', 'modelRatios.x').message,
        expectError(await patchOptions({ modelRatios: { x: bad } }), 400, 'invalid_request', 'modelRatios.x').message,
        expectError(await createGroup(`bad-${n++}`, bad), 400, 'invalid_request', 'ratio').message,
      ];
      // One rule, one wording: the same reason whichever route refused it.
      const reason = (m: string) => m.replace(/^.*?(must|is)/, '$1');
      expect(new Set(messages.map(reason)).size, `${JSON.stringify(bad)}: ${messages.join(' | ')}`).toBe(1);
    }
  });

  it('prices given as decimal strings bill exactly; the smallest price still costs at least 1 unit', async () => {
    expect((await putOptions({ modelRatios: { m: '0.375' }, completionRatios: { m: '1' } })).statusCode).toBe(200);
    const account = await seedAccount(t, { quota: 1_000_000 });
    const call = () =>
      t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { authorization: `Bearer ${account.key}`, 'content-type': 'application/json' },
        payload: { model: 'm', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5 },
      });
    expect((await call()).statusCode).toBe(200);
    expect((await balances(t, account)).logs.at(-1)).toMatchObject({ quota: 375n, modelRatio: '0.375' }); // 0.375 × 1000
    expect((await putOptions({ modelRatios: { m: 0.000000001 } })).statusCode).toBe(200);
    expect((await call()).statusCode).toBe(200);
    expect((await balances(t, account)).logs.at(-1)).toMatchObject({ quota: 1n, modelRatio: '0.000000001' });
  });

  it('a top-up that would pass 2^53 − 1 units is refused; up to the maximum it is exact', async () => {
    const user = await makeUser(t, { username: `rich-${kind}` });
    expect((await patchUser(user.id, { quota: MAX - 10 })).statusCode).toBe(200);
    const err = expectError(await patchUser(user.id, { addQuota: 11 }), 400, 'invalid_request', 'addQuota');
    expect(err.message).toMatch(/above the maximum of 9,007,199,254,740,991 units/);
    const topped = await patchUser(user.id, { addQuota: 10 });
    expect(topped.json()).toMatchObject({ quota: MAX });
    expectError(await patchUser(user.id, { addQuota: 1 }), 400, 'invalid_request', 'addQuota');
    expectError(await patchUser(user.id, { addQuota: MAX }), 400, 'invalid_request', 'addQuota'); // the old 1,025-top-up path
    const row = await t.ctx.db.prisma.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(row.quota).toBe(BigInt(MAX));
    if (t.ctx.db.kind === 'sqlite') {
      const stored = t.ctx.db.sqlite.prepare('SELECT typeof("quota") AS type FROM "User" WHERE "id" = ?').get(user.id) as { type: string };
      expect(stored.type).toBe('integer');
    }
    // Deductions still work at the top.
    expect((await patchUser(user.id, { addQuota: -5 })).json()).toMatchObject({ quota: MAX - 5 });
  });

  it('concurrent top-ups cannot pass the maximum together', async () => {
    const user = await makeUser(t, { username: `racer-${kind}` });
    await patchUser(user.id, { quota: MAX - 100 });
    const results = await Promise.all(Array.from({ length: 10 }, () => patchUser(user.id, { addQuota: 30 })));
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(3);
    expect(results.filter((r) => r.statusCode === 400)).toHaveLength(7);
    expect((await t.ctx.db.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).quota).toBe(BigInt(MAX - 10));
  });

  it('a redemption that would pass the maximum is refused and the code stays unused', async () => {
    const user = await makeUser(t, { username: `saver-${kind}` });
    await patchUser(user.id, { quota: MAX - 5 });
    const minted = await t.app.inject({ method: 'POST', url: '/api/redemptions', headers: t.admin, payload: { quota: 10, count: 1, name: 'big' } });
    const [code] = (minted.json() as { codes: string[] }).codes;
    const redeem = (c: string) => t.app.inject({ method: 'POST', url: '/api/redeem', headers: user.auth, payload: { code: c } });
    expect(expectError(await redeem(code!), 400, 'invalid_request', 'code').message).toMatch(/above the maximum/);
    const row = await t.ctx.db.prisma.redemption.findFirstOrThrow({ where: { name: 'big' } });
    expect(row.status).toBe('unused');
    expect((await t.ctx.db.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).quota).toBe(BigInt(MAX - 5));
    expect(await t.ctx.db.prisma.usageLog.count({ where: { userId: user.id, type: 'redeem' } })).toBe(0);
    await patchUser(user.id, { addQuota: -5 });
    expect((await redeem(code!)).json()).toEqual({ quota: 10, balance: MAX });
  });

  it('token quotas, code values and new-user quotas are bounded too', async () => {
    const user = await makeUser(t, { username: `bounded-${kind}` });
    const token = await t.app.inject({ method: 'POST', url: '/api/tokens', headers: user.auth, payload: { name: 'max', quota: MAX } });
    expect(token.json()).toMatchObject({ quota: MAX });
    expectError(await t.app.inject({ method: 'POST', url: '/api/tokens', headers: user.auth, payload: { name: 'over', quota: MAX + 1 } }), 400, 'invalid_request', 'quota');
    expectError(await t.app.inject({ method: 'POST', url: '/api/redemptions', headers: t.admin, payload: { quota: MAX + 1, count: 1, name: 'x' } }), 400, 'invalid_request', 'quota');
    expectError(await putOptions({ botNewUserQuota: 1e300 }), 400, 'invalid_request', 'botNewUserQuota');
  });
});
