// Rate limits of relay calls (src/relay/rate-limits.ts): requests and tokens per minute of a token and of each user in
// a group, calls in flight per token. Over a limit: 429 rate_limited with Retry-After, in each wire format; nothing
// reserved. Real SDK clients against a fake upstream; the counters in memory (one instance; the Redis store and two
// instances: rate-limits-cluster.test.ts).
import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { createTestApp, dbKinds, type TestApp } from '../helpers/context.js';
import { addChannel, balances, eventually, listen, seedAccount } from '../helpers/relay.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import type { MemoryRateLimitStore } from '../../src/rate-limit/memory-store.js';
import { RelayError } from '../../src/errors.js';

const hi = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'Hi' }], max_tokens: 10 };

describe.each(dbKinds)('rate limits on %s', (kind) => {
  let t: TestApp;
  let up: FakeOpenAI;
  let base: string;
  const store = () => t.ctx.rateLimits as MemoryRateLimitStore;
  const client = (key: string) => new OpenAI({ apiKey: key, baseURL: `${base}/v1`, maxRetries: 0 });
  const limitedToken = async (limits: { rpm?: number; tpm?: number; maxConcurrent?: number }, group?: string) => {
    const account = await seedAccount(t, { group });
    await t.ctx.db.prisma.token.update({ where: { id: account.tokenId }, data: limits });
    t.ctx.bus.publish('tokens');
    return account;
  };
  const rateLimited = async (p: Promise<unknown>) => {
    const err = (await p.then(() => undefined, (e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.status).toBe(429);
    expect((err.error as { code: string }).code).toBe('rate_limited');
    const retryAfter = err.headers?.get('retry-after');
    expect(retryAfter).toMatch(/^[1-9]\d*$/);
    return { message: err.message, retryAfter: Number(retryAfter) };
  };

  beforeAll(async () => {
    up = await startFakeOpenAI({ keys: ['sk-upstream'] });
    t = await createTestApp(kind);
    await t.ctx.options.update({ modelRatios: { 'gpt-4o-mini': 1 } });
    await t.ctx.db.prisma.group.create({ data: { name: 'slow', ratio: '1', rpm: 2 } });
    await addChannel(t, { baseUrl: up.url, models: ['gpt-4o-mini'], groups: ['default', 'slow'] });
    base = await listen(t);
  });
  afterAll(async () => {
    await t?.close();
    await up?.close();
  });

  it('the 6th call in a minute on a token with rpm 5 gets 429 with Retry-After, in every wire format; nothing is reserved', async () => {
    const account = await limitedToken({ rpm: 5 });
    const openai = client(account.key);
    for (let i = 0; i < 5; i++) await openai.chat.completions.create(hi);
    const before = await balances(t, account);
    const refused = await rateLimited(openai.chat.completions.create(hi));
    expect(refused.message).toMatch(/this API key allows 5 requests per minute; try again in \d+ seconds?/);
    expect(refused.retryAfter).toBeGreaterThanOrEqual(1);
    expect(refused.retryAfter).toBeLessThanOrEqual(120);

    const anthropic = new Anthropic({ apiKey: account.key, baseURL: base, maxRetries: 0 });
    const err = await anthropic.messages.create({ model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error', code: 'rate_limited' } });
    expect((err as InstanceType<typeof Anthropic.APIError>).headers?.get('retry-after')).toMatch(/^[1-9]\d*$/);

    const gemini = await fetch(`${base}/v1beta/models/gpt-4o-mini:generateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': account.key },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] }),
    });
    expect(gemini.status).toBe(429);
    expect(gemini.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(await gemini.json()).toMatchObject({ error: { code: 429, status: 'RESOURCE_EXHAUSTED', reason: 'rate_limited' } });

    // Refused before the reservation: no hold, no charge, no usage row.
    expect(await balances(t, account)).toEqual(before);
    expect(up.requests.filter((r) => r.headers.authorization === 'Bearer sk-upstream').length).toBeGreaterThanOrEqual(5);
  });

  it("a group's rpm holds for each of its users (other users have their own), the bots' chats included", async () => {
    const a = await limitedToken({}, 'slow');
    const b = await limitedToken({}, 'slow');
    await client(a.key).chat.completions.create(hi);
    await client(a.key).chat.completions.create(hi);
    const refused = await rateLimited(client(a.key).chat.completions.create(hi));
    expect(refused.message).toMatch(/group slow allows each user 2 requests per minute/);
    await client(b.key).chat.completions.create(hi); // b's own count
    // The bots' chat of user a: the same group limit, already spent.
    const chat = t.relay.chat({ userId: a.userId, model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], source: 'telegram', purpose: 'chat' });
    await expect(chat).rejects.toMatchObject({ code: 'rate_limited', status: 429 });
    await expect(chat).rejects.toBeInstanceOf(RelayError);
    await t.relay.chat({ userId: b.userId, model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], source: 'telegram', purpose: 'chat' });
    await rateLimited(client(b.key).chat.completions.create(hi));
  });

  it('TPM: takes the prompt and the asked output at admission, corrects to the billed tokens at settle', async () => {
    const account = await limitedToken({ tpm: 200 });
    const key = `t:${account.tokenId}:tpm`;
    up.setScript(() => ({ kind: 'answer', usage: { prompt: 30, completion: 20 } }));
    try {
      await client(account.key).chat.completions.create({ ...hi, max_tokens: 100 });
      expect(store().count(key, 60_000)).toBeCloseTo(50, 0); // billed 30 + 20, not the estimate (prompt + 100)
      await client(account.key).chat.completions.create({ ...hi, max_tokens: 100 });
      expect(store().count(key, 60_000)).toBeCloseTo(100, 0);
      // 100 counted + this call's prompt and 120 asked > 200: refused, and counts nothing.
      const refused = await rateLimited(client(account.key).chat.completions.create({ ...hi, max_tokens: 120 }));
      expect(refused.message).toMatch(/this API key allows 200 tokens per minute/);
      expect(store().count(key, 60_000)).toBeCloseTo(100, 0);
      // A refusal for quota (402) gives the tokens back too.
      await t.ctx.db.prisma.user.update({ where: { id: account.userId }, data: { quota: 0n } });
      t.ctx.bus.publish('users');
      await expect(client(account.key).chat.completions.create(hi)).rejects.toMatchObject({ status: 402 });
      expect(store().count(key, 60_000)).toBeCloseTo(100, 0);
    } finally {
      up.setScript(null);
    }
  });

  it('concurrency: a slot per call in flight, released once when it ends (success, upstream error, client gone)', async () => {
    const account = await limitedToken({ maxConcurrent: 1 });
    const slots = `t:${account.tokenId}:slots`;
    const openai = client(account.key);
    // Back to back: each call's slot is free before its answer is read.
    for (let i = 0; i < 3; i++) await openai.chat.completions.create(hi);
    expect(store().slotsHeld(slots)).toBe(0);

    up.setScript(() => ({ kind: 'error', status: 500, message: 'boom' }));
    await expect(openai.chat.completions.create(hi)).rejects.toMatchObject({ status: 502 });
    up.setScript(null);
    expect(store().slotsHeld(slots)).toBe(0);

    // A stream in flight holds the slot: a second call is refused, and its refusal takes nothing.
    up.setScript(() => ({ kind: 'stream', chunks: ['a', 'b', 'c'], chunkDelayMs: 60_000 }));
    const abort = new AbortController();
    const stream = await openai.chat.completions.create({ ...hi, stream: true }, { signal: abort.signal });
    const reader = stream[Symbol.asyncIterator]();
    await reader.next(); // the first chunk arrived: the call is in flight
    expect(store().slotsHeld(slots)).toBe(1);
    const refused = await rateLimited(openai.chat.completions.create(hi));
    expect(refused.message).toMatch(/this API key allows 1 call at a time/);
    expect(store().slotsHeld(slots)).toBe(1);
    up.setScript(null);
    // The client goes away: the call is settled and the slot released.
    abort.abort();
    await eventually(() => expect(store().slotsHeld(slots)).toBe(0));
    await openai.chat.completions.create(hi);
    expect(store().slotsHeld(slots)).toBe(0);
  });

  it('a call without limits makes no store call at all', async () => {
    const account = await seedAccount(t);
    const spies = (['take', 'acquireSlot', 'adjust', 'releaseSlot'] as const).map((m) => vi.spyOn(store(), m));
    try {
      await client(account.key).chat.completions.create(hi);
      await client(account.key).chat.completions.create({ ...hi, stream: true }).then(async (s) => {
        for await (const _ of s);
      });
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it('management: tokens and groups take rpm/tpm/maxConcurrent, show them, null clears, bad values are 400', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/tokens', headers: t.admin, payload: { name: 'limited', rpm: 60, tpm: 10_000, maxConcurrent: 2 } });
    expect(created.statusCode).toBe(201);
    const token = created.json() as { id: number; rpm: number | null; tpm: number | null; maxConcurrent: number | null };
    expect(token).toMatchObject({ rpm: 60, tpm: 10_000, maxConcurrent: 2 });
    const patched = await t.app.inject({ method: 'PATCH', url: `/api/tokens/${token.id}`, headers: t.admin, payload: { rpm: null, maxConcurrent: 5 } });
    expect(patched.json()).toMatchObject({ rpm: null, tpm: 10_000, maxConcurrent: 5 });
    const got = await t.app.inject({ url: `/api/tokens/${token.id}`, headers: t.admin });
    expect(got.json()).toMatchObject({ rpm: null, tpm: 10_000, maxConcurrent: 5 });
    for (const bad of [{ rpm: 0 }, { tpm: -1 }, { maxConcurrent: 1.5 }, { rpm: '5' }]) {
      const res = await t.app.inject({ method: 'PATCH', url: `/api/tokens/${token.id}`, headers: t.admin, payload: bad });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: 'invalid_request', param: Object.keys(bad)[0] } });
    }

    const group = await t.app.inject({ method: 'POST', url: '/api/groups', headers: t.admin, payload: { name: 'metered', ratio: '1', rpm: 100, tpm: 50_000 } });
    expect(group.statusCode).toBe(201);
    expect(group.json()).toMatchObject({ name: 'metered', rpm: 100, tpm: 50_000 });
    const cleared = await t.app.inject({ method: 'PATCH', url: '/api/groups/metered', headers: t.admin, payload: { tpm: null } });
    expect(cleared.json()).toMatchObject({ rpm: 100, tpm: null });
    const list = await t.app.inject({ url: '/api/groups', headers: t.admin });
    expect((list.json() as { items: { name: string; rpm: number | null }[] }).items.find((g) => g.name === 'metered')).toMatchObject({ rpm: 100, tpm: null });
    const badGroup = await t.app.inject({ method: 'PATCH', url: '/api/groups/metered', headers: t.admin, payload: { rpm: 0 } });
    expect(badGroup.statusCode).toBe(400);
  });
});
