// Every refusal before an upstream call: its status, its code, and a message that says what is wrong. Nothing is
// reserved or sent upstream for any of them.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { connect } from 'node:net';
import { addChannel, balances, listen, seedAccount, type SeededAccount } from '../helpers/relay.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';

describe('relay refusals', () => {
  let t: TestApp;
  let up: FakeOpenAI;
  let account: SeededAccount;

  const post = (key: string | undefined, body: unknown, extra: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...extra },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const hi = (model = 'gpt-4o-mini') => ({ model, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 10 });

  beforeAll(async () => {
    up = await startFakeOpenAI({ keys: ['sk-upstream'] });
    t = await createTestApp('sqlite', { RELAY_BODY_LIMIT: '65536' });
    await t.ctx.db.prisma.group.create({ data: { name: 'vip', ratio: '2' } });
    await t.ctx.options.update({ modelRatios: { 'gpt-4o-mini': 1, 'claude-x': 1, 'orphan-model': 1 }, prohibitedWords: ['forbidden-word'] });
    await addChannel(t, { baseUrl: up.url, models: ['gpt-4o-mini'], groups: ['default'] });
    await addChannel(t, { baseUrl: up.url, models: ['claude-x'], groups: ['vip'] });
    await addChannel(t, { baseUrl: up.url, models: ['orphan-model'], groups: ['default'], status: 'auto_disabled' });
    await addChannel(t, { baseUrl: up.url, models: ['unpriced-model'], groups: ['default'] });
    account = await seedAccount(t);
  });
  afterAll(async () => {
    await t?.close();
    await up?.close();
  });

  const expectError = (res: Awaited<ReturnType<typeof post>>, status: number, code: string, message?: RegExp) => {
    expect(res.statusCode).toBe(status);
    const body = res.json() as { error: { message: string; type: string; code: string; param?: string; [k: string]: unknown } };
    expect(body.error.code).toBe(code);
    expect(typeof body.error.type).toBe('string');
    if (message) expect(body.error.message).toMatch(message);
    return body.error;
  };

  it('401 for a missing, unknown, management, expired or disabled key', async () => {
    expectError(await post(undefined, hi()), 401, 'missing_key', /missing API key/);
    expectError(await post('sk-nope', hi()), 401, 'invalid_key', /invalid API key/);
    expectError(await post(t.adminKey, hi()), 401, 'invalid_key', /management keys do not work on \/v1/);
    const expired = await seedAccount(t, { expiresAt: new Date(Date.now() - 1000) });
    expectError(await post(expired.key, hi()), 401, 'key_expired', /expired/);
    const disabled = await seedAccount(t, { status: 'disabled' });
    expectError(await post(disabled.key, hi()), 401, 'key_disabled', /disabled/);
  });

  it('refuses a bad key in each route\'s own error format', async () => {
    const anthropic = await t.app.inject({ method: 'POST', url: '/v1/messages', headers: { 'content-type': 'application/json', 'x-api-key': 'sk-nope' }, payload: '{}' });
    expect(anthropic.statusCode).toBe(401);
    expect(anthropic.json()).toEqual({ type: 'error', error: { type: 'authentication_error', message: expect.stringMatching(/invalid API key/), code: 'invalid_key' } });
    const gemini = await t.app.inject({ method: 'POST', url: '/v1beta/models/gemini-2.5-flash:generateContent?key=sk-nope', headers: { 'content-type': 'application/json' }, payload: '{}' });
    expect(gemini.statusCode).toBe(401);
    expect(gemini.json()).toEqual({ error: { code: 401, message: expect.stringMatching(/invalid API key/), status: 'UNAUTHENTICATED', reason: 'invalid_key' } });
    const models = await t.app.inject({ url: '/v1/models' });
    expect(models.json()).toMatchObject({ error: { code: 'missing_key', type: 'authentication_error' } });
  });

  it('checks the key before the body: a request without one is refused before its body is read', async () => {
    // The key is checked first: a bad body with a bad key is a 401, not a 400.
    expectError(await post('sk-nope', '{"model": "gpt-4o-mini", "messages": ['), 401, 'invalid_key');
    // A client that announces 60 KB and sends only the head gets its 401 at once, not after a body timeout.
    const base = await listen(t);
    const { port } = new URL(base);
    const socket = connect(Number(port), '127.0.0.1');
    socket.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{"model":');
    const head = await new Promise<string>((resolve, reject) => {
      socket.once('data', (d: Buffer) => resolve(d.toString()));
      socket.once('error', reject);
      setTimeout(() => reject(new Error('no answer while the body was still coming')), 3000);
    });
    socket.destroy();
    expect(head).toMatch(/^HTTP\/1\.1 401/);
    expect(head).toContain('missing_key');
  });

  it('accepts the key as x-api-key too', async () => {
    const res = await post(undefined, hi(), { 'x-api-key': account.key });
    expect(res.statusCode).toBe(200);
  });

  it('403 for an account that is disabled', async () => {
    const a = await seedAccount(t);
    await t.ctx.db.prisma.user.update({ where: { id: a.userId }, data: { status: 'disabled' } });
    t.ctx.bus.publish('users');
    expectError(await post(a.key, hi()), 403, 'account_disabled');
  });

  it('403 for a model the token may not use, naming the allowed ones', async () => {
    const limited = await seedAccount(t, { models: ['text-embedding-3-small'] });
    expectError(await post(limited.key, hi()), 403, 'model_not_allowed', /gpt-4o-mini is not allowed for this API key; allowed: text-embedding-3-small/);
  });

  it('403 for a model not in the group, naming the groups that have it', async () => {
    const err = expectError(await post(account.key, hi('claude-x')), 403, 'model_not_in_group', /model claude-x is not available in group default; groups that have it: vip/);
    expect(err).toMatchObject({ groups: ['vip'] });
    const vip = await seedAccount(t, { tokenGroup: 'vip' });
    expect((await post(vip.key, hi('claude-x'))).statusCode).toBe(200); // the token's group override decides
  });

  it('404 for a model nobody offers', async () => {
    expectError(await post(account.key, hi('gpt-9')), 404, 'model_not_found', /gpt-9 does not exist/);
  });

  it('403 for a request from an IP not on the allow-list', async () => {
    const a = await seedAccount(t, { allowIps: ['10.1.0.0/16'] });
    expectError(await post(a.key, hi()), 403, 'ip_not_allowed', /127\.0\.0\.1 are not allowed/);
    const b = await seedAccount(t, { allowIps: ['127.0.0.0/8'] });
    expect((await post(b.key, hi())).statusCode).toBe(200);
  });

  it('400 for malformed JSON and for wrong field types, naming the field', async () => {
    expectError(await post(account.key, '{"model": "gpt-4o-mini", "messages": ['), 400, 'invalid_json', /not valid JSON/);
    const e1 = expectError(await post(account.key, { model: 42, messages: [] }), 400, 'invalid_request');
    expect(e1).toMatchObject({ param: 'model' });
    const e2 = expectError(await post(account.key, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], max_tokens: 'ten' }), 400, 'invalid_request');
    expect(e2).toMatchObject({ param: 'max_tokens' });
    const e3 = expectError(await post(account.key, { model: 'gpt-4o-mini' }), 400, 'invalid_request', /messages is required/);
    expect(e3).toMatchObject({ param: 'messages' });
    const e4 = expectError(await post(account.key, { model: 'gpt-4o-mini', messages: [{ role: 'wizard', content: 'x' }] }), 400, 'invalid_request');
    expect(e4.param).toBe('messages.0.role');
  });

  it('413 for a body over the limit', async () => {
    const big = { ...hi(), messages: [{ role: 'user', content: 'x'.repeat(70_000) }] };
    expectError(await post(account.key, big), 413, 'body_too_large');
  });

  it('400 content_filtered for a prohibited word, never an empty completion', async () => {
    const res = await post(account.key, { ...hi(), messages: [{ role: 'user', content: 'please say FORBIDDEN-WORD now' }] });
    expectError(res, 400, 'content_filtered', /filtered: it contains the prohibited word "FORBIDDEN-WORD"/);
  });

  it('400 for a model without a price, naming it', async () => {
    expectError(await post(account.key, hi('unpriced-model')), 400, 'model_not_priced', /model unpriced-model has no price/);
  });

  it('503 when every channel for the model is disabled: a user is told to try later, with the request id', async () => {
    // (The channels and their disable reasons are the operator's business: admins read them, test/relay/upstream-secrets.test.ts.)
    expectError(await post(account.key, hi('orphan-model')), 503, 'no_channel', /^model orphan-model is not available right now: no channel can serve it; try again later, or give the administrator the request id \S+$/);
  });

  it('402 saying which quota ran out, and by how much', async () => {
    const poorToken = await seedAccount(t, { quota: 1_000_000, tokenQuota: 5 });
    const e1 = expectError(await post(poorToken.key, hi()), 402, 'token_quota_exhausted', /token quota exhausted: this request needs at least \d+ units .* has 5 left/);
    expect(e1).toMatchObject({ available: 5 });
    const poorAccount = await seedAccount(t, { quota: 3 });
    expectError(await post(poorAccount.key, hi()), 402, 'account_quota_exhausted', /account quota exhausted: .* the account has 3 left/);
  });

  it('left nothing reserved and sent nothing upstream for any refusal', async () => {
    expect(await t.ctx.db.prisma.quotaHold.count()).toBe(0);
    const b = await balances(t, account);
    expect(b.quota + b.used).toBe(1_000_000);
    const upstreamModels = up.requests.map((r) => r.body?.model);
    expect(upstreamModels).not.toContain('unpriced-model');
    expect(upstreamModels).not.toContain('gpt-9');
  });
});
