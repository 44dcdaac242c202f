// JSON nested deeper than MAX_JSON_DEPTH is refused by the body parser with a 400 in the route's own wire format. A
// 5,000-level tool schema used to be a 500 (a RangeError in JSON.stringify while counting the prompt, or in the Gemini
// schema translator); realistic deep schemas still go through.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestApp, dbKinds, type TestApp } from '../helpers/context.js';
import { addChannel, balances, seedAccount, type SeededAccount } from '../helpers/relay.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../src/plugins/json-body.js';

/** A JSON Schema whose object properties nest `levels` times: 2 JSON levels per property level, plus the leaf. */
const nestedSchema = (levels: number): string =>
  '{"type":"object","properties":{"a":'.repeat(levels) + '{"type":"string"}' + '}}'.repeat(levels);

const bodies = (schema: string) => ({
  openai: `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":${schema}}}]}`,
  anthropic: `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"tools":[{"name":"f","input_schema":${schema}}]}`,
  gemini: `{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"tools":[{"functionDeclarations":[{"name":"f","parameters":${schema}}]}]}`,
});

describe('nestsDeeperThan', () => {
  it('counts objects and arrays, the body itself being level 1', () => {
    expect(nestsDeeperThan('text', 0)).toBe(false);
    expect(nestsDeeperThan({}, 1)).toBe(false);
    expect(nestsDeeperThan({}, 0)).toBe(true);
    expect(nestsDeeperThan({ a: [{ b: 1 }] }, 3)).toBe(false);
    expect(nestsDeeperThan({ a: [{ b: 1 }] }, 2)).toBe(true);
    expect(nestsDeeperThan([1, 'x', null, [[]]], 3)).toBe(false);
    expect(nestsDeeperThan([1, 'x', null, [[]]], 2)).toBe(true);
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)) as unknown;
    expect(nestsDeeperThan(deep, MAX_JSON_DEPTH)).toBe(true); // stops at the limit: no stack overflow
  });
});

describe.each(dbKinds)('deep JSON bodies on %s', (kind) => {
  let t: TestApp;
  let up: FakeOpenAI;
  let account: SeededAccount;

  beforeAll(async () => {
    up = await startFakeOpenAI();
    t = await createTestApp(kind);
    await t.ctx.options.update({ modelRatios: { m: 1 } });
    await addChannel(t, { baseUrl: up.url, models: ['m'] });
    account = await seedAccount(t, { quota: 100_000 });
  });
  afterAll(async () => {
    await t?.close();
    await up?.close();
  });

  const send = (format: 'openai' | 'anthropic' | 'gemini', body: string) =>
    t.app.inject({
      method: 'POST',
      url: { openai: '/v1/chat/completions', anthropic: '/v1/messages', gemini: '/v1beta/models/m:generateContent' }[format],
      headers: { 'content-type': 'application/json', authorization: `Bearer ${account.key}` },
      payload: body,
    });

  it('a 5,000-level tool schema is a 400 invalid_request in each wire format, and nothing is sent or billed', async () => {
    const deep = bodies(nestedSchema(2500));
    const before = up.requests.length;
    const openai = await send('openai', deep.openai);
    expect(openai.statusCode).toBe(400);
    expect(openai.json()).toMatchObject({ error: { code: 'invalid_request', type: 'invalid_request_error', message: expect.stringMatching(/more than 64 levels deep/) } });
    const anthropic = await send('anthropic', deep.anthropic);
    expect(anthropic.statusCode).toBe(400);
    expect(anthropic.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', code: 'invalid_request' } });
    const gemini = await send('gemini', deep.gemini);
    expect(gemini.statusCode).toBe(400);
    expect(gemini.json()).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT', reason: 'invalid_request' } });
    expect(up.requests.length).toBe(before);
    const after = await balances(t, account);
    expect(after.quota).toBe(100_000);
    expect(after.logs).toHaveLength(0);
  });

  it('the management API refuses it too', async () => {
    const res = await t.app.inject({ method: 'PUT', url: '/api/options', headers: { ...t.admin, 'content-type': 'application/json' }, payload: `{"x":${'['.repeat(70)}${']'.repeat(70)}}` });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'invalid_request', message: expect.stringMatching(/levels deep/) } });
  });

  it('the limit is exactly MAX_JSON_DEPTH levels', async () => {
    const at = (levels: number) => `{"x":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;
    const put = (payload: string) => t.app.inject({ method: 'PUT', url: '/api/options', headers: { ...t.admin, 'content-type': 'application/json' }, payload });
    expect((await put(at(MAX_JSON_DEPTH))).json()).toMatchObject({ error: { message: 'unknown option "x"' } }); // parsed, then judged
    expect((await put(at(MAX_JSON_DEPTH + 1))).json()).toMatchObject({ error: { message: expect.stringMatching(/levels deep/) } });
  });

  it('a deep but realistic tool schema (20 nested objects, 45 JSON levels) goes through in every format', async () => {
    const ok = bodies(nestedSchema(20));
    for (const format of ['openai', 'anthropic', 'gemini'] as const) {
      const res = await send(format, ok[format]);
      expect(res.statusCode, `${format}: ${res.body}`).toBe(200);
    }
  });
});
