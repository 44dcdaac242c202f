// The fake Anthropic upstream must be faithful enough that the official SDK accepts it, and the adapter must work
// against it end to end (build → HTTP → parse).
import Anthropic from '@anthropic-ai/sdk';
import { createParser } from 'eventsource-parser';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicAdapter } from '../../src/providers/anthropic/index.js';
import type { ChatCompletionChunk, SseEvent, UpstreamRequest, UpstreamTarget } from '../../src/providers/types.js';
import { DEFAULT_FAKE_USAGE, defaultScript, startFakeAnthropic, type FakeAnthropic } from './anthropic-upstream.js';

let fake: FakeAnthropic;
let client: Anthropic;

beforeAll(async () => {
  fake = await startFakeAnthropic();
  client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: fake.url, maxRetries: 0 });
});
afterAll(async () => fake.close());
beforeEach(() => {
  fake.setScript(defaultScript);
  fake.requests.length = 0;
});

// A made-up model name: the SDK warns about real ones it knows to be deprecated.
const params = { model: 'claude-test-1', max_tokens: 64, messages: [{ role: 'user' as const, content: 'ping' }] };

const richAnswer = {
  kind: 'answer' as const,
  content: [
    { type: 'thinking' as const, thinking: 'The user wants the weather; call the tool.', signature: 'sig-1' },
    { type: 'text' as const, text: 'Let me check the weather.' },
    { type: 'tool_use' as const, id: 'toolu_1', name: 'get_weather', input: { location: 'Paris', unit: 'celsius' } },
  ],
  usage: { input_tokens: 50, output_tokens: 30, cache_read_input_tokens: 400, cache_creation_input_tokens: 20 },
};

describe('fake Anthropic upstream vs the official SDK', () => {
  it('answers a non-stream call with the default echo and records the request', async () => {
    const message = await client.messages.create(params);
    expect(message.content).toEqual([{ type: 'text', text: 'Echo: ping' }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.model).toBe('claude-test-1');
    expect(message.usage).toMatchObject(DEFAULT_FAKE_USAGE);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.headers['x-api-key']).toBe('sk-ant-test');
    expect(fake.requests[0]!.headers['anthropic-version']).toBe('2023-06-01');
    expect(fake.requests[0]!.body).toEqual(params);
  });

  it('streams thinking, text and tool_use that the SDK assembles into the scripted message', async () => {
    fake.setScript(() => richAnswer);
    const stream = client.messages.stream(params);
    const types: string[] = [];
    stream.on('streamEvent', (event) => types.push(event.type));
    const message = await stream.finalMessage();
    expect(message.content).toEqual([
      { type: 'thinking', thinking: 'The user wants the weather; call the tool.', signature: 'sig-1' },
      { type: 'text', text: 'Let me check the weather.' },
      { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { location: 'Paris', unit: 'celsius' } },
    ]);
    expect(message.stop_reason).toBe('tool_use');
    expect(message.usage).toMatchObject(richAnswer.usage);
    expect(types[0]).toBe('message_start');
    expect(types.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(types.filter((t) => t === 'content_block_start')).toHaveLength(3);
    expect(types.filter((t) => t === 'content_block_delta').length).toBeGreaterThan(6); // split over several deltas
    expect(fake.requests[0]!.body).toEqual({ ...params, stream: true });
  });

  it('sends Anthropic error bodies the SDK maps to its typed errors', async () => {
    fake.setScript(() => ({ kind: 'error', status: 429, type: 'rate_limit_error', message: 'Slow down' }));
    const err = await client.messages.create(params).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(429);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error', message: 'Slow down' } });
  });

  it('sends an in-stream error event the SDK raises', async () => {
    fake.setScript(() => ({ ...richAnswer, stream: { errorAfter: 3, error: { type: 'overloaded_error', message: 'Overloaded' } } }));
    const err = await client.messages.stream(params).finalMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
  });

  it('drops the connection mid-stream when told to', async () => {
    fake.setScript(() => ({ ...richAnswer, stream: { cutAfter: 4 } }));
    const err = await client.messages.stream(params).finalMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
  });

  it('rejects a missing or unknown key and a missing version like the real API', async () => {
    const post = (headers: Record<string, string>) =>
      fetch(`${fake.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(params) });
    const noKey = await post({ 'anthropic-version': '2023-06-01' });
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error', message: 'x-api-key header is required' } });
    const noVersion = await post({ 'x-api-key': 'k' });
    expect(noVersion.status).toBe(400);
    expect(await noVersion.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' } });

    const strict = await startFakeAnthropic({ keys: ['sk-good'] });
    try {
      const err = await new Anthropic({ apiKey: 'sk-bad', baseURL: strict.url, maxRetries: 0 }).messages.create(params).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
      const ok = await new Anthropic({ apiKey: 'sk-good', baseURL: strict.url, maxRetries: 0 }).messages.create(params);
      expect(ok.content).toEqual([{ type: 'text', text: 'Echo: ping' }]);
    } finally {
      await strict.close();
    }
  });

  it('requires max_tokens like the real API', async () => {
    const { max_tokens: _omit, ...noMax } = params;
    const res = await fetch(`${fake.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify(noMax),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } });
  });
});

describe('anthropic adapter against the fake upstream', () => {
  const target = (): UpstreamTarget => ({ baseUrl: fake.url, key: 'sk-ant-relay', model: 'claude-sonnet-4-5', config: {} });
  const ctx = { id: 'chatcmpl-e2e', created: 1, model: 'my-claude' };

  async function send(req: UpstreamRequest): Promise<Response> {
    return fetch(req.url, { method: req.method, headers: req.headers, body: req.body });
  }

  /** Reads the SSE body as it arrives, the way the pipeline does, keeping what came before a connection drop. */
  async function sseEvents(res: Response): Promise<SseEvent[]> {
    const events: SseEvent[] = [];
    const parser = createParser({ onEvent: (e) => events.push({ event: e.event, data: e.data }) });
    const decoder = new TextDecoder();
    const reader = res.body!.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(decoder.decode(value, { stream: true }));
      }
    } catch {
      // the connection dropped: keep the events read so far
    }
    return events;
  }

  it('round-trips a non-stream chat', async () => {
    fake.setScript(() => richAnswer);
    const res = await send(anthropicAdapter.buildChatRequest({ model: 'my-claude', messages: [{ role: 'user', content: 'weather?' }] }, target()));
    expect(res.status).toBe(200);
    const completion = anthropicAdapter.parseChatResponse(await res.json(), ctx);
    expect(completion.choices[0]!.message).toEqual({
      role: 'assistant',
      content: 'Let me check the weather.',
      reasoning_content: 'The user wants the weather; call the tool.',
      tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris","unit":"celsius"}' } }],
    });
    expect(anthropicAdapter.usageOf(completion.usage)).toEqual({ promptTokens: 50, completionTokens: 30, cacheReadTokens: 400, cacheWriteTokens: 20 });
    expect(fake.requests[0]!.body).toEqual({ model: 'claude-sonnet-4-5', max_tokens: 4096, messages: [{ role: 'user', content: 'weather?' }] });
  });

  it('round-trips a stream, and a cut stream still yields the usage reported so far', async () => {
    fake.setScript(() => richAnswer);
    const req = anthropicAdapter.buildChatRequest({ model: 'my-claude', messages: [{ role: 'user', content: 'weather?' }], stream: true }, target());
    const translator = anthropicAdapter.createChatStream(ctx);
    const chunks: ChatCompletionChunk[] = (await sseEvents(await send(req))).flatMap((e) => translator.push(e));
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    const args = chunks.map((c) => c.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? '').join('');
    expect(text).toBe('Let me check the weather.');
    expect(JSON.parse(args)).toEqual({ location: 'Paris', unit: 'celsius' });
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('tool_calls');
    expect(translator.finish().usage).toEqual({ promptTokens: 50, completionTokens: 30, cacheReadTokens: 400, cacheWriteTokens: 20 });

    fake.setScript(() => ({ ...richAnswer, stream: { cutAfter: 5 } }));
    const cut = anthropicAdapter.createChatStream(ctx);
    const events = await sseEvents(await send(req));
    expect(events.map((e) => e.event)).toEqual(['message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_delta']);
    for (const e of events) cut.push(e);
    // message_start said input 50 (+ cache) and output 1 so far
    expect(cut.finish().usage).toEqual({ promptTokens: 50, completionTokens: 1, cacheReadTokens: 400, cacheWriteTokens: 20 });
  });

  it('classifies the fake error bodies with parseError', async () => {
    fake.setScript(() => ({ kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' }));
    const res = await send(anthropicAdapter.buildTestRequest(target()));
    expect(anthropicAdapter.parseError(res.status, await res.text())).toEqual({ kind: 'overloaded', message: 'Overloaded', type: 'overloaded_error' });
    const badKey = await send({ ...anthropicAdapter.buildTestRequest(target()), headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' } });
    expect(anthropicAdapter.parseError(badKey.status, await badKey.text()).kind).toBe('invalid_key');
  });

  it('meters a native pass-through stream', async () => {
    fake.setScript(() => richAnswer);
    const req = anthropicAdapter.native.buildRequest({ ...params, model: 'my-claude' }, target(), true);
    const meter = anthropicAdapter.native.createStreamMeter();
    const events = (await sseEvents(await send(req))).map((e) => meter.push(e));
    expect(meter.usage()).toEqual({ promptTokens: 50, completionTokens: 30, cacheReadTokens: 400, cacheWriteTokens: 20 });
    expect(events.map((e) => e.delta).join('')).toBe('The user wants the weather; call the tool.Let me check the weather.{"location":"Paris","unit":"celsius"}');
  });
});
