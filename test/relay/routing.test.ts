// Routing and failover: priority, weight, retries on retriable failures only, never after the first streamed byte,
// auto-disable on an invalid-key answer and re-enable by test, client abort cancelling the upstream call.
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { createServer } from 'node:net';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { addChannel, balances, DiscardingSink, eventually, listen, seedAccount, type SeededAccount } from '../helpers/relay.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import { ChannelRouter } from '../../src/relay/channels.js';

/** A small seeded PRNG (mulberry32): the same draws on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('routing and failover', () => {
  let t: TestApp;
  let a: FakeOpenAI;
  let b: FakeOpenAI;
  let base: string;
  let account: SeededAccount;
  /** Draws the relay's router takes before falling back to Math.random (a test pushes them). */
  const randoms: number[] = [];

  const chat = (body: Record<string, unknown> = {}) =>
    fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${account.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 50, ...body }),
    });

  /** What upstream a accepts: a test may "fix the upstream account" by adding a key. */
  const aKeys = ['sk-a'];

  beforeAll(async () => {
    a = await startFakeOpenAI({ keys: aKeys });
    b = await startFakeOpenAI({ keys: ['sk-b', 'sk-b2'] });
    t = await createTestApp('sqlite', {}, { random: () => randoms.shift() ?? Math.random() });
    await t.ctx.options.update({ modelRatios: { 'gpt-4o-mini': 1 }, completionRatios: { 'gpt-4o-mini': 1 } });
    account = await seedAccount(t, { quota: 100_000_000 });
    base = await listen(t);
  });
  afterAll(async () => {
    await t?.close();
    await a?.close();
    await b?.close();
  });
  beforeEach(async () => {
    await t.ctx.db.prisma.channel.deleteMany();
    t.ctx.bus.publish('channels');
    a.setScript(null);
    b.setScript(null);
    a.requests.length = 0;
    b.requests.length = 0;
  });

  it('sends everything to the highest priority', async () => {
    await addChannel(t, { name: 'high', baseUrl: a.url, keys: ['sk-a'], priority: 10 });
    await addChannel(t, { name: 'low', baseUrl: b.url, keys: ['sk-b'], priority: 0 });
    for (let i = 0; i < 5; i++) expect((await chat()).status).toBe(200);
    expect(a.requests).toHaveLength(5);
    expect(b.requests).toHaveLength(0);
  });

  it('plans by weight within a priority (3:1) and over a channel’s keys: the router with a seeded random source', async () => {
    const heavy = await addChannel(t, { name: 'a', baseUrl: a.url, keys: ['sk-a'], weight: 3 });
    const light = await addChannel(t, { name: 'b', baseUrl: b.url, keys: ['sk-b', 'sk-b2'], weight: 1 });
    const idle = await addChannel(t, { name: 'z', baseUrl: b.url, keys: ['sk-z'], weight: 0 });
    const low = await addChannel(t, { name: 'low', baseUrl: b.url, keys: ['sk-low'], priority: -1, weight: 100 });
    const router = new ChannelRouter(t.ctx, seeded(12345));
    await router.ensureLoaded();
    const firsts = new Map<number, number>();
    const keysOfLight = new Map<string, number>();
    const N = 20_000;
    for (let i = 0; i < N; i++) {
      const plan = router.plan('default', 'gpt-4o-mini');
      // Every channel once; weight 0 after the others of its priority; a lower priority after all of them.
      expect(plan.map((c) => c.channel.id).slice(2)).toEqual([idle, low]);
      firsts.set(plan[0]!.channel.id, (firsts.get(plan[0]!.channel.id) ?? 0) + 1);
      const b = plan.find((c) => c.channel.id === light)!;
      keysOfLight.set(b.key, (keysOfLight.get(b.key) ?? 0) + 1);
    }
    // p = 0.75, σ ≈ 0.003 over 20,000 draws: ±5σ
    expect(firsts.get(heavy)! / N).toBeGreaterThan(0.735);
    expect(firsts.get(heavy)! / N).toBeLessThan(0.765);
    expect(keysOfLight.get('sk-b')! / N).toBeGreaterThan(0.48);
    expect(keysOfLight.get('sk-b2')! / N).toBeGreaterThan(0.48);
  });

  it('sends each request to the channel and key the router planned', async () => {
    await addChannel(t, { name: 'a', baseUrl: a.url, keys: ['sk-a'], weight: 3 });
    await addChannel(t, { name: 'b', baseUrl: b.url, keys: ['sk-b', 'sk-b2'], weight: 1 });
    // One draw per channel for the order (a, b), then one per channel, in plan order, for its key.
    randoms.push(0.99, 0.01, 0, 0); // a first
    randoms.push(0.01, 0.99, 0.99, 0); // b first, its second key
    randoms.push(0.01, 0.99, 0, 0); // b first, its first key
    for (let i = 0; i < 3; i++) expect((await chat()).status).toBe(200);
    expect(randoms).toEqual([]);
    expect(a.requests.map((r) => r.headers.authorization)).toEqual(['Bearer sk-a']);
    expect(b.requests.map((r) => r.headers.authorization)).toEqual(['Bearer sk-b2', 'Bearer sk-b']);
  });

  it.each([
    ['a 500', { kind: 'error', status: 500 } as const],
    ['a 429', { kind: 'error', status: 429 } as const],
    ['a dropped connection', { kind: 'destroy' } as const],
  ])('fails over to the next channel on %s', async (_name, script) => {
    await addChannel(t, { name: 'first', baseUrl: a.url, keys: ['sk-a'], priority: 10 });
    await addChannel(t, { name: 'second', baseUrl: b.url, keys: ['sk-b'], priority: 0 });
    a.setScript(() => script);
    const res = await chat();
    expect(res.status).toBe(200);
    expect(a.requests).toHaveLength(1);
    expect(b.requests).toHaveLength(1);
  });

  it('fails over on a connect error and on a first-byte timeout', async () => {
    await addChannel(t, { name: 'dead', baseUrl: `http://127.0.0.1:${await closedPort()}`, priority: 20 });
    await addChannel(t, { name: 'slow', baseUrl: a.url, keys: ['sk-a'], priority: 10, config: { firstByteTimeoutMs: 300 } });
    await addChannel(t, { name: 'ok', baseUrl: b.url, keys: ['sk-b'], priority: 0 });
    a.setScript(() => ({ kind: 'hang' }));
    const started = Date.now();
    const res = await chat();
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(a.requests).toHaveLength(1);
    expect(b.requests).toHaveLength(1);
  });

  it('stops after retryCount retries and says what the upstream said', async () => {
    await t.ctx.options.update({ retryCount: 1 });
    for (const p of [3, 2, 1]) await addChannel(t, { name: `c${p}`, baseUrl: a.url, keys: ['sk-a'], priority: p });
    a.setScript(() => ({ kind: 'error', status: 503, message: 'The server is overloaded' }));
    const res = await chat();
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: string; message: string; type: string } };
    await t.ctx.options.update({ retryCount: 2 });
    expect(body.error).toMatchObject({ code: 'upstream_error', type: 'upstream_error' });
    // A user is told that the upstream failed and the request id; what it said is kept for admins in the log.
    const id = res.headers.get('x-request-id')!;
    expect(body.error.message).toBe(`the upstream service could not complete this request; try again later, or give the administrator the request id ${id}`);
    const row = await t.ctx.db.prisma.usageLog.findUniqueOrThrow({ where: { requestId: id } });
    expect(row.detail).toContain('The server is overloaded');
    expect(a.requests).toHaveLength(2);
  });

  it('does not retry a client error; passes the upstream message on with its status', async () => {
    await addChannel(t, { name: 'first', baseUrl: a.url, keys: ['sk-a'], priority: 10 });
    await addChannel(t, { name: 'second', baseUrl: b.url, keys: ['sk-b'] });
    a.setScript(() => ({ kind: 'error', status: 400, message: "Invalid value for 'temperature'", code: 'invalid_value' }));
    const res = await chat();
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string; upstream_status: number } };
    expect(body.error.message).toContain("Invalid value for 'temperature'");
    expect(body.error.upstream_status).toBe(400);
    expect(b.requests).toHaveLength(0);
  });

  it('never retries once the first streamed byte reached the client', async () => {
    await addChannel(t, { name: 'first', baseUrl: a.url, keys: ['sk-a'], priority: 10 });
    await addChannel(t, { name: 'second', baseUrl: b.url, keys: ['sk-b'] });
    a.setScript(() => ({ kind: 'stream', chunks: ['one', 'two', 'three', 'four'], cutAfter: 3 }));
    const res = await chat({ stream: true });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('"content":"one"');
    expect(text).toContain('closed the stream before it finished');
    expect(text).not.toContain('[DONE]');
    expect(b.requests).toHaveLength(0);
  });

  it('auto-disables a channel whose key is invalid, serves from the next, and re-enables it by test', async () => {
    const bad = await addChannel(t, { name: 'bad', baseUrl: a.url, keys: ['sk-revoked'], priority: 10 });
    await addChannel(t, { name: 'good', baseUrl: b.url, keys: ['sk-b'] });
    const disabled: unknown[] = [];
    t.relay.events.on('channel-disabled', (e) => disabled.push(e));
    expect((await chat()).status).toBe(200);
    const row = await t.ctx.db.prisma.channel.findUniqueOrThrow({ where: { id: bad } });
    expect(row.status).toBe('auto_disabled');
    expect(row.disabledReason).toMatch(/invalid_key: Incorrect API key/);
    expect(disabled).toEqual([expect.objectContaining({ channelId: bad, channelDisabled: true })]);
    a.requests.length = 0;
    expect((await chat()).status).toBe(200);
    expect(a.requests).toHaveLength(0); // skipped while disabled

    // Still failing: the test reports it and the channel stays disabled.
    let res = await t.app.inject({ method: 'POST', url: `/api/channels/${bad}/test`, headers: t.admin });
    expect(res.json()).toMatchObject({ ok: false, channelStatus: 'auto_disabled' });
    // The upstream account is fixed: the test passes and the channel comes back.
    aKeys.push('sk-revoked');
    try {
      res = await t.app.inject({ method: 'POST', url: `/api/channels/${bad}/test`, headers: t.admin });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ ok: true, channelStatus: 'enabled' });
      a.requests.length = 0;
      expect((await chat()).status).toBe(200);
      expect(a.requests).toHaveLength(1);
    } finally {
      aKeys.pop();
    }
  });

  it('records every attempt on the call: channel, key, outcome, status and time', async () => {
    const bad = await addChannel(t, { name: 'bad', baseUrl: a.url, keys: ['sk-revoked'], priority: 10 });
    const busy = await addChannel(t, { name: 'busy', baseUrl: b.url, keys: ['sk-b'], priority: 5, config: { firstByteTimeoutMs: 300 } });
    const good = await addChannel(t, { name: 'good', baseUrl: a.url, keys: ['sk-a'], priority: 0 });
    b.setScript(() => ({ kind: 'hang' }));
    const outcome = await t.relay.execute(
      { endpoint: '/v1/chat/completions', kind: 'chat', format: 'openai', payer: { userId: account.userId, token: null, group: 'default', source: 'api' }, model: 'gpt-4o-mini', stream: false, body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5 } },
      new DiscardingSink(),
    );
    expect(outcome.status).toBe('ok');
    expect(outcome.attempts).toEqual([
      { channelId: bad, keyId: expect.any(Number), outcome: 'retry', code: 'upstream_error', status: 502, upstreamStatus: 401, ms: expect.any(Number) },
      { channelId: busy, keyId: expect.any(Number), outcome: 'retry', code: 'upstream_timeout', status: 504, fault: 'timeout', ms: expect.any(Number) },
      { channelId: good, keyId: expect.any(Number), outcome: 'done', code: 'ok', status: 200, ms: expect.any(Number) },
    ]);
    expect(outcome.attempts[1]!.ms).toBeGreaterThanOrEqual(250);
  });

  it('disables only the bad key of a multi-key channel', async () => {
    const id = await addChannel(t, { name: 'multi', baseUrl: b.url, keys: ['sk-b', 'sk-gone'] });
    for (let i = 0; i < 12; i++) expect((await chat()).status).toBe(200);
    const row = await t.ctx.db.prisma.channel.findUniqueOrThrow({ where: { id }, include: { keys: { orderBy: { position: 'asc' } } } });
    expect(row.status).toBe('enabled');
    expect(row.keys.map((k) => k.status)).toEqual(['enabled', 'auto_disabled']);
  });

  it('a client abort cancels the upstream request, and what streamed is billed', async () => {
    await addChannel(t, { name: 'slowstream', baseUrl: a.url, keys: ['sk-a'] });
    a.setScript(() => ({ kind: 'stream', chunks: Array.from({ length: 200 }, (_, i) => `w${i} `), chunkDelayMs: 20, usage: null }));
    const before = await balances(t, account);
    const controller = new AbortController();
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      signal: controller.signal,
      headers: { authorization: `Bearer ${account.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], stream: true, max_tokens: 1000 }),
    });
    const reader = res.body!.getReader();
    let seen = '';
    while (!seen.includes('w3 ')) seen += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    await eventually(() => expect(a.openStreams()).toBe(0), 3000);
    await eventually(async () => expect((await balances(t, account)).logs.length).toBeGreaterThan(before.logs.length));
    const after = await balances(t, account);
    const entry = after.logs.at(-1)!;
    expect(entry.status).toBe('error');
    expect(entry.completionTokens).toBeGreaterThan(0);
    expect(entry.completionTokens).toBeLessThan(200 * 2); // stopped early: far fewer than the full answer
    expect(before.quota - after.quota).toBe(Number(entry.quota));
    expect(Number(entry.quota)).toBe(entry.promptTokens + entry.completionTokens); // ratio 1, completion ratio 1
  });

  it("a channel's total time limit ends a stream that stalls after its first bytes, billed for what streamed", async () => {
    await addChannel(t, { name: 'slow', baseUrl: a.url, keys: ['sk-a'], priority: 10, config: { totalTimeoutMs: 600 } });
    await addChannel(t, { name: 'second', baseUrl: b.url, keys: ['sk-b'] });
    // The whole answer would take 4 s; the channel allows 0.6 s.
    a.setScript(() => ({ kind: 'stream', chunks: Array.from({ length: 40 }, (_, i) => `w${i} `), chunkDelayMs: 100, usage: null }));
    const before = await balances(t, account);
    const started = Date.now();
    const res = await chat({ stream: true });
    const text = await res.text();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(text).toContain('"content":"w0 "');
    expect(text).not.toContain('w39');
    expect(text).toMatch(/timed out/);
    expect(b.requests).toHaveLength(0); // bytes had reached the client: no retry
    await eventually(() => expect(a.openStreams()).toBe(0), 3000);
    const after = await balances(t, account);
    const entry = after.logs.at(-1)!;
    expect(entry).toMatchObject({ status: 'error', type: 'consume' });
    expect(entry.completionTokens).toBeGreaterThan(0);
    expect(before.quota - after.quota).toBe(Number(entry.quota));
  });

  it("a channel's total time limit also bounds the wait for the response head, and the next channel answers", async () => {
    await addChannel(t, { name: 'silent', baseUrl: a.url, keys: ['sk-a'], priority: 10, config: { totalTimeoutMs: 500 } });
    await addChannel(t, { name: 'second', baseUrl: b.url, keys: ['sk-b'] });
    a.setScript(() => ({ kind: 'hang' }));
    const started = Date.now();
    const res = await chat();
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(b.requests).toHaveLength(1);
  });
});
