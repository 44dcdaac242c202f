// POST /v1/responses to channels that do not speak the Responses API (OpenAI-compatible chat, Anthropic, Gemini): the
// request translated to the canonical chat request, the answer and the stream translated back into the Responses
// shapes the openai SDK reads (its stream helper accumulates the events into the final response). Each call billed
// and logged as /v1/responses. Bad bodies are 400s in OpenAI's error shape, never 500s. On both databases.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import OpenAI from 'openai';
import { createTestApp, dbKinds, type TestApp } from '../helpers/context.js';
import { addChannel, balances, listen, seedAccount, settled, type SeededAccount } from '../helpers/relay.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic-upstream.js';
import { startFakeGemini, type FakeGemini } from '../fakes/gemini-upstream.js';

const TOOLS: OpenAI.Responses.Tool[] = [
  { type: 'function', name: 'get_weather', description: 'Current weather', strict: true, parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } },
];

interface Target {
  name: string;
  model: string;
  /** The next answers: a tool call when the conversation has no tool result yet, else `text`. */
  script(text: string): void;
  /** The tool result as the upstream received it in the last request. */
  lastToolResult(): unknown;
  lastBody(): Record<string, unknown>;
}

describe.each(dbKinds)('Responses API, translated (%s)', (kind) => {
  let t: TestApp;
  let compat: FakeOpenAI;
  let anthropic: FakeAnthropic;
  let gemini: FakeGemini;
  let account: SeededAccount;
  let client: OpenAI;
  let base: string;
  const targets: Target[] = [];

  beforeAll(async () => {
    compat = await startFakeOpenAI({ keys: ['sk-compat'] });
    anthropic = await startFakeAnthropic({ keys: ['sk-ant-upstream'] });
    gemini = await startFakeGemini({ keys: ['AIza-upstream'] });
    t = await createTestApp(kind);
    const models = ['deepseek-chat', 'claude-sonnet-4-6', 'gemini-2.5-flash'];
    await t.ctx.options.update({
      modelRatios: Object.fromEntries(models.map((m) => [m, 1])),
      completionRatios: Object.fromEntries(models.map((m) => [m, 2])),
    });
    await addChannel(t, { type: 'deepseek', baseUrl: compat.url, keys: ['sk-compat'], models: ['deepseek-chat'] });
    await addChannel(t, { type: 'anthropic', baseUrl: anthropic.url, keys: ['sk-ant-upstream'], models: ['claude-sonnet-4-6'] });
    await addChannel(t, { type: 'gemini', baseUrl: gemini.url, keys: ['AIza-upstream'], models: ['gemini-2.5-flash'] });
    account = await seedAccount(t, { quota: 100_000_000 });
    base = await listen(t);
    client = new OpenAI({ apiKey: account.key, baseURL: `${base}/v1`, maxRetries: 0 });

    targets.push(
      {
        name: 'OpenAI-compatible',
        model: 'deepseek-chat',
        script: (text) =>
          compat.setScript((req) => {
            const messages = req.body?.messages as Array<{ role: string }>;
            const stream = req.body?.stream === true;
            if (messages.some((m) => m.role === 'tool')) return stream ? { kind: 'stream', chunks: [text] } : { kind: 'answer', text };
            const toolCall = { name: 'get_weather', arguments: '{"city":"Paris"}' };
            return stream ? { kind: 'stream', chunks: [], toolCall } : { kind: 'answer', toolCall };
          }),
        lastToolResult: () => (compat.requests.at(-1)!.body!.messages as Array<{ role: string }>).find((m) => m.role === 'tool'),
        lastBody: () => compat.requests.at(-1)!.body!,
      },
      {
        name: 'Anthropic',
        model: 'claude-sonnet-4-6',
        script: (text) =>
          anthropic.setScript((req) => {
            const messages = (req.body as { messages: Array<{ content: unknown }> }).messages;
            const hasResult = messages.some((m) => Array.isArray(m.content) && m.content.some((b: { type?: string }) => b.type === 'tool_result'));
            return hasResult
              ? { kind: 'answer', content: [{ type: 'text', text }] }
              : { kind: 'answer', content: [{ type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { city: 'Paris' } }] };
          }),
        lastToolResult: () =>
          (anthropic.requests.at(-1)!.body as { messages: Array<{ content: unknown }> }).messages
            .flatMap((m) => (Array.isArray(m.content) ? m.content : []))
            .find((b: { type?: string }) => b.type === 'tool_result'),
        lastBody: () => anthropic.requests.at(-1)!.body as Record<string, unknown>,
      },
      {
        name: 'Gemini',
        model: 'gemini-2.5-flash',
        script: (text) =>
          gemini.setScript((req) => {
            const contents = (req.body as { contents: Array<{ parts: Array<Record<string, unknown>> }> }).contents;
            const hasResult = contents.some((c) => c.parts.some((p) => p.functionResponse));
            return hasResult ? { kind: 'answer', parts: [{ text }] } : { kind: 'answer', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] };
          }),
        lastToolResult: () =>
          (gemini.requests.at(-1)!.body as { contents: Array<{ parts: Array<Record<string, unknown>> }> }).contents.flatMap((c) => c.parts).find((p) => p.functionResponse),
        lastBody: () => gemini.requests.at(-1)!.body as Record<string, unknown>,
      },
    );
  });

  afterAll(async () => {
    await t?.close();
    await compat?.close();
    await anthropic?.close();
    await gemini?.close();
  });

  describe.each(['OpenAI-compatible', 'Anthropic', 'Gemini'])('%s channel', (name) => {
    const target = () => targets.find((x) => x.name === name)!;

    it('plain: instructions and input in, a completed response with its usage out; billed and logged as /v1/responses', async () => {
      const { model } = target();
      target().script('Sunny.');
      const before = await balances(t, account);
      const res = await client.responses.create({ model, instructions: 'Be terse.', input: [{ role: 'user', content: [{ type: 'input_text', text: 'Hi there' }] }], tools: TOOLS, tool_choice: 'none' });
      // No tool result yet: the scripted upstream calls the tool even so; the translation is what is under test.
      expect(res.object).toBe('response');
      expect(res.status).toBe('completed');
      expect(res.model).toBe(model);
      const call = res.output.find((o) => o.type === 'function_call');
      expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', status: 'completed' });
      expect(JSON.parse((call as OpenAI.Responses.ResponseFunctionToolCall).arguments)).toEqual({ city: 'Paris' });
      expect(res.usage!.input_tokens).toBeGreaterThan(0);
      const { charged, log } = await settled(t, account, before);
      expect(charged).toBeGreaterThan(0);
      expect(log).toMatchObject({ endpoint: '/v1/responses', model, status: 'ok', usageSource: 'upstream' });
      expect(res.usage!.output_tokens).toBe(log.completionTokens);
    });

    it('a function tool round trip, the second call streamed: the tool output reaches the upstream, the text streams back', async () => {
      const { model } = target();
      target().script('It is sunny in Paris.');
      const before = await balances(t, account);
      const first = await client.responses.create({ model, input: 'Weather in Paris?', tools: TOOLS });
      const call = first.output.find((o): o is OpenAI.Responses.ResponseFunctionToolCall => o.type === 'function_call')!;
      expect(call.call_id).toBeTruthy();
      const stream = client.responses.stream({
        model,
        tools: TOOLS,
        input: [{ role: 'user', content: 'Weather in Paris?' }, call, { type: 'function_call_output', call_id: call.call_id, output: '{"sky":"sunny"}' }],
      });
      const types: string[] = [];
      const sequence: number[] = [];
      stream.on('event', (e) => {
        types.push(e.type);
        sequence.push(e.sequence_number);
      });
      const final = await stream.finalResponse();
      expect(final.output_text).toBe('It is sunny in Paris.');
      expect(final.status).toBe('completed');
      expect(JSON.stringify(target().lastToolResult())).toContain('sunny');
      expect(types.slice(0, 4)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
      expect(types).toContain('response.output_text.delta');
      expect(types.slice(-4)).toEqual(['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
      expect(sequence).toEqual(sequence.map((_, i) => i));
      const after = await balances(t, account);
      expect(after.logs.slice(-2).map((l) => l.endpoint)).toEqual(['/v1/responses', '/v1/responses']);
      expect(after.logs.at(-1)!.stream).toBe(true);
      expect(before.quota - after.quota).toBe(after.logs.slice(-2).reduce((s, l) => s + Number(l.quota), 0));
    });

    it('a streamed tool call: output_item.added, argument deltas, arguments.done and the finished item', async () => {
      const { model } = target();
      target().script('unused');
      const stream = client.responses.stream({ model, input: 'Weather in Paris?', tools: TOOLS });
      const types: string[] = [];
      stream.on('event', (e) => types.push(e.type));
      const final = await stream.finalResponse();
      const call = final.output.find((o) => o.type === 'function_call')!;
      expect(call.type === 'function_call' && JSON.parse(call.arguments)).toEqual({ city: 'Paris' });
      expect(types).toContain('response.function_call_arguments.delta');
      expect(types).toContain('response.function_call_arguments.done');
      expect(types.at(-1)).toBe('response.completed');
    });
  });

  it('text.format json_schema, max_output_tokens, reasoning effort and parallel_tool_calls reach the chat request', async () => {
    compat.setScript(() => ({ kind: 'answer', text: '{"hi":"there"}' }));
    await client.responses.create({
      model: 'deepseek-chat',
      input: 'Greet me',
      max_output_tokens: 321,
      reasoning: { effort: 'high' },
      text: { format: { type: 'json_schema', name: 'greeting', schema: { type: 'object', properties: { hi: { type: 'string' } } }, strict: true } },
      tools: [...TOOLS, { type: 'web_search' }],
      parallel_tool_calls: false,
    });
    const body = compat.requests.at(-1)!.body!;
    expect(body).toMatchObject({
      max_tokens: 321,
      reasoning_effort: 'high',
      parallel_tool_calls: false,
      response_format: { type: 'json_schema', json_schema: { name: 'greeting', strict: true, schema: { type: 'object' } } },
      messages: [{ role: 'user', content: 'Greet me' }],
    });
    // web_search runs on OpenAI's servers: a translated call goes without it.
    expect((body.tools as unknown[]).length).toBe(1);
  });

  it('previous_response_id on a translated channel: a clear 400 saying it needs an OpenAI channel; nothing billed', async () => {
    const before = await balances(t, account);
    const err = await client.responses.create({ model: 'claude-sonnet-4-6', input: 'and then?', previous_response_id: 'resp_abc' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, code: 'invalid_request', param: 'previous_response_id', type: 'invalid_request_error' });
    expect((err as Error).message).toContain('needs an OpenAI channel');
    expect((err as Error).message).toContain('pass the full conversation in input');
    const after = await balances(t, account);
    expect(after.quota).toBe(before.quota);
    expect(after.logs.length).toBe(before.logs.length);
  });

  it('an item only OpenAI has (item_reference): refused by translation with a 400 that says why, the hold refunded', async () => {
    const before = await balances(t, account);
    const err = await client.responses
      .create({ model: 'gemini-2.5-flash', input: [{ type: 'item_reference', id: 'msg_123' }, { role: 'user', content: 'go on' }] })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, code: 'invalid_request' });
    expect((err as Error).message).toContain('item_reference');
    const after = await balances(t, account);
    expect(after.quota).toBe(before.quota);
    expect(after.holds).toBe(0);
  });

  it('item_reference to an earlier translated answer: the relay kept its items and puts them back; only for their owner', async () => {
    compat.setScript(() => ({ kind: 'answer', text: 'The capital is Paris.' }));
    const first = await client.responses.create({ model: 'deepseek-chat', input: 'Capital of France?' });
    const message = first.output.find((o) => o.type === 'message')!;
    compat.setScript(() => ({ kind: 'answer', text: 'About 2 million.' }));
    const second = await client.responses.create({
      model: 'deepseek-chat',
      input: [{ role: 'user', content: 'Capital of France?' }, { type: 'item_reference', id: message.id }, { role: 'user', content: 'Its population?' }],
    });
    expect(second.output_text).toBe('About 2 million.');
    expect(compat.requests.at(-1)!.body!.messages).toEqual([
      { role: 'user', content: 'Capital of France?' },
      { role: 'assistant', content: 'The capital is Paris.' },
      { role: 'user', content: 'Its population?' },
    ]);
    const other = await seedAccount(t, { quota: 10_000_000 });
    const otherClient = new OpenAI({ apiKey: other.key, baseURL: `${base}/v1`, maxRetries: 0 });
    await expect(otherClient.responses.create({ model: 'deepseek-chat', input: [{ type: 'item_reference', id: message.id }] })).rejects.toMatchObject({ status: 400 });
  });

  it('hostile bodies are 400s in the OpenAI error shape, never 500s', async () => {
    const bodies: unknown[] = [
      [],
      'text',
      {},
      { model: 5, input: 'x' },
      { model: 'deepseek-chat' },
      { model: 'deepseek-chat', input: 42 },
      { model: 'deepseek-chat', input: [null] },
      { model: 'deepseek-chat', input: [{ role: 'wizard', content: 'x' }] },
      { model: 'deepseek-chat', input: [{ role: 'user', content: [{ type: 'input_text' }] }] },
      { model: 'deepseek-chat', input: [{ role: 'user', content: [{ type: 'video', url: 'x' }] }] },
      { model: 'deepseek-chat', input: [{ type: 'function_call', name: 'f' }] },
      { model: 'deepseek-chat', input: [{ type: 7 }] },
      { model: 'deepseek-chat', input: 'x', tools: 'all' },
      { model: 'deepseek-chat', input: 'x', tools: [{ type: 'function' }] },
      { model: 'deepseek-chat', input: 'x', max_output_tokens: -1 },
      { model: 'deepseek-chat', input: 'x', max_output_tokens: 1.5 },
      { model: 'deepseek-chat', input: 'x', text: { format: { type: 'xml' } } },
      { model: 'deepseek-chat', input: 'x', text: { format: { type: 'json_schema', name: 'n' } } },
      { model: 'deepseek-chat', input: 'x', tool_choice: 'sometimes' },
      { model: 'deepseek-chat', input: 'x', stream: 'yes' },
      { model: 'deepseek-chat', input: 'x', background: true },
      { model: 'deepseek-chat', input: 'x', previous_response_id: '' },
      { model: 'x'.repeat(300), input: 'x' },
    ];
    for (const body of bodies) {
      const res = await fetch(`${base}/v1/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${account.key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status, JSON.stringify(body)).toBe(400);
      const json = (await res.json()) as { error: { type: string; code: string; message: string } };
      expect(json.error.type, JSON.stringify(body)).toBe('invalid_request_error');
    }
    const broken = await fetch(`${base}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${account.key}`, 'content-type': 'application/json' },
      body: '{"model":',
    });
    expect(broken.status).toBe(400);
    const noKey = await fetch(`${base}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(noKey.status).toBe(401);
    expect(((await noKey.json()) as { error: { code: string } }).error.code).toBe('missing_key');
  });
});
