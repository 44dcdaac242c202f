// The official `openai` SDK against the relay, in front of a fake OpenAI upstream: answers arrive unchanged, and every
// call is billed exactly.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import OpenAI from 'openai';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { addChannel, balances, listen, seedAccount, type SeededAccount } from '../helpers/relay.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';

describe('openai SDK through the relay', () => {
  let t: TestApp;
  let up: FakeOpenAI;
  let base: string;
  let account: SeededAccount;
  let client: OpenAI;

  beforeAll(async () => {
    up = await startFakeOpenAI({ keys: ['sk-upstream'] });
    t = await createTestApp('sqlite');
    // gpt-4o-mini: ratio 0.075, completion 4 (0.15 / 0.60 USD per 1M); embeddings 0.01.
    await t.ctx.options.update({ modelRatios: { 'gpt-4o-mini': 0.075, 'text-embedding-3-small': 0.01, 'gpt-3.5-turbo-instruct': 0.75 }, completionRatios: { 'gpt-4o-mini': 4, 'gpt-3.5-turbo-instruct': 1.33 } });
    await addChannel(t, { baseUrl: up.url, models: ['gpt-4o-mini', 'text-embedding-3-small', 'gpt-3.5-turbo-instruct'], modelMapping: { 'gpt-4o-mini': 'gpt-4o-mini-2024-07-18' } });
    account = await seedAccount(t, { quota: 1_000_000 });
    base = await listen(t);
    client = new OpenAI({ apiKey: account.key, baseURL: `${base}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await t?.close();
    await up?.close();
  });

  it('completes a non-stream chat, maps the model upstream, and bills 0.075 × (12 + 9 × 4) → 4 units', async () => {
    const before = await balances(t, account);
    const res = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });
    expect(res.choices[0]!.message.content).toBe('Hello! How can I help you today?');
    expect(res.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 9 });
    const sent = up.requests.at(-1)!;
    expect(sent.body).toMatchObject({ model: 'gpt-4o-mini-2024-07-18', messages: [{ role: 'user', content: 'Hi' }] });
    expect(sent.headers.authorization).toBe('Bearer sk-upstream');
    const after = await balances(t, account);
    expect(before.quota - after.quota).toBe(4); // 0.075 × 48 = 3.6 → 4
    expect(after.logs.at(-1)).toMatchObject({ model: 'gpt-4o-mini', upstreamModel: 'gpt-4o-mini-2024-07-18', promptTokens: 12, completionTokens: 9, quota: 4n, status: 'ok', stream: false, modelRatio: '0.075', completionRatio: '4', groupRatio: '1' });
    expect(after.holds).toBe(0);
  });

  it('returns the upstream body byte for byte (non-stream)', async () => {
    const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });
    const viaRelay = await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${account.key}`, 'content-type': 'application/json' }, body });
    const direct = await fetch(`${up.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer sk-upstream', 'content-type': 'application/json' }, body: body.replace('gpt-4o-mini', 'gpt-4o-mini-2024-07-18') });
    expect(viaRelay.status).toBe(200);
    expect(await viaRelay.text()).toBe(await direct.text());
    expect(viaRelay.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('streams with include_usage: the client gets the usage chunk, and billing uses it', async () => {
    up.setScript(() => ({ kind: 'stream', chunks: ['Hel', 'lo', ' there'], usage: { prompt: 20, completion: 30 } }));
    const before = await balances(t, account);
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('Hello there');
    expect(usage).toMatchObject({ prompt_tokens: 20, completion_tokens: 30 });
    const after = await balances(t, account);
    expect(before.quota - after.quota).toBe(11); // 0.075 × (20 + 120) = 10.5 → 11
    expect(after.logs.at(-1)).toMatchObject({ stream: true, promptTokens: 20, completionTokens: 30, quota: 11n });
    expect(after.logs.at(-1)!.ttftMs).not.toBeNull();
    up.setScript(null);
  });

  it('streams without include_usage: the relay asks upstream for usage but strips that chunk from the client', async () => {
    up.setScript(() => ({ kind: 'stream', chunks: ['a', 'b'], usage: { prompt: 10, completion: 2 } }));
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], stream: true });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect(chunks.every((c) => c.choices.length > 0)).toBe(true);
    expect((up.requests.at(-1)!.body!.stream_options as { include_usage: boolean }).include_usage).toBe(true);
    const after = await balances(t, account);
    expect(after.logs.at(-1)).toMatchObject({ promptTokens: 10, completionTokens: 2, quota: 2n }); // 0.075 × 18 = 1.35 → 2
    up.setScript(null);
  });

  it('passes tool calls through, non-stream and stream', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    up.setScript((req) => (req.body?.stream ? { kind: 'stream', chunks: [], toolCall: { name: 'get_weather', arguments: '{"city":"Paris"}' } } : { kind: 'answer', toolCall: { name: 'get_weather', arguments: '{"city":"Paris"}' } }));
    const res = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Weather?' }], tools, tool_choice: 'auto' });
    expect(res.choices[0]!.message.tool_calls?.[0]).toMatchObject({ id: 'call_abc123', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } });
    expect(up.requests.at(-1)!.body).toMatchObject({ tools, tool_choice: 'auto' });
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Weather?' }], tools, stream: true });
    let args = '';
    let name = '';
    for await (const chunk of stream) {
      const call = chunk.choices[0]?.delta?.tool_calls?.[0];
      if (call?.function?.name) name = call.function.name;
      args += call?.function?.arguments ?? '';
    }
    expect({ name, args }).toEqual({ name: 'get_weather', args: '{"city":"Paris"}' });
    up.setScript(null);
  });

  it('relays embeddings and legacy completions, billed by their usage', async () => {
    const before = await balances(t, account);
    const emb = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['one', 'two'] });
    expect(emb.data).toHaveLength(2);
    expect(emb.usage.prompt_tokens).toBe(16);
    const mid = await balances(t, account);
    expect(before.quota - mid.quota).toBe(1); // 0.01 × 16 = 0.16 → at least 1
    const comp = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say this is a test', max_tokens: 7 });
    expect(comp.choices[0]!.text).toBe('This is a test.');
    expect(up.requests.at(-1)!.url).toBe('/v1/completions');
    const after = await balances(t, account);
    expect(mid.quota - after.quota).toBe(11); // 0.75 × (5 + 7 × 1.33) = 10.7325 → 11
  });

  it('lists exactly the models the token may use', async () => {
    const list = await client.models.list();
    expect(list.data.map((m) => m.id).sort()).toEqual(['gpt-3.5-turbo-instruct', 'gpt-4o-mini', 'text-embedding-3-small']);
    const limited = await seedAccount(t, { models: ['gpt-4o-mini'] });
    const limitedClient = new OpenAI({ apiKey: limited.key, baseURL: `${base}/v1`, maxRetries: 0 });
    expect((await limitedClient.models.list()).data.map((m) => m.id)).toEqual(['gpt-4o-mini']);
    expect((await limitedClient.models.retrieve('gpt-4o-mini')).id).toBe('gpt-4o-mini');
    await expect(limitedClient.models.retrieve('text-embedding-3-small')).rejects.toMatchObject({ status: 403, code: 'model_not_allowed' });
  });
});
