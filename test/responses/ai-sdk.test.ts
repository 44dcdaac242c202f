// The Vercel AI SDK's default OpenAI provider model (`openai(model)`, which speaks the Responses API) through the relay,
// unchanged: generateText, and streamText with a tool over two steps, against an OpenAI channel (native), an
// OpenAI-compatible, an Anthropic and a Gemini channel (translated). Every call billed and logged as /v1/responses.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';
import { createOpenAI } from '@ai-sdk/openai';
import { createTestApp, dbKinds, type TestApp } from '../helpers/context.js';
import { addChannel, balances, listen, seedAccount, type SeededAccount } from '../helpers/relay.js';
import { startFakeResponses, type FakeResponses } from '../fakes/responses-upstream.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic-upstream.js';
import { startFakeGemini, type FakeGemini } from '../fakes/gemini-upstream.js';

const ANSWER = 'It is sunny in Paris.';

describe.each(dbKinds)('Vercel AI SDK through /v1/responses (%s)', (kind) => {
  let t: TestApp;
  let native: FakeResponses;
  let compat: FakeOpenAI;
  let anthropic: FakeAnthropic;
  let gemini: FakeGemini;
  let account: SeededAccount;
  let provider: ReturnType<typeof createOpenAI>;

  beforeAll(async () => {
    native = await startFakeResponses({ keys: ['sk-upstream'] });
    compat = await startFakeOpenAI({ keys: ['sk-compat'] });
    anthropic = await startFakeAnthropic({ keys: ['sk-ant-upstream'] });
    gemini = await startFakeGemini({ keys: ['AIza-upstream'] });
    t = await createTestApp(kind);
    const models = ['gpt-4.1', 'deepseek-chat', 'claude-sonnet-4-6', 'gemini-2.5-flash'];
    await t.ctx.options.update({ modelRatios: Object.fromEntries(models.map((m) => [m, 1])), completionRatios: Object.fromEntries(models.map((m) => [m, 3])) });
    await addChannel(t, { type: 'openai', baseUrl: native.url, keys: ['sk-upstream'], models: ['gpt-4.1'] });
    await addChannel(t, { type: 'deepseek', baseUrl: compat.url, keys: ['sk-compat'], models: ['deepseek-chat'] });
    await addChannel(t, { type: 'anthropic', baseUrl: anthropic.url, keys: ['sk-ant-upstream'], models: ['claude-sonnet-4-6'] });
    await addChannel(t, { type: 'gemini', baseUrl: gemini.url, keys: ['AIza-upstream'], models: ['gemini-2.5-flash'] });
    account = await seedAccount(t, { quota: 100_000_000 });
    const base = await listen(t);
    provider = createOpenAI({ apiKey: account.key, baseURL: `${base}/v1` });

    // Each upstream calls the tool first, and answers once it has the tool's result.
    native.setScript((req) => {
      if ((req.body!.input as Array<{ type?: string }>).some((i) => i.type === 'function_call_output')) return { kind: 'answer', text: ANSWER };
      if (!req.body!.tools) return { kind: 'answer', text: 'Hello there' };
      return { kind: 'answer', toolCall: { name: 'weather', arguments: '{"city":"Paris"}' } };
    });
    compat.setScript((req) => {
      const stream = req.body?.stream === true;
      if ((req.body!.messages as Array<{ role: string }>).some((m) => m.role === 'tool')) return stream ? { kind: 'stream', chunks: ['It is sunny', ' in Paris.'] } : { kind: 'answer', text: ANSWER };
      if (!req.body!.tools) return stream ? { kind: 'stream', chunks: ['Hello', ' there'] } : { kind: 'answer', text: 'Hello there' };
      const toolCall = { name: 'weather', arguments: '{"city":"Paris"}' };
      return stream ? { kind: 'stream', chunks: [], toolCall } : { kind: 'answer', toolCall };
    });
    anthropic.setScript((req) => {
      const body = req.body as { messages: Array<{ content: unknown }>; tools?: unknown[] };
      if (body.messages.some((m) => Array.isArray(m.content) && m.content.some((b: { type?: string }) => b.type === 'tool_result'))) return { kind: 'answer', content: [{ type: 'text', text: ANSWER }] };
      if (!body.tools) return { kind: 'answer', content: [{ type: 'text', text: 'Hello there' }] };
      // Text before the call: the SDK refers back to it by id (item_reference) in the next step.
      return { kind: 'answer', content: [{ type: 'text', text: 'Let me check.' }, { type: 'tool_use', id: 'toolu_01', name: 'weather', input: { city: 'Paris' } }] };
    });
    gemini.setScript((req) => {
      const body = req.body as { contents: Array<{ parts: Array<Record<string, unknown>> }>; tools?: unknown[] };
      if (body.contents.some((c) => c.parts.some((p) => p.functionResponse))) return { kind: 'answer', parts: [{ text: ANSWER }] };
      if (!body.tools) return { kind: 'answer', parts: [{ text: 'Hello there' }] };
      return { kind: 'answer', parts: [{ functionCall: { name: 'weather', args: { city: 'Paris' } } }] };
    });
  });

  afterAll(async () => {
    await t?.close();
    await native?.close();
    await compat?.close();
    await anthropic?.close();
    await gemini?.close();
  });

  const weather = tool({
    description: 'The weather in a city',
    inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false }),
    execute: async ({ city }) => ({ city, sky: 'sunny' }),
  });

  describe.each(['gpt-4.1', 'deepseek-chat', 'claude-sonnet-4-6', 'gemini-2.5-flash'])('%s', (model) => {
    it('generateText: the text, the usage, one billed call logged as /v1/responses', async () => {
      const before = await balances(t, account);
      const result = await generateText({ model: provider(model), prompt: 'Say hello', system: 'Be brief.' });
      expect(result.text).toMatch(/Hello/);
      expect(result.usage.inputTokens).toBeGreaterThan(0);
      const after = await balances(t, account);
      expect(after.logs.length).toBe(before.logs.length + 1);
      const log = after.logs.at(-1)!;
      expect(log).toMatchObject({ endpoint: '/v1/responses', model, status: 'ok', stream: false });
      expect(Number(log.quota)).toBeGreaterThan(0);
      expect(before.quota - after.quota).toBe(Number(log.quota));
      expect(result.usage.outputTokens).toBe(log.completionTokens);
    });

    it('streamText with a tool: the call, the tool result, the streamed answer; two billed calls', async () => {
      const before = await balances(t, account);
      const result = streamText({ model: provider(model), prompt: 'Weather in Paris?', tools: { weather }, stopWhen: stepCountIs(3) });
      let text = '';
      for await (const delta of result.textStream) text += delta;
      expect(text).toBe(model === 'claude-sonnet-4-6' ? `Let me check.${ANSWER}` : ANSWER);
      const steps = await result.steps;
      expect(steps).toHaveLength(2);
      expect(steps[0]!.toolCalls[0]).toMatchObject({ toolName: 'weather', input: { city: 'Paris' } });
      expect(steps[0]!.toolResults[0]).toMatchObject({ output: { city: 'Paris', sky: 'sunny' } });
      const after = await balances(t, account);
      const logs = after.logs.slice(before.logs.length);
      expect(logs).toHaveLength(2);
      expect(logs.map((l) => [l.endpoint, l.stream, l.status])).toEqual([
        ['/v1/responses', true, 'ok'],
        ['/v1/responses', true, 'ok'],
      ]);
      expect(before.quota - after.quota).toBe(logs.reduce((s, l) => s + Number(l.quota), 0));
      expect(after.holds).toBe(0);
      if (model === 'claude-sonnet-4-6') {
        // The step's text went back as a reference to the relay's own item, and reached Claude in place.
        const messages = (anthropic.requests.at(-1)!.body as { messages: Array<{ role: string; content: unknown }> }).messages;
        expect(JSON.stringify(messages.find((m) => m.role === 'assistant'))).toContain('Let me check.');
      }
    });
  });
});
