// Channel operations against fake upstreams: test every channel at once, fetch an upstream's model list (OpenAI,
// Anthropic, Gemini), read an upstream balance (OpenAI-compatible billing, DeepSeek, OpenRouter, SiliconFlow) or be
// told it is not offered; upstream errors are shown to the admin without the key.
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { createTestApp, dbKinds, type TestApp } from '../helpers/context.js';
import { addChannel } from '../helpers/relay.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic-upstream.js';
import { startFakeGemini, type FakeGemini } from '../fakes/gemini-upstream.js';

const KEY = 'sk-opskey-0123456789abcdef';

describe.each(dbKinds)('channel operations on %s', (kind) => {
  let t: TestApp;
  let openai: FakeOpenAI;
  let anthropic: FakeAnthropic;
  let gemini: FakeGemini;

  beforeAll(async () => {
    t = await createTestApp(kind);
    openai = await startFakeOpenAI({ keys: [KEY] });
    anthropic = await startFakeAnthropic({ keys: [KEY] });
    gemini = await startFakeGemini({ keys: [KEY] });
  });
  afterAll(async () => {
    await t?.close();
    await openai?.close();
    await anthropic?.close();
    await gemini?.close();
  });
  beforeEach(async () => {
    await t.ctx.db.prisma.channel.deleteMany();
    t.ctx.bus.publish('channels');
  });

  const get = (url: string) => t.app.inject({ method: 'GET', url, headers: t.admin });

  it('tests every channel at once: each result, admin-disabled ones left out, an auto-disabled one that passes re-enabled', async () => {
    const good = await addChannel(t, { name: 'good', baseUrl: openai.url, keys: [KEY] });
    const bad = await addChannel(t, { name: 'bad', baseUrl: openai.url, keys: ['sk-wrong-key-000000000000'] });
    const back = await addChannel(t, { name: 'back', type: 'anthropic', baseUrl: anthropic.url, keys: [KEY], models: ['claude-sonnet-4-6'], status: 'auto_disabled' });
    await addChannel(t, { name: 'off', baseUrl: openai.url, keys: [KEY], status: 'disabled' });
    const many: number[] = [];
    for (let i = 0; i < 6; i++) many.push(await addChannel(t, { name: `g${i}`, type: 'gemini', baseUrl: gemini.url, keys: [KEY], models: ['gemini-2.5-flash'] }));
    const res = await t.app.inject({ method: 'POST', url: '/api/channels/test', headers: t.admin });
    expect(res.statusCode).toBe(200);
    const items = res.json().items as Array<{ channelId: number; name: string; ok: boolean; channelStatus: string; keys: Array<{ message: string }> }>;
    expect(items.map((i) => i.channelId)).toEqual([good, bad, back, ...many]);
    expect(items.map((i) => i.ok)).toEqual([true, false, true, ...many.map(() => true)]);
    expect(items.find((i) => i.channelId === back)!.channelStatus).toBe('enabled');
    expect(res.body).not.toContain('sk-wrong-key-000000000000');
    // Anyone else is refused.
    expect((await t.app.inject({ method: 'POST', url: '/api/channels/test' })).statusCode).toBe(401);
  });

  it("fetches the upstream's model list: OpenAI, Anthropic and Gemini", async () => {
    const o = await addChannel(t, { baseUrl: openai.url, keys: [KEY] });
    const a = await addChannel(t, { type: 'anthropic', baseUrl: anthropic.url, keys: [KEY], models: ['claude-sonnet-4-6'] });
    const g = await addChannel(t, { type: 'gemini', baseUrl: gemini.url, keys: [KEY], models: ['gemini-2.5-flash'] });
    expect((await get(`/api/channels/${o}/upstream-models`)).json()).toEqual({ models: ['gpt-4o-mini'] });
    expect((await get(`/api/channels/${a}/upstream-models`)).json()).toEqual({ models: ['claude-haiku-4-5', 'claude-sonnet-4-6'] });
    expect((await get(`/api/channels/${g}/upstream-models`)).json()).toEqual({ models: ['gemini-2.5-flash', 'gemini-2.5-pro'] });
    expect(anthropic.requests.at(-1)).toMatchObject({ method: 'GET', path: '/v1/models' });
    expect(gemini.requests.at(-1)).toMatchObject({ method: 'GET', path: '/v1beta/models' });

    // A refused key: a 502 that says what the upstream said, without the key.
    const wrong = await addChannel(t, { baseUrl: openai.url, keys: ['sk-wrong-key-111111111111'] });
    const refused = await get(`/api/channels/${wrong}/upstream-models`);
    expect(refused.statusCode).toBe(502);
    expect(refused.json().error.message).toMatch(/HTTP 401/);
    expect(refused.body).not.toContain('sk-wrong-key-111111111111');
    expect((await get('/api/channels/999999/upstream-models')).statusCode).toBe(404);
  });

  it('reads the upstream balance where the provider has an endpoint, and says so where it has none', async () => {
    const relay = await addChannel(t, { type: 'openai', baseUrl: openai.url, keys: [KEY] });
    const deepseek = await addChannel(t, { type: 'deepseek', baseUrl: openai.url, keys: [KEY] });
    const openrouter = await addChannel(t, { type: 'openrouter', baseUrl: `${openai.url}/api`, keys: [KEY] });
    const siliconflow = await addChannel(t, { type: 'siliconflow', baseUrl: openai.url, keys: [KEY] });
    const claude = await addChannel(t, { type: 'anthropic', baseUrl: anthropic.url, keys: [KEY], models: ['claude-sonnet-4-6'] });
    expect((await get(`/api/channels/${relay}/balance`)).json()).toEqual({ offered: true, currency: 'USD', total: 100, used: 12.34, balance: 87.66 });
    expect((await get(`/api/channels/${deepseek}/balance`)).json()).toEqual({ offered: true, currency: 'CNY', balance: 110 });
    expect((await get(`/api/channels/${openrouter}/balance`)).json()).toEqual({ offered: true, currency: 'USD', total: 50, used: 7.5, balance: 42.5 });
    expect((await get(`/api/channels/${siliconflow}/balance`)).json()).toEqual({ offered: true, currency: 'CNY', balance: 88.88 });
    const none = (await get(`/api/channels/${claude}/balance`)).json();
    expect(none).toEqual({ offered: false, message: expect.stringContaining('not offered by this provider') });
    const billing = openai.requests.filter((r) => r.url.includes('/dashboard/billing/'));
    expect(billing.map((r) => r.headers.authorization)).toEqual([`Bearer ${KEY}`, `Bearer ${KEY}`]);
    expect(billing[1]!.url).toMatch(/start_date=\d{4}-\d{2}-\d{2}&end_date=\d{4}-\d{2}-\d{2}$/);
  });
});
