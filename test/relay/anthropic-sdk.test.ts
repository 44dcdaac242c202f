// The official `@anthropic-ai/sdk` against the relay's POST /v1/messages: passed through untouched to an Anthropic
// channel (only the model is mapped; anthropic-beta is forwarded), translated for an OpenAI channel; every call billed
// exactly, and count_tokens answered locally.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { addChannel, balances, listen, seedAccount, settled, type SeededAccount } from '../helpers/relay.js';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic-upstream.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import { anthropicInbound } from '../../src/relay/inbound/anthropic/index.js';
import { countChatPrompt } from '../../src/billing/tokenizer.js';

const WEATHER_TOOL: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Current weather in a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

/** The upstream body without a `stream: false` the relay may add (it means the same as no `stream`). */
function withoutFalseStream(body: unknown): Record<string, unknown> {
  const { stream, ...rest } = body as Record<string, unknown>;
  return stream === false ? rest : (body as Record<string, unknown>);
}

describe('@anthropic-ai/sdk through the relay', () => {
  let t: TestApp;
  let anthropicUp: FakeAnthropic;
  let openaiUp: FakeOpenAI;
  let account: SeededAccount;
  let client: Anthropic;

  beforeAll(async () => {
    anthropicUp = await startFakeAnthropic({ keys: ['sk-ant-upstream'] });
    openaiUp = await startFakeOpenAI({ keys: ['sk-upstream'] });
    t = await createTestApp('sqlite');
    await t.ctx.options.update({
      modelRatios: { 'claude-sonnet-4-6': 1.5, 'gpt-4o-mini': 0.075 },
      completionRatios: { 'claude-sonnet-4-6': 5, 'gpt-4o-mini': 4 },
      cacheReadRatios: { 'claude-sonnet-4-6': 0.1, 'gpt-4o-mini': 0.5 },
      cacheWriteRatios: { 'claude-sonnet-4-6': 1.25 },
    });
    await addChannel(t, {
      type: 'anthropic',
      baseUrl: anthropicUp.url,
      keys: ['sk-ant-upstream'],
      models: ['claude-sonnet-4-6'],
      modelMapping: { 'claude-sonnet-4-6': 'claude-sonnet-4-6-20260115' },
    });
    await addChannel(t, {
      type: 'openai',
      baseUrl: openaiUp.url,
      keys: ['sk-upstream'],
      models: ['gpt-4o-mini'],
      modelMapping: { 'gpt-4o-mini': 'gpt-4o-mini-2024-07-18' },
    });
    account = await seedAccount(t, { quota: 10_000_000 });
    const base = await listen(t);
    client = new Anthropic({ apiKey: account.key, baseURL: base, maxRetries: 0 });
  });

  afterAll(async () => {
    await t?.close();
    await anthropicUp?.close();
    await openaiUp?.close();
  });

  it('models.list and models.retrieve in Anthropic’s shape, with the models the key can use', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(['claude-sonnet-4-6', 'gpt-4o-mini']);
    const one = await client.models.retrieve('claude-sonnet-4-6');
    expect(one).toMatchObject({ type: 'model', id: 'claude-sonnet-4-6', display_name: 'claude-sonnet-4-6' });
    await expect(client.models.retrieve('no-such-model')).rejects.toMatchObject({ status: 404 });
  });

  describe('Anthropic channel (native pass-through)', () => {
    it('non-stream: the body goes upstream unchanged but for the model, anthropic-beta is forwarded, 168 units billed', async () => {
      anthropicUp.setScript(() => ({
        kind: 'answer',
        content: [{ type: 'text', text: 'Bonjour' }],
        usage: { input_tokens: 12, output_tokens: 8, cache_read_input_tokens: 100, cache_creation_input_tokens: 40 },
      }));
      const params: Anthropic.MessageCreateParamsNonStreaming = {
        model: 'claude-sonnet-4-6',
        max_tokens: 256,
        system: [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: 'Hi' }],
        temperature: 0.2,
        top_k: 5,
        metadata: { user_id: 'user-42' },
      };
      const before = await balances(t, account);
      const msg = await client.messages.create(params, { headers: { 'anthropic-beta': 'prompt-caching-2024-07-31' } });
      expect(msg.content).toEqual([{ type: 'text', text: 'Bonjour' }]);
      expect(msg.stop_reason).toBe('end_turn');
      expect(msg.usage).toMatchObject({ input_tokens: 12, output_tokens: 8, cache_read_input_tokens: 100, cache_creation_input_tokens: 40 });

      const sent = anthropicUp.requests.at(-1)!;
      expect(withoutFalseStream(sent.body)).toEqual({ ...params, model: 'claude-sonnet-4-6-20260115' });
      expect(sent.headers['anthropic-beta']).toBe('prompt-caching-2024-07-31');
      expect(sent.headers['anthropic-version']).toBe('2023-06-01');
      expect(sent.headers['x-api-key']).toBe('sk-ant-upstream'); // the channel's key, never the client's relay key
      expect(sent.headers.authorization).toBeUndefined();

      const { charged, log } = await settled(t, account, before);
      expect(charged).toBe(168); // 1.5 × (12 + 8×5 + 100×0.1 + 40×1.25)
      expect(log).toMatchObject({
        endpoint: '/v1/messages',
        model: 'claude-sonnet-4-6',
        upstreamModel: 'claude-sonnet-4-6-20260115',
        promptTokens: 12,
        completionTokens: 8,
        cacheReadTokens: 100,
        cacheWriteTokens: 40,
        quota: 168n,
        stream: false,
        status: 'ok',
      });
    });

    it('stream: messages.stream() → finalMessage, events passed on; 1.5 × (20 + 30×5 + 200×0.1) = 285', async () => {
      anthropicUp.setScript(() => ({
        kind: 'answer',
        content: [
          { type: 'thinking', thinking: 'Short answer is best.', signature: 'sig-abc' },
          { type: 'text', text: 'Hello from a streaming Claude' },
        ],
        usage: { input_tokens: 20, output_tokens: 30, cache_read_input_tokens: 200, cache_creation_input_tokens: 0 },
      }));
      const before = await balances(t, account);
      const stream = client.messages.stream(
        { model: 'claude-sonnet-4-6', max_tokens: 512, system: 'You are terse.', messages: [{ role: 'user', content: 'Stream please' }], thinking: { type: 'enabled', budget_tokens: 256 } },
        { headers: { 'anthropic-beta': 'interleaved-thinking-2025-05-14' } },
      );
      const events: string[] = [];
      stream.on('streamEvent', (ev) => events.push(ev.type));
      const final = await stream.finalMessage();
      expect(final.content).toEqual([
        { type: 'thinking', thinking: 'Short answer is best.', signature: 'sig-abc' },
        { type: 'text', text: 'Hello from a streaming Claude' },
      ]);
      expect(final.stop_reason).toBe('end_turn');
      expect(final.usage).toMatchObject({ input_tokens: 20, output_tokens: 30, cache_read_input_tokens: 200 });
      expect(events[0]).toBe('message_start');
      expect(events.at(-1)).toBe('message_stop');

      const sent = anthropicUp.requests.at(-1)!;
      expect(sent.body).toMatchObject({ model: 'claude-sonnet-4-6-20260115', stream: true, system: 'You are terse.', thinking: { type: 'enabled', budget_tokens: 256 } });
      expect(sent.headers['anthropic-beta']).toBe('interleaved-thinking-2025-05-14');

      const { charged, log } = await settled(t, account, before);
      expect(charged).toBe(285);
      expect(log).toMatchObject({ stream: true, promptTokens: 20, completionTokens: 30, cacheReadTokens: 200, quota: 285n, status: 'ok' });
    });

    it('tool use: tool_use comes back as sent, and the tool_result follow-up reaches the upstream unchanged', async () => {
      anthropicUp.setScript((req) => {
        const body = req.body as { messages: Array<{ content: unknown }> };
        const answered = body.messages.some((m) => Array.isArray(m.content) && m.content.some((b: { type?: string }) => b.type === 'tool_result'));
        return answered
          ? { kind: 'answer', content: [{ type: 'text', text: 'It is 21°C in Paris.' }], usage: { input_tokens: 60, output_tokens: 9 } }
          : { kind: 'answer', content: [{ type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { city: 'Paris' } }], usage: { input_tokens: 40, output_tokens: 15 } };
      });
      const question: Anthropic.MessageParam = { role: 'user', content: 'Weather in Paris?' };

      let before = await balances(t, account);
      const first = await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 256, tools: [WEATHER_TOOL], tool_choice: { type: 'auto' }, messages: [question] });
      expect(first.stop_reason).toBe('tool_use');
      expect(first.content).toEqual([{ type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { city: 'Paris' } }]);
      expect(anthropicUp.requests.at(-1)!.body).toMatchObject({ tools: [WEATHER_TOOL], tool_choice: { type: 'auto' } });
      expect((await settled(t, account, before)).charged).toBe(173); // 1.5 × (40 + 15×5) = 172.5 → 173

      before = await balances(t, account);
      const followUpMessages: Anthropic.MessageParam[] = [
        question,
        { role: 'assistant', content: first.content as Anthropic.ContentBlockParam[] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: '{"temp_c":21}' }] },
      ];
      const followUp = await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 256, tools: [WEATHER_TOOL], messages: followUpMessages });
      expect(followUp.content).toEqual([{ type: 'text', text: 'It is 21°C in Paris.' }]);
      expect((anthropicUp.requests.at(-1)!.body as { messages: unknown }).messages).toEqual(followUpMessages);
      const { charged, log } = await settled(t, account, before);
      expect(charged).toBe(158); // 1.5 × (60 + 9×5) = 157.5 → 158
      expect(log).toMatchObject({ promptTokens: 60, completionTokens: 9, quota: 158n });
    });
  });

  describe('OpenAI channel (translated)', () => {
    it('non-stream with a system prompt: a Claude-shaped message, cached tokens billed: 0.075 × (40 + 20×4 + 60×0.5) = 11.25 → 12', async () => {
      openaiUp.setScript(() => ({ kind: 'answer', text: 'Hello! How can I help you today?', usage: { prompt: 100, completion: 20, cached: 60 } }));
      const before = await balances(t, account);
      const msg = await client.messages.create({
        model: 'gpt-4o-mini',
        max_tokens: 256,
        system: 'You are terse.',
        messages: [{ role: 'user', content: 'Hi' }],
        temperature: 0.3,
      });
      expect(msg.type).toBe('message');
      expect(msg.role).toBe('assistant');
      expect(msg.model).toBe('gpt-4o-mini');
      expect(msg.content).toEqual([{ type: 'text', text: 'Hello! How can I help you today?' }]);
      expect(msg.stop_reason).toBe('end_turn');
      // Anthropic's input_tokens exclude cache reads.
      expect(msg.usage).toMatchObject({ input_tokens: 40, output_tokens: 20, cache_read_input_tokens: 60, cache_creation_input_tokens: 0 });

      const sent = openaiUp.requests.at(-1)!;
      expect(sent.headers.authorization).toBe('Bearer sk-upstream');
      expect(sent.body).toMatchObject({
        model: 'gpt-4o-mini-2024-07-18',
        max_tokens: 256,
        temperature: 0.3,
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: 'Hi' },
        ],
      });

      const { charged, log } = await settled(t, account, before);
      expect(charged).toBe(12);
      expect(log).toMatchObject({
        endpoint: '/v1/messages',
        model: 'gpt-4o-mini',
        upstreamModel: 'gpt-4o-mini-2024-07-18',
        promptTokens: 40,
        completionTokens: 20,
        cacheReadTokens: 60,
        quota: 12n,
        status: 'ok',
      });
    });

    it('stream: messages.stream() → finalMessage with the billed usage; 0.075 × (20 + 30×4) = 10.5 → 11', async () => {
      openaiUp.setScript(() => ({ kind: 'stream', chunks: ['Hel', 'lo', ' there'], usage: { prompt: 20, completion: 30 } }));
      const before = await balances(t, account);
      const stream = client.messages.stream({ model: 'gpt-4o-mini', max_tokens: 256, system: 'You are terse.', messages: [{ role: 'user', content: 'Hi' }] });
      let text = '';
      stream.on('text', (delta) => (text += delta));
      const final = await stream.finalMessage();
      expect(text).toBe('Hello there');
      expect(final.content).toEqual([{ type: 'text', text: 'Hello there' }]);
      expect(final.stop_reason).toBe('end_turn');
      expect(final.usage).toMatchObject({ input_tokens: 20, output_tokens: 30 });
      expect(openaiUp.requests.at(-1)!.body).toMatchObject({ stream: true, stream_options: { include_usage: true }, messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Hi' }] });

      const { charged, log } = await settled(t, account, before);
      expect(charged).toBe(11);
      expect(log).toMatchObject({ stream: true, promptTokens: 20, completionTokens: 30, quota: 11n, status: 'ok' });
    });

    it('tool use: OpenAI tool calls become tool_use blocks (non-stream and stream); tool_result goes back as a tool message', async () => {
      openaiUp.setScript((req) => {
        const messages = req.body?.messages as Array<{ role: string }>;
        if (messages.some((m) => m.role === 'tool')) return { kind: 'answer', text: 'It is 21°C in Paris.', usage: { prompt: 50, completion: 10 } };
        return req.body?.stream
          ? { kind: 'stream', chunks: [], toolCall: { name: 'get_weather', arguments: '{"city":"Paris"}' }, usage: { prompt: 40, completion: 15 } }
          : { kind: 'answer', toolCall: { name: 'get_weather', arguments: '{"city":"Paris"}' }, usage: { prompt: 40, completion: 15 } };
      });
      const question: Anthropic.MessageParam = { role: 'user', content: 'Weather in Paris?' };

      let before = await balances(t, account);
      const first = await client.messages.create({ model: 'gpt-4o-mini', max_tokens: 256, tools: [WEATHER_TOOL], tool_choice: { type: 'any' }, messages: [question] });
      expect(first.stop_reason).toBe('tool_use');
      expect(first.content).toEqual([{ type: 'tool_use', id: 'call_abc123', name: 'get_weather', input: { city: 'Paris' } }]);
      expect(openaiUp.requests.at(-1)!.body).toMatchObject({
        tools: [{ type: 'function', function: { name: 'get_weather', description: 'Current weather in a city', parameters: WEATHER_TOOL.input_schema } }],
        tool_choice: 'required',
      });
      expect((await settled(t, account, before)).charged).toBe(8); // 0.075 × (40 + 15×4) = 7.5 → 8

      before = await balances(t, account);
      const stream = client.messages.stream({ model: 'gpt-4o-mini', max_tokens: 256, tools: [WEATHER_TOOL], messages: [question] });
      const streamed = await stream.finalMessage();
      expect(streamed.stop_reason).toBe('tool_use');
      expect(streamed.content).toEqual([{ type: 'tool_use', id: 'call_abc123', name: 'get_weather', input: { city: 'Paris' } }]);
      expect((await settled(t, account, before)).charged).toBe(8);

      before = await balances(t, account);
      const followUp = await client.messages.create({
        model: 'gpt-4o-mini',
        max_tokens: 256,
        tools: [WEATHER_TOOL],
        messages: [
          question,
          { role: 'assistant', content: first.content as Anthropic.ContentBlockParam[] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_abc123', content: '{"temp_c":21}' }] },
        ],
      });
      expect(followUp.content).toEqual([{ type: 'text', text: 'It is 21°C in Paris.' }]);
      expect((openaiUp.requests.at(-1)!.body as { messages: unknown }).messages).toEqual([
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_abc123', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'call_abc123', content: '{"temp_c":21}' },
      ]);
      const { charged, log } = await settled(t, account, before);
      expect(charged).toBe(7); // 0.075 × (50 + 10×4) = 6.75 → 7
      expect(log).toMatchObject({ promptTokens: 50, completionTokens: 10, quota: 7n });
    });
  });

  it('count_tokens is answered locally with the billing tokenizer, for either channel, and costs nothing', async () => {
    const before = await balances(t, account);
    const upstreamCalls = anthropicUp.requests.length + openaiUp.requests.length;
    for (const model of ['claude-sonnet-4-6', 'gpt-4o-mini']) {
      const params: Anthropic.MessageCountTokensParams = {
        model,
        system: 'You are terse.',
        tools: [WEATHER_TOOL],
        messages: [{ role: 'user', content: 'What is the weather like in Paris today?' }],
      };
      const counted = await client.messages.countTokens(params);
      const chat = anthropicInbound.toChatRequest({ ...params, max_tokens: 1 }, {});
      const expected = countChatPrompt(chat.messages, model, chat.tools).tokens;
      expect(expected).toBeGreaterThan(20);
      expect(counted).toEqual({ input_tokens: expected });
    }
    expect(anthropicUp.requests.length + openaiUp.requests.length).toBe(upstreamCalls);
    const after = await balances(t, account);
    expect(after.quota).toBe(before.quota);
    expect(after.logs.length).toBe(before.logs.length);
  });
});
