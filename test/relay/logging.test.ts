// What the service writes to its log: management requests get fastify's access lines, relay calls do not (their record
// is the usage log), warnings still do, and no key ever appears in a line.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createTestContext, TEST_ADMIN_KEY, type TestApp, type TestContext } from '../helpers/context.js';
import { seedAccount, addChannel } from '../helpers/relay.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import { buildApp, REDACT_PATHS } from '../../src/app.js';
import { RelayService } from '../../src/relay/service.js';
import { LOG_SERIALIZERS, redactSecrets, redactUrl } from '../../src/auth/redact.js';

describe('service log', () => {
  const lines: Array<Record<string, unknown>> = [];
  let ctx: TestContext;
  let t: TestApp;
  let up: FakeOpenAI;

  beforeAll(async () => {
    up = await startFakeOpenAI();
    ctx = await createTestContext('sqlite');
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    ctx.log = pino({ level: 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
    const relay = new RelayService(ctx);
    const app = await buildApp(ctx, { relay });
    app.addHook('onClose', () => relay.close());
    await app.ready();
    t = { app, relay, ctx, adminKey: TEST_ADMIN_KEY, admin: { authorization: `Bearer ${TEST_ADMIN_KEY}` }, close: async () => {} };
    await ctx.options.update({ modelRatios: { m: 1 }, completionRatios: { m: 1 } });
    await addChannel(t, { baseUrl: up.url, models: ['m'] });
  });
  afterAll(async () => {
    await t?.app.close();
    await ctx?.cleanup();
    await up?.close();
  });

  it('logs management requests, not relay calls, and never a key', async () => {
    const account = await seedAccount(t, {});
    const call = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { authorization: `Bearer ${account.key}`, 'content-type': 'application/json' },
      payload: { model: 'm', messages: [{ role: 'user', content: 'Hi' }] },
    });
    expect(call.statusCode).toBe(200);
    const me = await t.app.inject({ url: '/api/options', headers: t.admin });
    expect(me.statusCode).toBe(200);

    const urls = lines.map((l) => (l.req as { url?: string } | undefined)?.url).filter(Boolean);
    expect(urls).toContain('/api/options');
    expect(urls).not.toContain('/v1/chat/completions');
    const text = JSON.stringify(lines);
    expect(text).not.toContain(account.key);
    expect(text).not.toContain(TEST_ADMIN_KEY);
  });

  it('redacts keys in logged URLs (?key= on a 404, key-shaped values anywhere) and in the 404 message', async () => {
    const account = await seedAccount(t, {});
    const google = 'AIzaSyA1234567890abcdefghijklmnopqrstuv';
    lines.length = 0;
    const missing = await t.app.inject({ url: `/v1beta/nope/m?key=${account.key}&alt=sse` }); // no such route
    expect(missing.statusCode).toBe(404);
    const pasted = await t.app.inject({ url: `/v1/${account.key}/models?api_key=${google}&token=plain-secret-value` });
    expect(pasted.statusCode).toBe(404);
    expect(pasted.body).not.toContain(account.key);
    const management = await t.app.inject({ url: `/api/options?key=${TEST_ADMIN_KEY}`, headers: t.admin });
    expect(management.statusCode).toBe(400);

    const text = JSON.stringify(lines);
    expect(lines.length).toBeGreaterThan(2);
    for (const secret of [account.key, google, 'plain-secret-value', TEST_ADMIN_KEY]) expect(text).not.toContain(secret);
    const urls = lines.map((l) => (l.req as { url?: string } | undefined)?.url).filter(Boolean);
    expect(urls).toContain('/v1beta/nope/m?key=[redacted]&alt=sse');
    expect(urls).toContain('/v1/[redacted]/models?api_key=[redacted]&token=[redacted]');
  });
});

describe('redaction helpers', () => {
  it('redactUrl hides credential parameters and key-shaped values; redactSecrets leaves ordinary text alone', () => {
    expect(redactUrl('/v1beta/models/x:generateContent?alt=sse&key=sk-abcdefghijklmnop')).toBe('/v1beta/models/x:generateContent?alt=sse&key=[redacted]');
    expect(redactUrl('/x?%6Bey=short&page=2')).toBe('/x?%6Bey=[redacted]&page=2');
    expect(redactUrl('/x?q=rsm-abcdefghijklmnopqrstuv')).toBe('/x?q=[redacted]');
    expect(redactSecrets('Authorization: Bearer abcdefgh12345678, then sk-ant-api03-abcdefghijklmn')).toBe('Authorization: Bearer [redacted], then [redacted]');
    expect(redactSecrets('task-force sk-short page=2')).toBe('task-force sk-short page=2');
  });

  it('the error serializer scrubs key-shaped text from message and stack', () => {
    const out = LOG_SERIALIZERS.err(new Error('fetch https://x.test/?key=sk-abcdefghijklmnop failed'));
    expect(out.message).toBe('fetch https://x.test/?key=[redacted] failed');
    expect(out.stack).not.toContain('sk-abcdefghijklmnop');
  });
});
