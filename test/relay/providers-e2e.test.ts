// The official `openai` SDK against the relay, in front of fake Anthropic, Gemini and Azure upstreams: each call is
// translated to the provider's wire format (or passed through, for Azure), answered in OpenAI's format, and billed
// exactly from the usage the fake reported (Anthropic cache reads and writes included).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import OpenAI from 'openai';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { addChannel, balances, listen, seedAccount, settled, type SeededAccount } from '../helpers/relay.js';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic-upstream.js';
import { startFakeGemini, type FakeGemini } from '../fakes/gemini-upstream.js';
import { startFakeAzure, type FakeAzure } from '../fakes/azure-upstream.js';

/** A real 1×1 PNG. */
const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg==';
const PNG_DATA_URI = `data:image/png;base64,${PNG_BASE64}`;

const WEATHER_TOOL: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

/** The function tool call of a message (the SDK's union also has custom tool calls). */
function functionCall(message: OpenAI.ChatCompletionMessage, i = 0): { id: string; name: string; arguments: string } {
  const call = message.tool_calls?.[i];
  if (call?.type !== 'function') throw new Error(`expected a function tool call at ${i}`);
  return { id: call.id, name: call.function.name, arguments: call.function.arguments };
}

interface Collected {
  text: string;
  reasoning: string;
  chunks: OpenAI.ChatCompletionChunk[];
  usage: OpenAI.CompletionUsage | undefined;
  finish: string | null | undefined;
  tool: { id: string; name: string; args: string };
}

async function collect(stream: AsyncIterable<OpenAI.ChatCompletionChunk>): Promise<Collected> {
  const out: Collected = { text: '', reasoning: '', chunks: [], usage: undefined, finish: undefined, tool: { id: '', name: '', args: '' } };
  for await (const chunk of stream) {
    out.chunks.push(chunk);
    if (chunk.usage) out.usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) continue;
    out.text += choice.delta.content ?? '';
    out.reasoning += (choice.delta as { reasoning_content?: string }).reasoning_content ?? '';
    if (choice.finish_reason) out.finish = choice.finish_reason;
    const call = choice.delta.tool_calls?.[0];
    if (call?.id) out.tool.id = call.id;
    if (call?.function?.name) out.tool.name = call.function.name;
    out.tool.args += call?.function?.arguments ?? '';
  }
  return out;
}

describe('openai SDK through the relay to Anthropic, Gemini and Azure channels', () => {
  let t: TestApp;
  let anthropic: FakeAnthropic;
  let gemini: FakeGemini;
  let azure: FakeAzure;
  let images: Server;
  let imageUrl: string;
  let imageRequests = 0;
  let account: SeededAccount;
  let client: OpenAI;

  beforeAll(async () => {
    anthropic = await startFakeAnthropic({ keys: ['sk-ant-upstream'] });
    gemini = await startFakeGemini({ keys: ['AIza-upstream'] });
    azure = await startFakeAzure({ keys: ['azure-upstream'], deployments: ['gpt-4o-prod'] });
    images = createServer((_req, res) => {
      imageRequests++;
      const png = Buffer.from(PNG_BASE64, 'base64');
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length }).end(png);
    });
    await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
    imageUrl = `http://127.0.0.1:${(images.address() as AddressInfo).port}/cat.png`;

    // Only the local image server's address may be downloaded (Gemini needs images inline).
    t = await createTestApp('sqlite', {}, { imageAddressPolicy: (ip) => ip === '127.0.0.1' });
    await t.ctx.options.update({
      modelRatios: { 'claude-sonnet-4-5': 1.5, 'gemini-2.5-flash': 0.15, 'gpt-4o': 1.25 },
      completionRatios: { 'claude-sonnet-4-5': 5, 'gemini-2.5-flash': 8, 'gpt-4o': 4 },
      cacheReadRatios: { 'claude-sonnet-4-5': 0.1, 'gemini-2.5-flash': 0.25, 'gpt-4o': 0.5 },
      cacheWriteRatios: { 'claude-sonnet-4-5': 1.25 },
    });
    await addChannel(t, {
      type: 'anthropic',
      baseUrl: anthropic.url,
      keys: ['sk-ant-upstream'],
      models: ['claude-sonnet-4-5'],
      modelMapping: { 'claude-sonnet-4-5': 'claude-sonnet-4-5-20250929' },
    });
    await addChannel(t, {
      type: 'gemini',
      baseUrl: gemini.url,
      keys: ['AIza-upstream'],
      models: ['gemini-2.5-flash'],
      modelMapping: { 'gemini-2.5-flash': 'gemini-2.5-flash-001' },
    });
    await addChannel(t, {
      type: 'azure',
      baseUrl: azure.url,
      keys: ['azure-upstream'],
      models: ['gpt-4o'],
      modelMapping: { 'gpt-4o': 'gpt-4o-prod' },
      config: { apiVersion: '2024-10-21' },
    });
    account = await seedAccount(t, { quota: 10_000_000 });
    const base = await listen(t);
    client = new OpenAI({ apiKey: account.key, baseURL: `${base}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await t?.close();
    await anthropic?.close();
    await gemini?.close();
    await azure?.close();
    await new Promise<void>((resolve) => (images ? images.close(() => resolve()) : resolve()));
  });

  describe('Anthropic channel (translated)', () => {
    it('non-stream: maps model, system and key; bills 1.5 × (12 + 8×5 + 100×0.1 + 40×1.25) = 168', async () => {
      anthropic.setScript(() => ({
        kind: 'answer',
        content: [{ type: 'text', text: 'Bonjour' }],
        usage: { input_tokens: 12, output_tokens: 8, cache_read_input_tokens: 100, cache_creation_input_tokens: 40 },
      }));
      const before = await balances(t, account);
      const res = await client.chat.completions.create({
        model: 'claude-sonnet-4-5',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi' },
        ],
      });
      expect(res.model).toBe('claude-sonnet-4-5');
      expect(res.choices[0]!.message.content).toBe('Bonjour');
      expect(res.choices[0]!.finish_reason).toBe('stop');
      // OpenAI counts cached tokens inside prompt_tokens: 12 + 100 read + 40 written.
      expect(res.usage).toMatchObject({ prompt_tokens: 152, completion_tokens: 8, total_tokens: 160, prompt_tokens_details: { cached_tokens: 100 } });

      const sent = anthropic.requests.at(-1)!;
      expect(sent.path).toBe('/v1/messages');
      expect(sent.headers['x-api-key']).toBe('sk-ant-upstream');
      expect(sent.headers['anthropic-version']).toBe('2023-06-01');
      expect(sent.headers.authorization).toBeUndefined();
      expect(sent.body).toEqual({
        model: 'claude-sonnet-4-5-20250929',
        max_tokens: 4096,
        system: 'Be brief.',
        messages: [{ role: 'user', content: 'Hi' }],
      });

      const { charged, log } = await settled(t, account, before);
      expect(charged).toBe(168);
      expect(log).toMatchObject({
        model: 'claude-sonnet-4-5',
        upstreamModel: 'claude-sonnet-4-5-20250929',
        promptTokens: 12,
        completionTokens: 8,
        cacheReadTokens: 100,
        cacheWriteTokens: 40,
        quota: 168n,
        status: 'ok',
        stream: false,
        endpoint: '/v1/chat/completions',
      });
    });

    it('stream with include_usage: text and the usage chunk arrive; bills 1.5 × (20 + 30×5 + 200×0.1) = 285', async () => {
      anthropic.setScript(() => ({
        kind: 'answer',
        content: [{ type: 'text', text: 'Hello from a streaming Claude' }],
        usage: { input_tokens: 20, output_tokens: 30, cache_read_input_tokens: 200, cache_creation_input_tokens: 0 },
      }));
      const before = await balances(t, account);
      const stream = await client.chat.completions.create({
        model: 'claude-sonnet-4-5',
        messages: [{ role: 'user', content: 'Stream please' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      const got = await collect(stream);
      expect(got.text).toBe('Hello from a streaming Claude');
      expect(got.finish).toBe('stop');
      expect(got.usage).toMatchObject({ prompt_tokens: 220, completion_tokens: 30, prompt_tokens_details: { cached_tokens: 200 } });
      expect(got.chunks.every((c) => c.model === 'claude-sonnet-4-5')).toBe(true);
      expect(anthropic.requests.at(-1)!.body).toMatchObject({ model: 'claude-sonnet-4-5-20250929', stream: true });

      const { charged, log } = await settled(t, account, before);
      expect(charged).toBe(285);
      expect(log).toMatchObject({ stream: true, promptTokens: 20, completionTokens: 30, cacheReadTokens: 200, cacheWriteTokens: 0, quota: 285n, status: 'ok' });
      expect(log.ttftMs).not.toBeNull();
    });

    it('stream without include_usage: no usage chunk reaches the client, billing still exact (1.5 × (10 + 4×5 + 8×1.25) = 60)', async () => {
      anthropic.setScript(() => ({
        kind: 'answer',
        content: [{ type: 'text', text: 'Short one' }],
        usage: { input_tokens: 10, output_tokens: 4, cache_read_input_tokens: 0, cache_creation_input_tokens: 8 },
      }));
      const before = await balances(t, account);
      const stream = await client.chat.completions.create({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'Hi' }], stream: true });
      const got = await collect(stream);
      expect(got.text).toBe('Short one');
      expect(got.chunks.some((c) => c.usage)).toBe(false);
      expect(got.chunks.every((c) => c.choices.length > 0)).toBe(true);

      const { charged, log } = await settled(t, account, before);
      expect(charged).toBe(60);
      expect(log).toMatchObject({ promptTokens: 10, completionTokens: 4, cacheWriteTokens: 8, quota: 60n });
    });

    it('tools: the tool call comes back (non-stream and stream), and the follow-up carries tool_use and tool_result', async () => {
      anthropic.setScript((req) => {
        const body = req.body as { messages: Array<{ role: string; content: unknown }> };
        const answered = body.messages.some((m) => Array.isArray(m.content) && m.content.some((b: { type?: string }) => b.type === 'tool_result'));
        return answered
          ? { kind: 'answer', content: [{ type: 'text', text: 'It is 21°C in Paris.' }], usage: { input_tokens: 60, output_tokens: 9 } }
          : { kind: 'answer', content: [{ type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { city: 'Paris' } }], usage: { input_tokens: 40, output_tokens: 15 } };
      });
      const question: OpenAI.ChatCompletionMessageParam = { role: 'user', content: 'Weather in Paris?' };

      let before = await balances(t, account);
      const first = await client.chat.completions.create({ model: 'claude-sonnet-4-5', messages: [question], tools: [WEATHER_TOOL], tool_choice: 'auto' });
      expect(first.choices[0]!.finish_reason).toBe('tool_calls');
      expect(first.choices[0]!.message.content).toBeNull();
      expect(functionCall(first.choices[0]!.message)).toEqual({ id: 'toolu_01', name: 'get_weather', arguments: '{"city":"Paris"}' });
      expect(anthropic.requests.at(-1)!.body).toMatchObject({
        tools: [{ name: 'get_weather', description: 'Current weather in a city', input_schema: WEATHER_TOOL.function.parameters }],
        tool_choice: { type: 'auto' },
      });
      expect((await settled(t, account, before)).charged).toBe(173); // 1.5 × (40 + 15×5) = 172.5 → 173

      before = await balances(t, account);
      const stream = await client.chat.completions.create({ model: 'claude-sonnet-4-5', messages: [question], tools: [WEATHER_TOOL], stream: true });
      const streamed = await collect(stream);
      expect(streamed.tool).toEqual({ id: 'toolu_01', name: 'get_weather', args: '{"city":"Paris"}' });
      expect(streamed.finish).toBe('tool_calls');
      expect((await settled(t, account, before)).charged).toBe(173);

      before = await balances(t, account);
      const followUp = await client.chat.completions.create({
        model: 'claude-sonnet-4-5',
        tools: [WEATHER_TOOL],
        messages: [
          question,
          first.choices[0]!.message as OpenAI.ChatCompletionAssistantMessageParam,
          { role: 'tool', tool_call_id: 'toolu_01', content: '{"temp_c":21}' },
        ],
      });
      expect(followUp.choices[0]!.message.content).toBe('It is 21°C in Paris.');
      expect((anthropic.requests.at(-1)!.body as { messages: unknown }).messages).toEqual([
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { city: 'Paris' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: '{"temp_c":21}' }] },
      ]);
      const { charged, log } = await settled(t, account, before);
      expect(charged).toBe(158); // 1.5 × (60 + 9×5) = 157.5 → 158
      expect(log).toMatchObject({ promptTokens: 60, completionTokens: 9, quota: 158n });
    });

    it('images: a data: URI becomes a base64 source and an http URL passes through as a URL source (not downloaded)', async () => {
      anthropic.setScript(() => ({ kind: 'answer', content: [{ type: 'text', text: 'Two grey pixels.' }], usage: { input_tokens: 30, output_tokens: 5 } }));
      const downloadsBefore = imageRequests;
      const before = await balances(t, account);
      const res = await client.chat.completions.create({
        model: 'claude-sonnet-4-5',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What are these?' },
              { type: 'image_url', image_url: { url: PNG_DATA_URI } },
              { type: 'image_url', image_url: { url: imageUrl } },
            ],
          },
        ],
      });
      expect(res.choices[0]!.message.content).toBe('Two grey pixels.');
      expect((anthropic.requests.at(-1)!.body as { messages: unknown }).messages).toEqual([
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What are these?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_BASE64 } },
            { type: 'image', source: { type: 'url', url: imageUrl } },
          ],
        },
      ]);
      expect(imageRequests).toBe(downloadsBefore);
      expect((await settled(t, account, before)).charged).toBe(83); // 1.5 × (30 + 5×5) = 82.5 → 83
    });
  });

  describe('Gemini channel (translated)', () => {
    it('non-stream: maps model, system and key; thoughts and cache billed: 0.15 × (30 + 15×8 + 20×0.25) = 23.25 → 24', async () => {
      gemini.setScript(() => ({
        kind: 'answer',
        parts: [{ text: 'Weighing it up.', thought: true }, { text: 'Hi there' }],
        usage: { promptTokenCount: 50, candidatesTokenCount: 10, thoughtsTokenCount: 5, cachedContentTokenCount: 20 },
      }));
      const before = await balances(t, account);
      const res = await client.chat.completions.create({
        model: 'gemini-2.5-flash',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi' },
        ],
      });
      expect(res.model).toBe('gemini-2.5-flash');
      expect(res.choices[0]!.message.content).toBe('Hi there');
      expect((res.choices[0]!.message as { reasoning_content?: string }).reasoning_content).toBe('Weighing it up.');
      expect(res.choices[0]!.finish_reason).toBe('stop');
      expect(res.usage).toMatchObject({
        prompt_tokens: 50,
        completion_tokens: 15,
        prompt_tokens_details: { cached_tokens: 20 },
        completion_tokens_details: { reasoning_tokens: 5 },
      });

      const sent = gemini.requests.at(-1)!;
      expect(sent.model).toBe('gemini-2.5-flash-001');
      expect(sent.action).toBe('generateContent');
      expect(sent.headers['x-goog-api-key']).toBe('AIza-upstream');
      expect(sent.query.key).toBeUndefined();
      expect(sent.body).toEqual({ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }], systemInstruction: { parts: [{ text: 'Be brief.' }] } });

      const { charged, log } = await settled(t, account, before);
      expect(charged).toBe(24);
      expect(log).toMatchObject({
        model: 'gemini-2.5-flash',
        upstreamModel: 'gemini-2.5-flash-001',
        promptTokens: 30,
        completionTokens: 15,
        cacheReadTokens: 20,
        cacheWriteTokens: 0,
        quota: 24n,
        status: 'ok',
      });
    });

    it('stream with include_usage: text and the usage chunk arrive; bills 0.15 × (40 + 12×8) = 20.4 → 21', async () => {
      gemini.setScript(() => ({ kind: 'answer', parts: [{ text: 'Streaming from Gemini now' }], usage: { promptTokenCount: 40, candidatesTokenCount: 12 } }));
      const before = await balances(t, account);
      const stream = await client.chat.completions.create({
        model: 'gemini-2.5-flash',
        messages: [{ role: 'user', content: 'Stream please' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      const got = await collect(stream);
      expect(got.text).toBe('Streaming from Gemini now');
      expect(got.finish).toBe('stop');
      const sent = gemini.requests.at(-1)!;
      expect(sent.action).toBe('streamGenerateContent');
      expect(sent.query.alt).toBe('sse');

      const { charged, log } = await settled(t, account, before);
      expect(charged).toBe(21);
      expect(log).toMatchObject({ stream: true, promptTokens: 40, completionTokens: 12, quota: 21n, status: 'ok' });
      // The client asked for the usage chunk: it must see the same numbers it is billed for.
      expect(got.usage).toMatchObject({ prompt_tokens: 40, completion_tokens: 12, total_tokens: 52 });
    });

    it('stream without include_usage: no usage chunk, billing exact (0.15 × (9 + 3×8) = 4.95 → 5)', async () => {
      gemini.setScript(() => ({ kind: 'answer', parts: [{ text: 'Sure.' }], usage: { promptTokenCount: 9, candidatesTokenCount: 3 } }));
      const before = await balances(t, account);
      const stream = await client.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }], stream: true });
      const got = await collect(stream);
      expect(got.text).toBe('Sure.');
      expect(got.chunks.some((c) => c.usage)).toBe(false);
      expect(got.chunks.every((c) => c.choices.length > 0)).toBe(true);
      const { charged, log } = await settled(t, account, before);
      expect(charged).toBe(5);
      expect(log).toMatchObject({ promptTokens: 9, completionTokens: 3, quota: 5n });
    });

    it('tools: functionCall comes back as a tool call (non-stream and stream); the follow-up sends functionCall + functionResponse', async () => {
      gemini.setScript((req) => {
        const body = req.body as { contents: Array<{ parts: Array<Record<string, unknown>> }> };
        const answered = body.contents.some((c) => c.parts.some((p) => p.functionResponse !== undefined));
        return answered
          ? { kind: 'answer', parts: [{ text: 'It is 21°C in Paris.' }], usage: { promptTokenCount: 70, candidatesTokenCount: 10 } }
          : { kind: 'answer', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }], usage: { promptTokenCount: 50, candidatesTokenCount: 6 } };
      });
      const question: OpenAI.ChatCompletionMessageParam = { role: 'user', content: 'Weather in Paris?' };

      let before = await balances(t, account);
      const first = await client.chat.completions.create({ model: 'gemini-2.5-flash', messages: [question], tools: [WEATHER_TOOL], tool_choice: 'auto' });
      expect(first.choices[0]!.finish_reason).toBe('tool_calls');
      const call = functionCall(first.choices[0]!.message);
      expect(call).toMatchObject({ name: 'get_weather', arguments: '{"city":"Paris"}' });
      const sentTools = gemini.requests.at(-1)!.body as { tools: unknown; toolConfig: unknown };
      expect(sentTools.tools).toMatchObject([{ functionDeclarations: [{ name: 'get_weather', description: 'Current weather in a city' }] }]);
      expect(sentTools.toolConfig).toEqual({ functionCallingConfig: { mode: 'AUTO' } });
      expect((await settled(t, account, before)).charged).toBe(15); // 0.15 × (50 + 6×8) = 14.7 → 15

      before = await balances(t, account);
      const stream = await client.chat.completions.create({ model: 'gemini-2.5-flash', messages: [question], tools: [WEATHER_TOOL], stream: true });
      const streamed = await collect(stream);
      expect(streamed.tool).toMatchObject({ name: 'get_weather', args: '{"city":"Paris"}' });
      expect(streamed.tool.id).not.toBe('');
      expect(streamed.finish).toBe('tool_calls');
      expect((await settled(t, account, before)).charged).toBe(15);

      before = await balances(t, account);
      const followUp = await client.chat.completions.create({
        model: 'gemini-2.5-flash',
        tools: [WEATHER_TOOL],
        messages: [
          question,
          first.choices[0]!.message as OpenAI.ChatCompletionAssistantMessageParam,
          { role: 'tool', tool_call_id: call.id, content: '{"temp_c":21}' },
        ],
      });
      expect(followUp.choices[0]!.message.content).toBe('It is 21°C in Paris.');
      expect((gemini.requests.at(-1)!.body as { contents: unknown }).contents).toEqual([
        { role: 'user', parts: [{ text: 'Weather in Paris?' }] },
        { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'skip_thought_signature_validator' }] },
        { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temp_c: 21 } } }] },
      ]);
      const { charged, log } = await settled(t, account, before);
      expect(charged).toBe(23); // 0.15 × (70 + 10×8) = 22.5 → 23
      expect(log).toMatchObject({ promptTokens: 70, completionTokens: 10, quota: 23n });
    });

    it('images: a data: URI and a downloaded http URL both reach Gemini as inlineData image/png', async () => {
      gemini.setScript(() => ({ kind: 'answer', parts: [{ text: 'Two grey pixels.' }], usage: { promptTokenCount: 530, candidatesTokenCount: 4 } }));
      const downloadsBefore = imageRequests;
      const before = await balances(t, account);
      const res = await client.chat.completions.create({
        model: 'gemini-2.5-flash',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What are these?' },
              { type: 'image_url', image_url: { url: PNG_DATA_URI } },
              { type: 'image_url', image_url: { url: imageUrl } },
            ],
          },
        ],
      });
      expect(res.choices[0]!.message.content).toBe('Two grey pixels.');
      expect(imageRequests).toBe(downloadsBefore + 1);
      expect((gemini.requests.at(-1)!.body as { contents: unknown }).contents).toEqual([
        {
          role: 'user',
          parts: [
            { text: 'What are these?' },
            { inlineData: { mimeType: 'image/png', data: PNG_BASE64 } },
            { inlineData: { mimeType: 'image/png', data: PNG_BASE64 } },
          ],
        },
      ]);
      expect((await settled(t, account, before)).charged).toBe(85); // 0.15 × (530 + 4×8) = 84.3 → 85
    });
  });

  describe('Azure channel (OpenAI format, passed through to the deployment)', () => {
    it('non-stream: deployment, api-version and api-key; cached tokens billed: 1.25 × (18 + 10×4 + 12×0.5) = 80', async () => {
      azure.setScript(() => ({ kind: 'answer', content: 'Hello from Azure', usage: { prompt_tokens: 30, completion_tokens: 10, cached_tokens: 12 } }));
      const before = await balances(t, account);
      const res = await client.chat.completions.create({
        model: 'gpt-4o',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi' },
        ],
      });
      expect(res.choices[0]!.message.content).toBe('Hello from Azure');
      expect(res.usage).toMatchObject({ prompt_tokens: 30, completion_tokens: 10, prompt_tokens_details: { cached_tokens: 12 } });

      const sent = azure.requests.at(-1)!;
      expect(sent.deployment).toBe('gpt-4o-prod');
      expect(sent.operation).toBe('chat/completions');
      expect(sent.query['api-version']).toBe('2024-10-21');
      expect(sent.headers['api-key']).toBe('azure-upstream');
      expect(sent.headers.authorization).toBeUndefined();
      expect(sent.body).toEqual({
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi' },
        ],
        stream: false,
      });

      const { charged, log } = await settled(t, account, before);
      expect(charged).toBe(80);
      expect(log).toMatchObject({ model: 'gpt-4o', upstreamModel: 'gpt-4o-prod', promptTokens: 18, completionTokens: 10, cacheReadTokens: 12, quota: 80n, status: 'ok' });
    });

    it('stream with include_usage: text and usage arrive; bills 1.25 × (12 + 8×4) = 55', async () => {
      azure.setScript(() => ({ kind: 'answer', content: 'Streaming from Azure', usage: { prompt_tokens: 12, completion_tokens: 8 } }));
      const before = await balances(t, account);
      const stream = await client.chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'Stream please' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      const got = await collect(stream);
      expect(got.text).toBe('Streaming from Azure');
      expect(got.finish).toBe('stop');
      expect(got.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 8 });
      const { charged, log } = await settled(t, account, before);
      expect(charged).toBe(55);
      expect(log).toMatchObject({ stream: true, promptTokens: 12, completionTokens: 8, quota: 55n });
    });

    it('stream without include_usage: the relay asks Azure for usage but the client sees no usage chunk (1.25 × (7 + 2×4) = 18.75 → 19)', async () => {
      azure.setScript(() => ({ kind: 'answer', content: 'Ok', usage: { prompt_tokens: 7, completion_tokens: 2 } }));
      const before = await balances(t, account);
      const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }], stream: true });
      const got = await collect(stream);
      expect(got.text).toBe('Ok');
      expect(got.chunks.some((c) => c.usage)).toBe(false);
      expect((azure.requests.at(-1)!.body as { stream_options?: unknown }).stream_options).toEqual({ include_usage: true });
      const { charged, log } = await settled(t, account, before);
      expect(charged).toBe(19);
      expect(log).toMatchObject({ promptTokens: 7, completionTokens: 2, quota: 19n });
    });

    it('tools: the tool call comes back (non-stream and stream), and the follow-up tool message reaches Azure', async () => {
      azure.setScript((req) => {
        const body = req.body as { messages: Array<{ role: string }> };
        return body.messages.some((m) => m.role === 'tool')
          ? { kind: 'answer', content: 'It is 21°C in Paris.', usage: { prompt_tokens: 40, completion_tokens: 9 } }
          : { kind: 'answer', toolCalls: [{ id: 'call_az1', name: 'get_weather', arguments: '{"city":"Paris"}' }], usage: { prompt_tokens: 30, completion_tokens: 12 } };
      });
      const question: OpenAI.ChatCompletionMessageParam = { role: 'user', content: 'Weather in Paris?' };

      let before = await balances(t, account);
      const first = await client.chat.completions.create({ model: 'gpt-4o', messages: [question], tools: [WEATHER_TOOL], tool_choice: 'auto' });
      expect(first.choices[0]!.finish_reason).toBe('tool_calls');
      expect(functionCall(first.choices[0]!.message)).toEqual({ id: 'call_az1', name: 'get_weather', arguments: '{"city":"Paris"}' });
      expect(azure.requests.at(-1)!.body).toMatchObject({ tools: [WEATHER_TOOL], tool_choice: 'auto' });
      expect((await settled(t, account, before)).charged).toBe(98); // 1.25 × (30 + 12×4) = 97.5 → 98

      before = await balances(t, account);
      const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: [question], tools: [WEATHER_TOOL], stream: true });
      const streamed = await collect(stream);
      expect(streamed.tool).toEqual({ id: 'call_az1', name: 'get_weather', args: '{"city":"Paris"}' });
      expect(streamed.finish).toBe('tool_calls');
      expect((await settled(t, account, before)).charged).toBe(98);

      before = await balances(t, account);
      const toolMessage: OpenAI.ChatCompletionToolMessageParam = { role: 'tool', tool_call_id: 'call_az1', content: '{"temp_c":21}' };
      const followUp = await client.chat.completions.create({
        model: 'gpt-4o',
        tools: [WEATHER_TOOL],
        messages: [question, first.choices[0]!.message as OpenAI.ChatCompletionAssistantMessageParam, toolMessage],
      });
      expect(followUp.choices[0]!.message.content).toBe('It is 21°C in Paris.');
      const messages = (azure.requests.at(-1)!.body as { messages: unknown[] }).messages;
      expect(messages[1]).toMatchObject({ role: 'assistant', tool_calls: [{ id: 'call_az1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] });
      expect(messages[2]).toEqual(toolMessage);
      expect((await settled(t, account, before)).charged).toBe(95); // 1.25 × (40 + 9×4) = 95
    });

    it('images: a data: URI reaches Azure unchanged', async () => {
      azure.setScript(() => ({ kind: 'answer', content: 'A grey pixel.', usage: { prompt_tokens: 100, completion_tokens: 4 } }));
      const before = await balances(t, account);
      const content: OpenAI.ChatCompletionContentPart[] = [
        { type: 'text', text: 'What is this?' },
        { type: 'image_url', image_url: { url: PNG_DATA_URI, detail: 'low' } },
      ];
      const res = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content }] });
      expect(res.choices[0]!.message.content).toBe('A grey pixel.');
      expect((azure.requests.at(-1)!.body as { messages: unknown }).messages).toEqual([{ role: 'user', content }]);
      expect((await settled(t, account, before)).charged).toBe(145); // 1.25 × (100 + 4×4)
    });
  });
});
