// POST /v1/responses to OpenAI and Azure channels: native pass-through (the body as sent but for the model, the answer
// and the events byte for byte), billed from the upstream's usage, with the output allowance in max_output_tokens;
// stored responses reached again through the channel and key that made them (previous_response_id, GET, DELETE,
// cancel, input_items), by their owner only. On both databases (the affinity rows live there).
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import OpenAI from 'openai';
import { createTestApp, dbKinds, type TestApp } from '../helpers/context.js';
import { addChannel, balances, listen, seedAccount, settled, type SeededAccount } from '../helpers/relay.js';
import { startFakeResponses, type FakeResponses } from '../fakes/responses-upstream.js';

const MODEL = 'gpt-4.1';
const USAGE = { input: 1000, cached: 400, output: 200, reasoning: 50 };
// modelRatio 1, completion 4, cache read 0.25: 600 + 200×4 + 400×0.25 = 1500 units.
const COST = 1500;

describe.each(dbKinds)('Responses API, native (%s)', (kind) => {
  let t: TestApp;
  let upA: FakeResponses;
  let upB: FakeResponses;
  let azure: FakeResponses;
  let account: SeededAccount;
  let client: OpenAI;
  let base: string;
  let channelA: number;
  let channelB: number;

  beforeAll(async () => {
    upA = await startFakeResponses({ keys: ['sk-upstream-a1', 'sk-upstream-a2'] });
    upB = await startFakeResponses({ keys: ['sk-upstream-b'] });
    azure = await startFakeResponses({ keys: ['azure-key-0123456789'] });
    t = await createTestApp(kind);
    await t.ctx.options.update({
      modelRatios: { [MODEL]: 1, 'gpt-az': 1 },
      completionRatios: { [MODEL]: 4, 'gpt-az': 4 },
      cacheReadRatios: { [MODEL]: 0.25, 'gpt-az': 0.25 },
    });
    channelA = await addChannel(t, { type: 'openai', baseUrl: upA.url, keys: ['sk-upstream-a1', 'sk-upstream-a2'], models: [MODEL], modelMapping: { [MODEL]: 'gpt-4.1-2025-04-14' }, priority: 10 });
    channelB = await addChannel(t, { type: 'openai', baseUrl: `${upB.url}/v1`, keys: ['sk-upstream-b'], models: [MODEL], priority: 0 });
    await addChannel(t, { type: 'azure', baseUrl: `${azure.url}/openai`, keys: ['azure-key-0123456789'], models: ['gpt-az'], modelMapping: { 'gpt-az': 'my-deployment' } });
    account = await seedAccount(t, { quota: 10_000_000 });
    base = await listen(t);
    client = new OpenAI({ apiKey: account.key, baseURL: `${base}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await t?.close();
    await upA?.close();
    await upB?.close();
    await azure?.close();
  });

  beforeEach(() => {
    for (const up of [upA, upB, azure]) {
      up.setScript(null);
      up.requests.length = 0;
    }
  });

  it('non-stream: the body goes upstream as sent (model mapped), the answer comes back as is, billed from its usage', async () => {
    upA.setScript(() => ({ kind: 'answer', text: 'Bonjour', usage: USAGE }));
    const before = await balances(t, account);
    const params = {
      model: MODEL,
      instructions: 'Be terse.',
      input: [{ role: 'user' as const, content: [{ type: 'input_text' as const, text: 'Hi' }] }],
      reasoning: { effort: 'low' as const },
      text: { format: { type: 'json_schema' as const, name: 'greeting', schema: { type: 'object', properties: { hi: { type: 'string' } } }, strict: true } },
      metadata: { trace: 'abc' },
      max_output_tokens: 500,
    };
    const res = await client.responses.create(params);
    expect(res.output_text).toBe('Bonjour');
    expect(res.id).toBe(upA.requests.length && `resp_fake_${res.id.split('_').at(-1)}`);
    expect(res.usage).toMatchObject({ input_tokens: 1000, output_tokens: 200, input_tokens_details: { cached_tokens: 400 } });
    expect(upA.requests).toHaveLength(1);
    expect(upA.requests[0]!.path).toBe('/v1/responses');
    expect(upA.requests[0]!.body).toEqual({ ...params, model: 'gpt-4.1-2025-04-14', stream: false });
    const { charged, log } = await settled(t, account, before);
    expect(charged).toBe(COST);
    expect(log).toMatchObject({ endpoint: '/v1/responses', promptTokens: 600, completionTokens: 200, cacheReadTokens: 400, usageSource: 'upstream', channelId: channelA, status: 'ok', model: MODEL });
  });

  it('stream: every event passes through in order; completed is sent after the charge; billed once from its usage', async () => {
    upA.setScript(() => ({ kind: 'answer', text: 'Hello there friend', reasoning: { summary: 'thinking' }, usage: USAGE }));
    const before = await balances(t, account);
    const stream = await client.responses.create({ model: MODEL, input: 'Hi', stream: true, include: ['reasoning.encrypted_content'], store: false });
    const types: string[] = [];
    const sequence: number[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      sequence.push(event.sequence_number);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') {
        // The charge is recorded before the completed event is written.
        const now = await balances(t, account);
        expect(now.logs.length).toBe(before.logs.length + 1);
      }
    }
    expect(text).toBe('Hello there friend');
    expect(types[0]).toBe('response.created');
    expect(types).toContain('response.reasoning_summary_text.delta');
    expect(types.at(-1)).toBe('response.completed');
    expect(sequence).toEqual(sequence.map((_, i) => i));
    expect(upA.requests[0]!.body).toMatchObject({ stream: true, store: false, include: ['reasoning.encrypted_content'] });
    const { charged, log } = await settled(t, account, before);
    expect(charged).toBe(COST);
    expect(log).toMatchObject({ endpoint: '/v1/responses', stream: true, completionTokens: 200 });
  });

  it('a function tool round trip: the call comes back, its output goes up, both calls billed', async () => {
    upA.setScript((req) => {
      const input = req.body?.input as Array<{ type?: string }>;
      return input.some((i) => i.type === 'function_call_output')
        ? { kind: 'answer', text: 'It is sunny in Paris.', usage: USAGE }
        : { kind: 'answer', toolCall: { name: 'get_weather', arguments: '{"city":"Paris"}', callId: 'call_w1' }, usage: USAGE };
    });
    const tools: OpenAI.Responses.Tool[] = [
      { type: 'function', name: 'get_weather', description: 'Weather', strict: true, parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } },
    ];
    const before = await balances(t, account);
    const first = await client.responses.create({ model: MODEL, input: [{ role: 'user', content: 'Weather in Paris?' }], tools, store: false });
    const call = first.output.find((o) => o.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', call_id: 'call_w1', arguments: '{"city":"Paris"}' });
    const second = await client.responses.create({
      model: MODEL,
      tools,
      store: false,
      input: [{ role: 'user', content: 'Weather in Paris?' }, call!, { type: 'function_call_output', call_id: 'call_w1', output: '{"sky":"sunny"}' }],
    });
    expect(second.output_text).toBe('It is sunny in Paris.');
    expect((upA.requests[1]!.body!.input as unknown[]).at(-1)).toEqual({ type: 'function_call_output', call_id: 'call_w1', output: '{"sky":"sunny"}' });
    const after = await balances(t, account);
    expect(after.logs.length).toBe(before.logs.length + 2);
    expect(before.quota - after.quota).toBe(2 * COST);
  });

  it('previous_response_id goes to the channel and key that stored the response, even when routing would pick another', async () => {
    const first = await client.responses.create({ model: MODEL, input: 'Remember 42.' });
    expect(upA.requests).toHaveLength(1);
    const firstKey = upA.requests[0]!.headers.authorization;
    // Now channel B comes first for new conversations.
    await t.ctx.db.prisma.channel.update({ where: { id: channelB }, data: { priority: 20 } });
    t.ctx.bus.publish('channels');
    try {
      const fresh = await client.responses.create({ model: MODEL, input: 'New topic.' });
      expect(fresh.id).toMatch(/^resp_fake_/);
      expect(upB.requests).toHaveLength(1);
      for (let i = 0; i < 3; i++) {
        const next = await client.responses.create({ model: MODEL, input: 'What number?', previous_response_id: first.id });
        expect(next.output_text).toBe('Hello from upstream');
      }
      expect(upA.requests).toHaveLength(4);
      expect(upA.requests.slice(1).map((r) => r.headers.authorization)).toEqual([firstKey, firstKey, firstKey]);
      expect(upA.requests[1]!.body).toMatchObject({ previous_response_id: first.id });
      expect(upB.requests).toHaveLength(1);
    } finally {
      await t.ctx.db.prisma.channel.update({ where: { id: channelB }, data: { priority: 0 } });
      t.ctx.bus.publish('channels');
    }
  });

  it('GET, input_items, cancel and DELETE reach the stored response; then it is gone', async () => {
    const created = await client.responses.create({ model: MODEL, input: 'Store me.' });
    const got = await client.responses.retrieve(created.id);
    expect(got.id).toBe(created.id);
    expect(got.output_text).toBe('Hello from upstream');
    const items = await client.responses.inputItems.list(created.id);
    expect(items.data[0]).toMatchObject({ type: 'message', role: 'user' });
    const cancelled = await client.responses.cancel(created.id);
    expect(cancelled.status).toBe('cancelled');
    await client.responses.delete(created.id);
    await expect(client.responses.retrieve(created.id)).rejects.toMatchObject({ status: 404, code: 'not_found' });
    expect(upA.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /v1/responses',
      `GET /v1/responses/${created.id}`,
      `GET /v1/responses/${created.id}/input_items`,
      `POST /v1/responses/${created.id}/cancel`,
      `DELETE /v1/responses/${created.id}`,
    ]);
  });

  it("another user's response ids are not theirs: 404 on GET, 400 as previous_response_id; unknown and odd ids too", async () => {
    const created = await client.responses.create({ model: MODEL, input: 'Mine.' });
    const other = await seedAccount(t, { quota: 10_000_000 });
    const otherClient = new OpenAI({ apiKey: other.key, baseURL: `${base}/v1`, maxRetries: 0 });
    await expect(otherClient.responses.retrieve(created.id)).rejects.toMatchObject({ status: 404, code: 'not_found' });
    await expect(otherClient.responses.delete(created.id)).rejects.toMatchObject({ status: 404 });
    await expect(otherClient.responses.create({ model: MODEL, input: 'x', previous_response_id: created.id })).rejects.toMatchObject({
      status: 400,
      code: 'invalid_request',
      param: 'previous_response_id',
    });
    const odd = await fetch(`${base}/v1/responses/..%2F..%2Fchat`, { headers: { authorization: `Bearer ${account.key}` } });
    expect(odd.status).toBe(400);
    expect(((await odd.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    expect(upA.requests.filter((r) => r.method !== 'POST')).toHaveLength(0);
  });

  it('store: false leaves nothing to fetch', async () => {
    const created = await client.responses.create({ model: MODEL, input: 'Forget me.', store: false });
    expect(await t.ctx.db.prisma.responseAffinity.count({ where: { responseId: created.id } })).toBe(0);
    await expect(client.responses.retrieve(created.id)).rejects.toMatchObject({ status: 404 });
  });

  it('a small balance: the reserved allowance goes upstream as max_output_tokens', async () => {
    const poor = await seedAccount(t, { quota: 3000 });
    const poorClient = new OpenAI({ apiKey: poor.key, baseURL: `${base}/v1`, maxRetries: 0 });
    upA.setScript(() => ({ kind: 'answer', usage: { input: 10, output: 5 } }));
    await poorClient.responses.create({ model: MODEL, input: 'Write a long essay.', max_output_tokens: 100_000, store: false });
    const limit = upA.requests[0]!.body!.max_output_tokens as number;
    expect(limit).toBeGreaterThan(0);
    expect(limit).toBeLessThan(1000); // 3000 units pay for < 750 output tokens at ratio 4
  });

  it('a stream ending in response.incomplete is billed for what it carried', async () => {
    upA.setScript(() => ({ kind: 'answer', text: 'cut short', incomplete: true, usage: { input: 100, output: 50 } }));
    const before = await balances(t, account);
    const stream = await client.responses.create({ model: MODEL, input: 'Go on.', stream: true, store: false, max_output_tokens: 50 });
    let last = '';
    for await (const e of stream) last = e.type;
    expect(last).toBe('response.incomplete');
    const { charged, log } = await settled(t, account, before);
    expect(charged).toBe(100 + 50 * 4);
    expect(log).toMatchObject({ status: 'ok', completionTokens: 50, type: 'consume' });
  });

  it('a failed first channel is retried on the next one, and the call is billed once', async () => {
    upA.setScript(() => ({ kind: 'error', status: 500, message: 'boom' }));
    upB.setScript(() => ({ kind: 'answer', usage: USAGE }));
    const before = await balances(t, account);
    const stream = await client.responses.create({ model: MODEL, input: 'Hi', stream: true, store: false });
    for await (const _ of stream) void _;
    expect(upA.requests).toHaveLength(1);
    expect(upB.requests).toHaveLength(1);
    const { charged } = await settled(t, account, before);
    expect(charged).toBe(COST);
  });

  it('response.failed after the first bytes: one relay error event (no upstream text), billed for what streamed', async () => {
    upA.setScript(() => ({ kind: 'answer', text: 'partial answer here', usage: USAGE, failAfter: 6 }));
    const before = await balances(t, account);
    const res = await fetch(`${base}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${account.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, input: 'Hi', stream: true, store: false }),
    });
    const text = await res.text();
    expect(text).not.toContain('sk-upstream');
    const last = text.trim().split('\n\n').at(-1)!;
    expect(last).toMatch(/^event: error\ndata: /);
    const event = JSON.parse(last.split('\n')[1]!.slice(6)) as { type: string; code: string; sequence_number: number };
    expect(event).toMatchObject({ type: 'error', code: 'upstream_error', sequence_number: 6 });
    const { charged, log } = await settled(t, account, before);
    expect(charged).toBe(COST); // the failure event carried the usage so far
    expect(log).toMatchObject({ status: 'error', type: 'consume', endpoint: '/v1/responses' });
    expect(upB.requests).toHaveLength(0);
  });

  it('Azure: /openai/v1/responses with api-key, the deployment as the model', async () => {
    const res = await client.responses.create({ model: 'gpt-az', input: 'Hi' });
    expect(res.output_text).toBe('Hello from upstream');
    expect(azure.requests[0]).toMatchObject({ method: 'POST', url: '/openai/v1/responses' });
    expect(azure.requests[0]!.headers['api-key']).toBe('azure-key-0123456789');
    expect(azure.requests[0]!.body).toMatchObject({ model: 'my-deployment' });
    const got = await client.responses.retrieve(res.id);
    expect(got.id).toBe(res.id);
    expect(azure.requests[1]).toMatchObject({ method: 'GET', url: `/openai/v1/responses/${res.id}` });
  });
});
