// Prometheus metrics (src/metrics/): GET /metrics only with METRICS_TOKEN (else 404), or on METRICS_PORT; the counts
// follow the calls made: requests by endpoint, model, channel and outcome, latency and time to first token, upstream
// errors, retries and failovers, quota charged, rate-limited calls; process and pool metrics are there.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import OpenAI from 'openai';
import { createTestApp, createTestContext, dbKinds, type TestApp } from '../helpers/context.js';
import { addChannel, listen, seedAccount, type SeededAccount } from '../helpers/relay.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import { startMetricsServer } from '../../src/metrics/serve.js';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const hi = (model = 'gpt-4o-mini') => ({ model, messages: [{ role: 'user' as const, content: 'Hi' }], max_tokens: 10 });

/** The value of one sample of the Prometheus text format, or undefined when it is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const matches = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (matches) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe.each(dbKinds)('metrics on %s', (kind) => {
  let t: TestApp;
  let up: FakeOpenAI;
  let broken: FakeOpenAI;
  let base: string;
  let account: SeededAccount;
  let channel: number;
  let brokenChannel: number;
  let spareChannel: number;
  const scrape = async () => {
    const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    return res.text();
  };

  beforeAll(async () => {
    up = await startFakeOpenAI({ keys: ['sk-upstream'] });
    broken = await startFakeOpenAI({ keys: ['sk-upstream'] });
    broken.setScript(() => ({ kind: 'error', status: 500, message: 'overloaded' }));
    t = await createTestApp(kind, { METRICS_TOKEN });
    await t.ctx.options.update({ modelRatios: { 'gpt-4o-mini': 1, 'failover-model': 1 }, defaultModelRatio: 1 });
    channel = await addChannel(t, { baseUrl: up.url, models: ['gpt-4o-mini', 'unlisted-model'] });
    brokenChannel = await addChannel(t, { baseUrl: broken.url, models: ['failover-model'], priority: 10 });
    spareChannel = await addChannel(t, { baseUrl: up.url, models: ['failover-model'], priority: 0 });
    account = await seedAccount(t);
    base = await listen(t);
  });
  afterAll(async () => {
    await t?.close();
    await up?.close();
    await broken?.close();
  });

  it('is refused without the token, or with a wrong one', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer not-the-metrics-token' } });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain(METRICS_TOKEN);
  });

  it('counts the calls made, their charge, errors, retries, failovers and rate-limited calls', async () => {
    const client = new OpenAI({ apiKey: account.key, baseURL: `${base}/v1`, maxRetries: 0 });
    const before = await scrape();
    const ok = { endpoint: '/v1/chat/completions', model: 'gpt-4o-mini', channel: String(channel), outcome: 'ok' };
    const okBefore = sample(before, 'relay_requests_total', ok) ?? 0;
    for (let i = 0; i < 3; i++) await client.chat.completions.create(hi());
    const stream = await client.chat.completions.create({ ...hi(), stream: true });
    for await (const _ of stream);
    // A model priced only by defaultModelRatio is not listed by name.
    await client.chat.completions.create(hi('unlisted-model'));
    // Failover: the first channel answers 500, the next one answers.
    await client.chat.completions.create(hi('failover-model'));
    // A refusal at admission.
    await expect(client.chat.completions.create(hi('no-such-model'))).rejects.toMatchObject({ status: 404 });
    // A rate-limited call.
    await t.ctx.db.prisma.token.update({ where: { id: account.tokenId }, data: { rpm: 1 } });
    t.ctx.bus.publish('tokens');
    await client.chat.completions.create(hi()).catch(() => {});
    await expect(client.chat.completions.create(hi())).rejects.toMatchObject({ status: 429 });
    await t.ctx.db.prisma.token.update({ where: { id: account.tokenId }, data: { rpm: null } });
    t.ctx.bus.publish('tokens');

    const text = await scrape();
    const okNow = sample(text, 'relay_requests_total', ok)!;
    expect(okNow - okBefore).toBeGreaterThanOrEqual(5); // 3 + the stream + the one the rpm let through
    expect(okNow - okBefore).toBeLessThanOrEqual(5);
    expect(sample(text, 'relay_requests_total', { model: 'other', channel: String(channel), outcome: 'ok' })).toBe(1);
    expect(sample(text, 'relay_requests_total', { model: 'failover-model', channel: String(spareChannel), outcome: 'ok' })).toBe(1);
    expect(sample(text, 'relay_requests_total', { model: 'other', channel: 'none', outcome: 'model_not_found' })).toBe(1);
    expect(sample(text, 'relay_requests_total', { channel: 'none', outcome: 'rate_limited' })).toBe(1);
    expect(sample(text, 'relay_rate_limited_total', { limit: 'rpm' })).toBe(1);
    expect(sample(text, 'relay_upstream_errors_total', { channel: String(brokenChannel), kind: '500' })).toBe(1);
    expect(sample(text, 'relay_retries_total')).toBe(1);
    expect(sample(text, 'relay_failovers_total')).toBe(1);
    expect(sample(text, 'relay_time_to_first_token_seconds_count', { endpoint: '/v1/chat/completions' })).toBe(1);
    expect(sample(text, 'relay_request_duration_seconds_count', { endpoint: '/v1/chat/completions', result: 'ok' })).toBeGreaterThanOrEqual(7);
    expect(sample(text, 'relay_open_reservations')).toBe(0);
    // Quota charged: exactly what the usage log holds.
    const logs = await t.ctx.db.prisma.usageLog.findMany({ where: { userId: account.userId } });
    expect(sample(text, 'relay_quota_charged_units_total')).toBe(logs.reduce((s, l) => s + Number(l.quota), 0));
    // Process metrics: event-loop lag; PostgreSQL: the pool.
    expect(sample(text, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);
    if (kind === 'postgresql') expect(sample(text, 'db_pool_connections', { state: 'total' })).toBeGreaterThan(0);
    // No key or user in any label.
    expect(text).not.toContain(account.key);
    expect(text).not.toMatch(/user(Id)?="/);
  });
});

describe('metrics exposure', () => {
  it('answers 404 on the main port when neither METRICS_TOKEN nor METRICS_PORT is set', async () => {
    const t = await createTestApp('sqlite');
    try {
      const res = await t.app.inject({ url: '/metrics' });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ error: { code: 'not_found' } });
    } finally {
      await t.close();
    }
  });

  it('serves GET /metrics on METRICS_PORT (127.0.0.1 by default) without a token, and nothing else there', async () => {
    const ctx = await createTestContext('sqlite', { METRICS_PORT: '0' });
    const server = await startMetricsServer(ctx);
    try {
      expect(server!.address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      ctx.metrics.botMessage('telegram');
      const res = await fetch(`${server!.address}/metrics`);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(sample(text, 'bot_messages_total', { platform: 'telegram' })).toBe(1);
      expect(text).toContain('process_cpu_user_seconds_total');
      expect((await fetch(`${server!.address}/`)).status).toBe(404);
    } finally {
      await server?.close();
      await ctx.cleanup();
    }
  });
});
