// Channel keys never reach a user or a log through upstream text. Upstreams echo the key they were sent ("Incorrect
// API key provided: sk-…", whole or half-masked, or a provider key of no particular shape): the relay scrubs every
// configured key and anything key-shaped where that text comes in, tells a user a generic message with the request
// id, and keeps the (scrubbed) words for admins: in their own errors, the usage log's detail, the channel's disable
// reason, the channel test, the server log.
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createTestContext, dbKinds, TEST_ADMIN_KEY, type TestApp, type TestContext } from '../helpers/context.js';
import { addChannel, listen, seedAccount, type SeededAccount } from '../helpers/relay.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import { buildApp, REDACT_PATHS } from '../../src/app.js';
import { RelayService } from '../../src/relay/service.js';
import { scrubSecrets } from '../../src/auth/redact.js';

const OPENAI_KEY = `sk-proj-${'Q7'.repeat(24)}`;
const HEX_KEY = '0123456789abcdef0123456789abcdef'; // an Azure-style key: nothing marks it as a key but being configured

describe.each(dbKinds)('upstream text that carries a key, on %s', (kind) => {
  const lines: string[] = [];
  let ctx: TestContext;
  let t: TestApp;
  let up: FakeOpenAI;
  let base: string;
  let user: SeededAccount;
  let admin: SeededAccount;

  beforeAll(async () => {
    up = await startFakeOpenAI();
    ctx = await createTestContext(kind);
    ctx.log = pino(
      { level: 'debug', redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(chunk.toString('utf8'));
          done();
        },
      }),
    );
    const relay = new RelayService(ctx);
    const app = await buildApp(ctx, { relay });
    app.addHook('onClose', () => relay.close());
    await app.ready();
    t = { app, relay, ctx, adminKey: TEST_ADMIN_KEY, admin: { authorization: `Bearer ${TEST_ADMIN_KEY}` }, close: async () => {} };
    await ctx.options.update({ modelRatios: { m: 1, hex: 1, stream: 1 }, completionRatios: { m: 1, hex: 1, stream: 1 } });
    base = await listen(t);
    user = await seedAccount(t, { quota: 1_000_000 });
    admin = await seedAccount(t, { quota: 1_000_000, role: 'admin' });
  });
  afterAll(async () => {
    await t?.app.close();
    await ctx?.cleanup();
    await up?.close();
  });
  beforeEach(() => up.setScript(null));

  const call = async (account: SeededAccount, model: string, stream = false) => {
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${account.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 20 }),
    });
    return { status: res.status, id: res.headers.get('x-request-id')!, text: await res.text() };
  };
  const logRow = (requestId: string) => t.ctx.db.prisma.usageLog.findUniqueOrThrow({ where: { requestId } });
  const everywhere = async () => {
    const channels = await t.ctx.db.prisma.channel.findMany({ include: { keys: true } });
    const logs = await t.ctx.db.prisma.usageLog.findMany({ select: { content: true, detail: true } });
    return JSON.stringify({ channels: channels.map((c) => [c.disabledReason, c.keys.map((k) => k.disabledReason)]), logs, lines });
  };
  const echo = (key: string, status = 401, code = 'invalid_api_key') =>
    JSON.stringify({ error: { message: `Incorrect API key provided: ${key}. You can find your API key at https://platform.openai.com/account/api-keys.`, type: 'invalid_request_error', code } });

  it('a key echoed in an upstream error: users get a generic message, admins the scrubbed words; neither gets the key', async () => {
    const channelId = await addChannel(t, { name: 'echoing', baseUrl: up.url, keys: [OPENAI_KEY], models: ['m'] });
    up.setScript(() => ({ kind: 'raw', status: 401, body: echo(OPENAI_KEY) }));
    const told = await call(user, 'm');
    expect(told.status).toBe(502);
    expect(JSON.parse(told.text).error.message).toBe(`the upstream service could not complete this request; try again later, or give the administrator the request id ${told.id}`);
    // The usage log keeps what the upstream said, scrubbed, for admins; the user's own row says what they were told.
    const row = await logRow(told.id);
    expect(row.content).toMatch(/^upstream_error: the upstream service could not complete this request/);
    expect(row.detail).toContain('Incorrect API key provided: [redacted]');
    // The key was invalid: the channel is disabled with the (scrubbed) reason.
    const channel = await t.ctx.db.prisma.channel.findUniqueOrThrow({ where: { id: channelId } });
    expect(channel.status).toBe('auto_disabled');
    expect(channel.disabledReason).toContain('[redacted]');

    // Later calls find no channel: a user is told to try later; an admin reads the channels and why, scrubbed.
    const later = await call(user, 'm');
    expect(later.status).toBe(503);
    expect(JSON.parse(later.text).error.message).toMatch(/^model m is not available right now: no channel can serve it; try again later, or give the administrator the request id /);
    const forAdmin = await call(admin, 'm');
    expect(JSON.parse(forAdmin.text).error.message).toMatch(/no channel is available for model m in group default — echoing: auto_disabled \(invalid_key: Incorrect API key provided: \[redacted\]/);
    expect(await everywhere()).not.toContain(OPENAI_KEY);
    expect(told.text + later.text + forAdmin.text).not.toContain(OPENAI_KEY);
  });

  it('a key of no particular shape, half-masked echoes, and a refusal every caller reads (a bad request)', async () => {
    await addChannel(t, { name: 'hex', baseUrl: up.url, keys: [HEX_KEY], models: ['hex'] });
    up.setScript(() => ({
      kind: 'raw',
      status: 400,
      body: JSON.stringify({ error: { message: `context too long for key ${HEX_KEY} (also known as sk-proj-Q7Q7****Q7Q7)`, type: 'invalid_request_error', code: 'context_length_exceeded' } }),
    }));
    for (const account of [user, admin]) {
      const res = await call(account, 'hex');
      expect(res.status).toBe(400);
      // The client's own request was refused: everyone reads why, without the key.
      expect(JSON.parse(res.text).error.message).toBe('upstream error (openai): context too long for key [redacted] (also known as [redacted])');
    }
    expect(await everywhere()).not.toContain(HEX_KEY);
  });

  it("an upstream's error event inside a stream: the client gets the relay's own event, without the key", async () => {
    await addChannel(t, { name: 'streaming', baseUrl: up.url, keys: ['sk-stream-key-0123456789'], models: ['stream'] });
    const chunk = (content: string) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'stream', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
    const body = chunk('Hello') + `data: ${echo(OPENAI_KEY, 200, 'server_error')}\n\n`;
    up.setScript(() => ({ kind: 'raw', status: 200, body, contentType: 'text/event-stream' }));
    for (const account of [user, admin]) {
      const res = await call(account, 'stream', true);
      expect(res.status).toBe(200);
      expect(res.text).toContain('Hello');
      const event = res.text.split('\n\n').find((e) => e.includes('"error"'))!;
      expect(JSON.parse(event.slice('data: '.length)).error).toMatchObject({ code: 'upstream_error' });
      expect(res.text).not.toContain(OPENAI_KEY);
      expect(res.text).not.toContain('Q7Q7');
    }
    expect(await everywhere()).not.toContain(OPENAI_KEY);
  });

  it('the channel test tells the admin what the upstream said, without the key', async () => {
    const id = await addChannel(t, { name: 'tested', baseUrl: up.url, keys: [OPENAI_KEY], models: ['m'] });
    up.setScript(() => ({ kind: 'raw', status: 401, body: echo(OPENAI_KEY) }));
    const res = await t.app.inject({ method: 'POST', url: `/api/channels/${id}/test`, headers: t.admin });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Incorrect API key provided: [redacted]');
    expect(res.body).not.toContain(OPENAI_KEY);
  });

  it('the server log never holds a key', async () => {
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('')).toContain('channel auto-disabled');
    for (const key of [OPENAI_KEY, HEX_KEY, 'sk-stream-key-0123456789']) expect(lines.join('')).not.toContain(key);
  });
});

describe('the scrubber', () => {
  it('removes configured keys of any shape, key-shaped text, and half-masked echoes; leaves ordinary text', () => {
    expect(scrubSecrets(`bad key ${HEX_KEY}!`, [HEX_KEY])).toBe('bad key [redacted]!');
    expect(scrubSecrets('Incorrect API key provided: sk-proj-abcd************************wxyz.', [])).toBe('Incorrect API key provided: [redacted].');
    expect(scrubSecrets('key sk-abc***', [])).toBe('key [redacted]');
    expect(scrubSecrets('AIzaSyA1234567890abcdefghijklmnopqrstuv and AIzaSy***uv', [])).toBe('[redacted] and [redacted]');
    expect(scrubSecrets('the task-force met; page=2; short', ['short'])).toBe('the task-force met; page=2; short'); // too short to be a key
  });
});
