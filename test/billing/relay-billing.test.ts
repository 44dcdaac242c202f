// Billing through the relay, end to end: exact quota for a table of ratios and usages (non-stream and stream, with and
// without upstream usage), concurrency that must not overdraw, and faults that must not lose or double-count a charge.
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { createTestApp, dbKinds, type TestApp } from '../helpers/context.js';
import { addChannel, balances, eventually, seedAccount, listen } from '../helpers/relay.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import type { HoldRequest } from '../../src/billing/ledger.js';

function chatRequest(t: TestApp, key: string, body: Record<string, unknown>) {
  return t.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    payload: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hi' }], ...body }),
  });
}

describe('exact quota through the relay', () => {
  let t: TestApp;
  let up: FakeOpenAI;

  beforeAll(async () => {
    up = await startFakeOpenAI();
    t = await createTestApp('sqlite');
    await t.ctx.db.prisma.group.createMany({ data: [{ name: 'g15', ratio: '1.5' }, { name: 'g09', ratio: '0.9' }] });
    await addChannel(t, { baseUrl: up.url, models: ['m'], groups: ['default', 'g15', 'g09'] });
  });
  afterAll(async () => {
    await t?.close();
    await up?.close();
  });

  // "Hi" as the only user message counts 8 prompt tokens locally (3 priming + 3 per message + "user" 1 + "Hi" 1);
  // "Hello world" is 2 completion tokens in o200k/cl100k. Expected values are computed by hand in the comments.
  it.each([
    // group, modelRatio, completionRatio, stream, upstream usage [prompt, completion] or null, expected quota
    ['default', '1', '1', false, [100, 50], 150], // 1 × 1 × (100 + 50)
    ['default', '0.1', '1', false, [30, 1], 4], // 0.1 × 31 = 3.1 → 4
    ['default', '0.1', '1', false, [30, 0], 4], // 0 completion tokens for "Hello world" is not believed: 0.1 × (30 + 2) → 4
    ['g15', '2.5', '1.33', false, [1000, 300], 5247], // 1.5 × 2.5 × (1000 + 399) = 5246.25 → 5247
    ['g09', '0.075', '4', false, [12, 9], 4], // 0.9 × 0.075 × 48 = 3.24 → 4
    ['default', '1', '2', true, [40, 10], 60], // 40 + 20
    ['g15', '0.5', '3', true, [7, 5], 17], // 1.5 × 0.5 × 22 = 16.5 → 17
    ['default', '1', '1', false, null, 10], // no usage: 8 prompt + "Hello world" 2
    ['g15', '2', '3', true, null, 42], // no usage, stream: 1.5 × 2 × (8 + 2 × 3) = 42
  ])('group %s × model %s × completion %s (stream %s, usage %j) → %i units', async (group, model, completion, stream, usage, expected) => {
    await t.ctx.options.update({ modelRatios: { m: Number(model) }, completionRatios: { m: Number(completion) } });
    const account = await seedAccount(t, { quota: 1_000_000, group: String(group) });
    up.setScript(() =>
      stream
        ? { kind: 'stream', chunks: ['Hello', ' world'], usage: usage ? { prompt: usage[0]!, completion: usage[1]! } : null }
        : { kind: 'answer', text: 'Hello world', usage: usage ? { prompt: usage[0]!, completion: usage[1]! } : null },
    );
    const res = await chatRequest(t, account.key, { stream, max_tokens: 100 });
    expect(res.statusCode).toBe(200);
    const b = await balances(t, account);
    expect(1_000_000 - b.quota).toBe(expected);
    expect(b).toMatchObject({ used: expected, logged: expected, holds: 0 });
    expect(b.logs).toHaveLength(1);
    expect(b.logs[0]).toMatchObject({ groupRatio: group === 'default' ? '1' : group === 'g15' ? '1.5' : '0.9', modelRatio: model, completionRatio: completion, stream });
  });

  it('a pass-through stream whose upstream reports completion tokens but no prompt: the prompt is ours, the rest theirs (mixed)', async () => {
    // The stream's text events may be left unread (OpenAIStreamMeter); billing still gets the text it reads for this.
    await t.ctx.options.update({ modelRatios: { m: 1 }, completionRatios: { m: 1 } });
    const account = await seedAccount(t, { quota: 1_000_000 });
    up.setScript(() => ({ kind: 'stream', chunks: ['Hello', ' world'], usage: { prompt: 0, completion: 5 } }));
    const res = await chatRequest(t, account.key, { stream: true, max_tokens: 100 });
    expect(res.statusCode).toBe(200);
    const b = await balances(t, account);
    expect(b.logs[0]).toMatchObject({ promptTokens: 8, completionTokens: 5, usageSource: 'mixed' }); // 8: "Hi", counted here
    expect(b).toMatchObject({ used: 13, logged: 13, holds: 0 });
  });

  it('bills cached prompt tokens at the cache-read ratio', async () => {
    await t.ctx.options.update({ modelRatios: { m: 1 }, completionRatios: { m: 1 }, cacheReadRatios: { m: 0.5 } });
    const account = await seedAccount(t, { quota: 1_000_000 });
    up.setScript(() => ({ kind: 'answer', usage: { prompt: 1000, completion: 10, cached: 800 } }));
    await chatRequest(t, account.key, {});
    const b = await balances(t, account);
    expect(1_000_000 - b.quota).toBe(610); // (1000 − 800) + 800 × 0.5 + 10
    expect(b.logs[0]).toMatchObject({ promptTokens: 200, cacheReadTokens: 800, completionTokens: 10 });
  });
});

describe.each(dbKinds)('concurrency and faults on %s', (kind) => {
  let t: TestApp;
  let up: FakeOpenAI;

  beforeAll(async () => {
    up = await startFakeOpenAI();
    t = await createTestApp(kind);
    // 1 unit per token; the request reserves 8 prompt + 2 max_tokens = 10 and the upstream reports 8 + 2.
    await t.ctx.options.update({ modelRatios: { m: 1 }, completionRatios: { m: 1 } });
    await addChannel(t, { baseUrl: up.url, models: ['m'] });
  });
  afterAll(async () => {
    await t?.close();
    await up?.close();
  });
  beforeEach(() => up.setScript(() => ({ kind: 'answer', text: 'ok', usage: { prompt: 8, completion: 2 }, delayMs: 5 })));

  const hundred = async (key: string) => {
    const results = await Promise.all(Array.from({ length: 100 }, () => chatRequest(t, key, { max_tokens: 2 })));
    return results.map((r) => r.statusCode);
  };

  it('a balance far above the call is held on the prompt bytes, one near its end on the exact count; both billed the same', async () => {
    const holds: HoldRequest[] = [];
    const reserve = t.relay.ledger.reserve.bind(t.relay.ledger);
    t.relay.ledger.reserve = (h) => {
      holds.push(h);
      return reserve(h);
    };
    try {
      // "Hi" from a user: 3 priming + 3 per message + "user" + "Hi" = 8 tokens exactly; as bytes 3 + 3 + 4 + 2 = 12.
      const rich = await seedAccount(t, { quota: 1_000_000 });
      expect((await chatRequest(t, rich.key, { max_tokens: 2 })).statusCode).toBe(200);
      expect(holds).toEqual([expect.objectContaining({ amount: 14, minimum: 14, onlyIfAvailable: 1400 })]);
      expect(await balances(t, rich)).toMatchObject({ quota: 1_000_000 - 10, used: 10, logged: 10, holds: 0 });

      // 1,000 units is less than 100 bytes-bounded holds: the prompt is counted, and the hold is the exact range.
      holds.length = 0;
      const near = await seedAccount(t, { quota: 1000 });
      expect((await chatRequest(t, near.key, { max_tokens: 2 })).statusCode).toBe(200);
      expect(holds).toEqual([
        expect.objectContaining({ amount: 14, onlyIfAvailable: 1400 }),
        expect.objectContaining({ amount: 10, minimum: 9 }),
      ]);
      expect(holds[1]!.onlyIfAvailable).toBeUndefined();
      expect(await balances(t, near)).toMatchObject({ quota: 990, used: 10, logged: 10, holds: 0 });
    } finally {
      t.relay.ledger.reserve = reserve;
    }
  });

  it('100 parallel requests against a token with quota for 10: never below zero, charges = quota spent', async () => {
    const account = await seedAccount(t, { quota: 1_000_000, tokenQuota: 100 });
    const statuses = await hundred(account.key);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 402)).toHaveLength(90);
    const b = await balances(t, account);
    expect(b).toMatchObject({ tokenRemain: 0, tokenUsed: 100, used: 100, logged: 100, holds: 0 });
    expect(b.quota).toBe(1_000_000 - 100);
  });

  it('100 parallel requests against an account with quota for 10: never below zero, charges = quota spent', async () => {
    const account = await seedAccount(t, { quota: 100 });
    const statuses = await hundred(account.key);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    const b = await balances(t, account);
    expect(b).toMatchObject({ quota: 0, used: 100, logged: 100, holds: 0 });
  });

  it('an upstream 500 after the reservation is refunded in full, and logged as a failure', async () => {
    const account = await seedAccount(t, { quota: 1000, tokenQuota: 500 });
    up.setScript(() => ({ kind: 'error', status: 500 }));
    const res = await chatRequest(t, account.key, { max_tokens: 2 });
    expect(res.statusCode).toBe(502);
    const b = await balances(t, account);
    expect(b).toMatchObject({ quota: 1000, tokenRemain: 500, used: 0, logged: 0, holds: 0 });
    expect(b.logs).toEqual([expect.objectContaining({ status: 'error', type: 'error', quota: 0n })]);
  });

  it('an upstream that closes mid-stream is billed for what streamed', async () => {
    const account = await seedAccount(t, { quota: 1000 });
    up.setScript(() => ({ kind: 'stream', chunks: ['Hello', ' world', ' and', ' more'], usage: null, cutAfter: 3 }));
    const res = await chatRequest(t, account.key, { stream: true, max_tokens: 50 });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('closed the stream before it finished'); // the relay's own words: every caller reads them
    const b = await balances(t, account);
    // role chunk, "Hello", " world" arrived: 8 prompt + 2 completion = 10
    expect(b).toMatchObject({ quota: 990, used: 10, logged: 10, holds: 0 });
    expect(b.logs[0]).toMatchObject({ status: 'error', completionTokens: 2, quota: 10n });
  });

  it('a client that disconnects mid-stream is billed for what streamed', async () => {
    const account = await seedAccount(t, { quota: 10_000 });
    up.setScript(() => ({ kind: 'stream', chunks: Array.from({ length: 100 }, () => ' x'), usage: null, chunkDelayMs: 15 }));
    const base = await listen(t).catch(() => `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`);
    const controller = new AbortController();
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      signal: controller.signal,
      headers: { authorization: `Bearer ${account.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hi' }], stream: true, max_tokens: 200 }),
    });
    const reader = res.body!.getReader();
    let received = '';
    while ((received.match(/" x"/g) ?? []).length < 5) received += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    await eventually(async () => expect((await balances(t, account)).logs).toHaveLength(1));
    const b = await balances(t, account);
    const entry = b.logs[0]!;
    expect(entry.completionTokens).toBeGreaterThanOrEqual(5);
    expect(entry.completionTokens).toBeLessThan(100);
    expect(10_000 - b.quota).toBe(8 + entry.completionTokens);
    expect(b.logged).toBe(10_000 - b.quota);
  });
});

describe.each(dbKinds)('long-prompt tiers through the relay on %s', (kind) => {
  let t: TestApp;
  let up: FakeOpenAI;

  beforeAll(async () => {
    up = await startFakeOpenAI();
    t = await createTestApp(kind);
    await addChannel(t, { baseUrl: up.url, models: ['m'] });
    // Base: ratio 1, completion 1; above 200 prompt tokens (cache included) the whole call at ratio 2, completion 3.
    await t.ctx.options.update({ modelRatios: { m: '1' }, completionRatios: { m: '1' }, priceTiers: { m: [{ above: 200, modelRatio: '2', completionRatio: '3' }] } });
  });
  afterAll(async () => {
    await t?.close();
    await up?.close();
  });

  it.each([
    // upstream usage [prompt (cached included, OpenAI-style), completion, cached], expected units, ratios logged
    [[200, 10, 0], 210, '1', '1'], // at the threshold: base, 200 + 10
    [[201, 10, 0], 462, '2', '3'], // above: 2 × (201 + 30)
    [[201, 10, 101], 462, '2', '3'], // cached tokens count toward the threshold (cache-read ratio 1 here): 2 × (100 + 30 + 101)
    [[199, 10, 0], 209, '1', '1'],
  ])('usage %j → %i units at model ratio %s, completion %s', async ([prompt, completion, cached], expected, modelRatio, completionRatio) => {
    const account = await seedAccount(t, { quota: 1_000_000 });
    up.setScript(() => ({ kind: 'answer', text: 'Hello world', usage: { prompt: prompt!, completion: completion!, cached: cached! } }));
    const res = await chatRequest(t, account.key, { max_tokens: 100 });
    expect(res.statusCode).toBe(200);
    const b = await balances(t, account);
    expect(b).toMatchObject({ used: expected, logged: expected, holds: 0, quota: 1_000_000 - expected });
    expect(b.logs[0]).toMatchObject({ modelRatio, completionRatio });
  });
});
