import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RelayError } from '../../src/errors.js';
import { createOpenAICompatibleAdapter, openaiAdapter } from '../../src/providers/openai/index.js';
import { joinUrl } from '../../src/providers/openai/url.js';
import { canDefer, UNREAD_MAX_CHARS } from '../../src/providers/openai/stream.js';
import { UpstreamStreamError, type ChatRequest, type UpstreamTarget } from '../../src/providers/types.js';
import { startFakeOpenAI, type FakeOpenAI, type Script } from '../fakes/openai-upstream.js';
import { CTX, fixture, jsonFixture, send, sseEvents } from './helpers.js';

const target = (over: Partial<UpstreamTarget> = {}): UpstreamTarget => ({
  baseUrl: 'https://api.openai.com',
  key: 'sk-test',
  model: 'gpt-4o-2024-08-06',
  config: {},
  ...over,
});

const request: ChatRequest = {
  model: 'my-alias',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'https://x/y.png' } }] },
  ],
  temperature: 0.2,
  logit_bias: { '50256': -100 },
  parallel_tool_calls: false,
  stream: false,
};

describe('OpenAI request building', () => {
  it.each([
    ['https://api.openai.com', 'https://api.openai.com/v1/chat/completions'],
    ['https://api.openai.com/', 'https://api.openai.com/v1/chat/completions'],
    ['https://api.openai.com/v1', 'https://api.openai.com/v1/chat/completions'],
    ['https://api.openai.com/v1/', 'https://api.openai.com/v1/chat/completions'],
    ['https://proxy.example/openai', 'https://proxy.example/openai/v1/chat/completions'],
  ])('base %s → %s', (baseUrl, url) => {
    expect(openaiAdapter.buildChatRequest(request, target({ baseUrl })).url).toBe(url);
  });

  it('replaces only the model and keeps every other field', () => {
    const built = openaiAdapter.buildChatRequest(request, target());
    expect(built.method).toBe('POST');
    expect(JSON.parse(built.body!)).toEqual({ ...request, model: 'gpt-4o-2024-08-06' });
  });

  it('sends the key as a bearer token, extra headers first, and no Authorization for an empty key', () => {
    const built = openaiAdapter.buildChatRequest(
      request,
      target({ config: { headers: { 'HTTP-Referer': 'https://relay.example', Authorization: 'Bearer hijack' } } }),
    );
    expect(built.headers).toEqual({
      'http-referer': 'https://relay.example',
      'content-type': 'application/json',
      authorization: 'Bearer sk-test',
    });
    const keyless = openaiAdapter.buildChatRequest(request, target({ key: '' }));
    expect(keyless.headers).toEqual({ 'content-type': 'application/json' });
  });

  it('lets a preset choose its paths and credential header', () => {
    const adapter = createOpenAICompatibleAdapter({
      type: 'acme',
      chatPath: '/chat/completions',
      embeddingsPath: '/embeddings',
      authHeader: (key) => ({ 'x-acme-key': key }),
    });
    const t = target({ baseUrl: 'https://acme.example/api/v4' });
    const chat = adapter.buildChatRequest(request, t);
    expect(adapter.type).toBe('acme');
    expect(chat.url).toBe('https://acme.example/api/v4/chat/completions');
    expect(chat.headers['x-acme-key']).toBe('sk-test');
    expect(chat.headers.authorization).toBeUndefined();
    expect(adapter.buildEmbeddingsRequest!({ model: 'e', input: 'x' }, t).url).toBe('https://acme.example/api/v4/embeddings');
  });

  it('builds embeddings as a pass-through with the model replaced', () => {
    const built = openaiAdapter.buildEmbeddingsRequest!(
      { model: 'alias', input: ['a', 'b'], dimensions: 256 },
      target({ model: 'text-embedding-3-small' }),
    );
    expect(built.url).toBe('https://api.openai.com/v1/embeddings');
    expect(JSON.parse(built.body!)).toEqual({ model: 'text-embedding-3-small', input: ['a', 'b'], dimensions: 256 });
  });

  it('builds a one-token test call', () => {
    const built = openaiAdapter.buildTestRequest(target());
    expect(built.url).toBe('https://api.openai.com/v1/chat/completions');
    expect(JSON.parse(built.body!)).toEqual({
      model: 'gpt-4o-2024-08-06',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 1,
    });
  });

  it('joins version segments only once', () => {
    expect(joinUrl('https://dashscope.aliyuncs.com/compatible-mode/v1', '/v1/chat/completions')).toBe(
      'https://dashscope.aliyuncs.com/compatible-mode/v1/chat/completions',
    );
    expect(joinUrl('https://host/v1beta', '/v1/chat/completions')).toBe('https://host/v1beta/v1/chat/completions');
    expect(joinUrl('https://host/chat', '/chat/completions')).toBe('https://host/chat/chat/completions');
  });
});

describe('OpenAI responses', () => {
  it('keeps the answer and puts the client-facing model name in', () => {
    const body = jsonFixture('openai', 'chat-completion.json') as Record<string, unknown>;
    const completion = openaiAdapter.parseChatResponse(body, CTX);
    expect(completion).toEqual({ ...body, model: 'client-model' });
    expect(completion.id).toBe('chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG');
  });

  it('keeps tool calls as they are', () => {
    const completion = openaiAdapter.parseChatResponse(jsonFixture('openai', 'chat-tool-calls.json'), CTX);
    expect(completion.choices[0]!.finish_reason).toBe('tool_calls');
    expect(completion.choices[0]!.message.tool_calls).toEqual([
      { id: 'call_abc123', type: 'function', function: { name: 'get_current_weather', arguments: '{\n"location": "Boston, MA"\n}' } },
    ]);
  });

  it('fills id and created when a compatible provider leaves them out', () => {
    const completion = openaiAdapter.parseChatResponse(
      { choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] },
      CTX,
    );
    expect(completion.id).toBe(CTX.id);
    expect(completion.created).toBe(CTX.created);
    expect(completion.object).toBe('chat.completion');
  });

  it.each([[null], ['text'], [{ choices: 'no' }], [{ choices: [{ index: 0 }] }]])('rejects malformed body %j', (body) => {
    expect(() => openaiAdapter.parseChatResponse(body, CTX)).toThrowError(RelayError);
    try {
      openaiAdapter.parseChatResponse(body, CTX);
    } catch (err) {
      expect((err as RelayError).code).toBe('upstream_error');
    }
  });

  it('treats a 200 that carries an error object as that error', () => {
    const body = { error: { message: 'You exceeded your current quota', type: 'insufficient_quota', code: 'insufficient_quota' } };
    expect(() => openaiAdapter.parseChatResponse(body, CTX)).toThrowError(UpstreamStreamError);
    try {
      openaiAdapter.parseChatResponse(body, CTX);
    } catch (err) {
      expect((err as UpstreamStreamError).info.kind).toBe('no_credit');
    }
  });
});

describe('OpenAI streams', () => {
  it('passes chunks through with the model replaced and takes usage from the usage chunk', () => {
    const stream = openaiAdapter.createChatStream(CTX);
    const chunks = sseEvents(fixture('openai', 'chat-stream.txt')).flatMap((e) => stream.push(e));
    expect(chunks).toHaveLength(5);
    expect(chunks.every((c) => c.model === 'client-model' && c.id === 'chatcmpl-123')).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? null)).toEqual(['', 'Hello', '!', null, null]);
    expect(chunks[3]!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks[4]!.choices).toEqual([]);
    expect(chunks[0]!.system_fingerprint).toBe('fp_44709d6fcb');
    const { chunks: tail, usage } = stream.finish();
    expect(tail).toEqual([]);
    expect(usage).toEqual({ promptTokens: 136, completionTokens: 2, cacheReadTokens: 1920, cacheWriteTokens: 0 });
  });

  it('ignores everything after [DONE], keep-alives and unparseable data', () => {
    const stream = openaiAdapter.createChatStream(CTX);
    expect(stream.push({ data: '' })).toEqual([]);
    expect(stream.push({ data: 'not json' })).toEqual([]);
    expect(stream.push({ data: '[DONE]' })).toEqual([]);
    const late = '{"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"late"},"finish_reason":null}]}';
    expect(stream.push({ data: late })).toEqual([]);
    expect(stream.finish().usage).toBeUndefined();
  });

  it('throws an in-stream error as UpstreamStreamError with its meaning', () => {
    const stream = openaiAdapter.createChatStream(CTX);
    const event = { data: '{"error":{"message":"The server had an error","type":"server_error","code":null}}' };
    expect(() => stream.push(event)).toThrowError(UpstreamStreamError);
    try {
      stream.push(event);
    } catch (err) {
      expect((err as UpstreamStreamError).info).toEqual({ kind: 'overloaded', message: 'The server had an error', type: 'server_error' });
    }
  });
});

describe('OpenAI usage', () => {
  it.each([
    ['cached tokens split out', { prompt_tokens: 1117, completion_tokens: 46, total_tokens: 1163, prompt_tokens_details: { cached_tokens: 1024 } }, { promptTokens: 93, completionTokens: 46, cacheReadTokens: 1024, cacheWriteTokens: 0 }],
    ['no details', { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }, { promptTokens: 10, completionTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 }],
    ['reasoning stays in completion', { prompt_tokens: 10, completion_tokens: 500, total_tokens: 510, completion_tokens_details: { reasoning_tokens: 448 } }, { promptTokens: 10, completionTokens: 500, cacheReadTokens: 0, cacheWriteTokens: 0 }],
    ['DeepSeek cache hits', { prompt_tokens: 100, completion_tokens: 7, total_tokens: 107, prompt_cache_hit_tokens: 64, prompt_cache_miss_tokens: 36 }, { promptTokens: 36, completionTokens: 7, cacheReadTokens: 64, cacheWriteTokens: 0 }],
    ['cached above prompt is clamped', { prompt_tokens: 10, completion_tokens: 1, total_tokens: 11, prompt_tokens_details: { cached_tokens: 50 } }, { promptTokens: 0, completionTokens: 1, cacheReadTokens: 10, cacheWriteTokens: 0 }],
  ])('%s', (_name, usage, expected) => {
    expect(openaiAdapter.usageOf(usage)).toEqual(expected);
  });

  it('has no usage for null or undefined', () => {
    expect(openaiAdapter.usageOf(null)).toBeUndefined();
    expect(openaiAdapter.usageOf(undefined)).toBeUndefined();
  });
});

describe('OpenAI error classification', () => {
  it.each([
    [401, fixture('openai', 'error-invalid-api-key.json'), 'invalid_key', 'invalid_api_key'],
    [429, fixture('openai', 'error-insufficient-quota.json'), 'no_credit', 'insufficient_quota'],
    [429, fixture('openai', 'error-rate-limit.json'), 'rate_limited', 'rate_limit_exceeded'],
    [400, fixture('openai', 'error-context-length.json'), 'bad_request', 'context_length_exceeded'],
    [500, fixture('openai', 'error-server.json'), 'overloaded', undefined],
    [400, '{"error":{"message":"Billing hard limit has been reached","type":"invalid_request_error","code":"billing_hard_limit_reached"}}', 'no_credit', 'billing_hard_limit_reached'],
    [403, '{"error":{"message":"This key is associated with a deactivated account.","type":"invalid_request_error","code":"account_deactivated"}}', 'invalid_key', 'account_deactivated'],
    [403, '{"error":{"message":"Country, region, or territory not supported","type":"request_forbidden","code":"unsupported_country_region_territory"}}', 'other', 'unsupported_country_region_territory'],
    [404, '{"error":{"message":"The model `gpt-9` does not exist","type":"invalid_request_error","code":"model_not_found"}}', 'bad_request', 'model_not_found'],
    [422, '{"object":"error","message":"Input should be a valid list","type":"invalid_request_error","param":null,"code":null}', 'bad_request', undefined],
    [402, '{"error":{"message":"Insufficient Balance","type":"unknown_error","param":null,"code":"invalid_request_error"}}', 'no_credit', 'invalid_request_error'],
    [429, '{"error":{"code":"1113","message":"余额不足或无可用资源包,请充值。"}}', 'no_credit', '1113'],
    [429, '{"error":{"message":"Your account is suspended","type":"exceeded_current_quota_error"}}', 'no_credit', undefined],
    [503, '{"error":{"message":"Engine is overloaded","type":"engine_overloaded_error"}}', 'overloaded', undefined],
    [529, '{"error":{"message":"Overloaded"}}', 'overloaded', undefined],
  ])('HTTP %i %s → %s', (status, body, kind, code) => {
    const info = openaiAdapter.parseError(status, body);
    expect(info.kind).toBe(kind);
    expect(info.code).toBe(code);
    expect(info.message.length).toBeGreaterThan(0);
  });

  it('passes the upstream message on', () => {
    const info = openaiAdapter.parseError(400, fixture('openai', 'error-context-length.json'));
    expect(info).toEqual({
      kind: 'bad_request',
      message:
        "This model's maximum context length is 128000 tokens. However, your messages resulted in 130412 tokens. Please reduce the length of the messages.",
      type: 'invalid_request_error',
      code: 'context_length_exceeded',
    });
  });

  it.each([
    [502, '<html><body>Bad Gateway</body></html>', 'overloaded', 'upstream answered HTTP 502: <html><body>Bad Gateway</body></html>'],
    [429, 'Too Many Requests', 'rate_limited', 'upstream answered HTTP 429: Too Many Requests'],
    [400, '<html>nginx</html>', 'other', 'upstream answered HTTP 400: <html>nginx</html>'],
    [418, '', 'other', 'upstream answered HTTP 418'],
    [401, '{"unexpected":true}', 'invalid_key', 'upstream answered HTTP 401: {"unexpected":true}'],
    [402, 'Payment Required', 'no_credit', 'upstream answered HTTP 402: Payment Required'],
  ])('garbage: HTTP %i %j → %s', (status, body, kind, message) => {
    expect(openaiAdapter.parseError(status, body)).toEqual({ kind, message });
  });

  it('handles {error: "text"} and {message} bodies', () => {
    expect(openaiAdapter.parseError(401, '{"error":"Invalid token"}')).toEqual({ kind: 'invalid_key', message: 'Invalid token' });
    expect(openaiAdapter.parseError(401, '{"message":"Unauthorized","request_id":"abc"}')).toEqual({
      kind: 'invalid_key',
      message: 'Unauthorized',
    });
  });
});

describe('OpenAI native pass-through', () => {
  it('replaces the model and sets stream', () => {
    const built = openaiAdapter.native.buildRequest({ model: 'alias', messages: [], seed: 7, stream: false }, target(), true);
    expect(built.url).toBe('https://api.openai.com/v1/chat/completions');
    expect(JSON.parse(built.body!)).toEqual({ model: 'gpt-4o-2024-08-06', messages: [], seed: 7, stream: true });
  });

  it('reads usage and text of a whole answer', () => {
    const body = jsonFixture('openai', 'chat-completion.json');
    expect(openaiAdapter.native.usageOfResponse(body)).toEqual({
      promptTokens: 93,
      completionTokens: 46,
      cacheReadTokens: 1024,
      cacheWriteTokens: 0,
    });
    expect(openaiAdapter.native.textOfResponse(body)).toBe(
      'The image shows a wooden boardwalk path running through a lush green field or meadow.',
    );
    expect(openaiAdapter.native.textOfResponse(jsonFixture('openai', 'chat-tool-calls.json'))).toBe(
      'get_current_weather{\n"location": "Boston, MA"\n}',
    );
    expect(openaiAdapter.native.usageOfResponse({ choices: [] })).toBeUndefined();
    expect(openaiAdapter.native.textOfResponse('garbage')).toBe('');
  });

  it('meters a chat stream', () => {
    const meter = openaiAdapter.native.createStreamMeter();
    const events = sseEvents(fixture('openai', 'chat-stream.txt')).map((e) => meter.push(e));
    // The text chunks ("usage": null) are left unread: their text is read when asked for, in order.
    expect(events.map((e) => e.delta).join('')).toBe('');
    expect(meter.unreadText!()).toBe('Hello!');
    expect(meter.unreadText!()).toBe(''); // read once
    // The usage chunk (choices: []) is usage only; [DONE] ends and closes the stream.
    expect(events.slice(-2)).toEqual([
      { delta: '', ended: false, closing: false, usageOnly: true },
      { delta: '', ended: true, closing: true, usageOnly: false },
    ]);
    expect(events.slice(0, -2).every((e) => !e.ended && !e.usageOnly && !e.error)).toBe(true);
    expect(meter.usage()).toEqual({ promptTokens: 136, completionTokens: 2, cacheReadTokens: 1920, cacheWriteTokens: 0 });
  });

  it('meters a legacy completions stream and survives error events', () => {
    const meter = openaiAdapter.native.createStreamMeter();
    const events = sseEvents(fixture('openai', 'completions-stream.txt')).map((e) => meter.push(e));
    expect(meter.push({ data: '{"error":{"message":"boom","type":"server_error"}}' })).toEqual({
      delta: '',
      ended: false,
      closing: false,
      error: { kind: 'overloaded', message: 'boom', type: 'server_error' },
      usageOnly: false,
    });
    expect(events.map((e) => e.delta).join('') + meter.unreadText!()).toBe('This is a test');
    expect(meter.usage()).toEqual({ promptTokens: 5, completionTokens: 4, cacheReadTokens: 0, cacheWriteTokens: 0 });
  });

  it('reads at once what matters now (errors, usage reports), keeps text in order, and bounds what it leaves unread', () => {
    const chunk = (fields: Record<string, unknown>) => ({ data: JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', ...fields }) });
    const text = (content: string, extra: Record<string, unknown> = {}) => chunk({ choices: [{ index: 0, delta: { content }, finish_reason: null }], ...extra });
    // What may be left unread: a chunk with a choices array, no "error", no usage report ("usage": null is none, also
    // with the spaces Python's json.dumps writes).
    expect(canDefer(text('a').data)).toBe(true);
    expect(canDefer(text('a', { usage: null }).data)).toBe(true);
    expect(canDefer('{"choices": [{"delta": {"content": "a"}}], "usage": null}')).toBe(true);
    expect(canDefer('{"choices":[],"usage":{"prompt_tokens":1}}')).toBe(false);
    expect(canDefer('{"choices": [], "usage" : {"prompt_tokens": 1}}')).toBe(false);
    expect(canDefer('{"error":{"message":"x"},"choices":[]}')).toBe(false);
    expect(canDefer('{"choices":{"0":"not an array"}}')).toBe(false);
    expect(canDefer('{"id":"no choices at all"}')).toBe(false);
    // Quotes inside a string are escaped, so text that talks about "usage" or "error" does not count.
    expect(canDefer(text('the "error" and "usage": {} words').data)).toBe(true);

    const meter = openaiAdapter.native.createStreamMeter();
    expect(meter.push(text('one ')).delta).toBe('');
    expect(meter.push(text('two ')).delta).toBe('');
    // A chunk that must be read now and has text of its own carries the unread text first: the order stays.
    expect(meter.push(text('three ', { usage: { prompt_tokens: 3, completion_tokens: 3 } })).delta).toBe('one two three ');
    expect(meter.push(text('four ')).delta).toBe('');
    // A usage-only chunk has no text: it reads nothing (the unread text stays unread).
    expect(meter.push(chunk({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 4 } }))).toMatchObject({ delta: '', usageOnly: true });
    // An error event leaves the text before it for unreadText(), which the relay asks when the stream stops.
    expect(meter.push({ data: '{"error":{"message":"boom","type":"server_error"}}' })).toMatchObject({ delta: '', error: { message: 'boom' } });
    expect(meter.unreadText!()).toBe('four ');
    expect(meter.usage()).toMatchObject({ promptTokens: 3, completionTokens: 4 });

    // Never more than UNREAD_MAX_CHARS kept: the event that reaches it gets all their text.
    const bounded = openaiAdapter.native.createStreamMeter();
    const piece = 'x'.repeat(1000);
    let got = '';
    let pushes = 0;
    while (got === '') {
      got = bounded.push(text(piece)).delta;
      pushes++;
    }
    expect(pushes).toBeLessThanOrEqual(Math.ceil(UNREAD_MAX_CHARS / 1000));
    expect(got).toBe(piece.repeat(pushes));
    expect(bounded.unreadText!()).toBe('');
  });

  it('meters reasoning and tool-call deltas as generated text', () => {
    const meter = openaiAdapter.native.createStreamMeter();
    const chunk = (delta: unknown) => ({ data: JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: null }] }) });
    const deltas = [
      meter.push(chunk({ reasoning_content: 'think ' })),
      meter.push(chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } }] })),
      meter.push(chunk({ tool_calls: [{ index: 0, function: { arguments: '{"a":1}' } }] })),
    ].map((e) => e.delta);
    expect(deltas.join('') + meter.unreadText!()).toBe('think f{"a":1}');
    expect(meter.usage()).toBeUndefined();
  });
});

describe('OpenAI against the fake API', () => {
  let fake: FakeOpenAI;
  const live = (over: Partial<UpstreamTarget> = {}): UpstreamTarget => target({ baseUrl: `${fake.url}/v1`, key: 'sk-upstream', model: 'gpt-4o-mini', ...over });

  beforeAll(async () => {
    fake = await startFakeOpenAI({ keys: ['sk-upstream'] });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
    fake.setScript(null);
  });

  it('answers a chat call with the mapped model sent and the client model returned', async () => {
    fake.setScript(() => ({ kind: 'answer', text: 'Hi!', usage: { prompt: 40, completion: 3, cached: 32 } }));
    const res = await send(openaiAdapter.buildChatRequest({ ...request, model: 'alias' }, live()));
    expect(res.status).toBe(200);
    expect(fake.requests[0]!.body?.model).toBe('gpt-4o-mini');
    expect(fake.requests[0]!.url).toBe('/v1/chat/completions');
    const completion = openaiAdapter.parseChatResponse(JSON.parse(res.text), CTX);
    expect(completion.model).toBe('client-model');
    expect(completion.choices[0]!.message.content).toBe('Hi!');
    expect(openaiAdapter.usageOf(completion.usage)).toEqual({ promptTokens: 8, completionTokens: 3, cacheReadTokens: 32, cacheWriteTokens: 0 });
  });

  it('translates a stream with a tool call and usage', async () => {
    fake.setScript(() => ({ kind: 'stream', chunks: ['A', 'B'], usage: { prompt: 20, completion: 2 }, toolCall: { name: 'f', arguments: '{"x":1}' } }));
    const res = await send(openaiAdapter.buildChatRequest({ ...request, stream: true, stream_options: { include_usage: true } }, live()));
    const stream = openaiAdapter.createChatStream(CTX);
    const chunks = sseEvents(res.text).flatMap((e) => stream.push(e));
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('AB');
    expect(chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []).map((t) => t.function?.arguments).join('')).toBe('{"x":1}');
    expect(chunks.every((c) => c.model === 'client-model')).toBe(true);
    expect(stream.finish().usage).toEqual({ promptTokens: 20, completionTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0 });
  });

  const errorCases: Array<[string, Script | null, Partial<UpstreamTarget>, string]> = [
    ['a wrong key', null, { key: 'sk-wrong' }, 'invalid_key'],
    ['an exhausted account', { kind: 'error', status: 429, code: 'insufficient_quota', type: 'insufficient_quota' }, {}, 'no_credit'],
    ['throttling', { kind: 'error', status: 429 }, {}, 'rate_limited'],
    ['a server error', { kind: 'error', status: 503 }, {}, 'overloaded'],
    ['a proxy page', { kind: 'raw', status: 502, body: '<html>bad gateway</html>', contentType: 'text/html' }, {}, 'overloaded'],
  ];
  it.each(errorCases)('classifies %s', async (_name, script, over, kind) => {
    fake.setScript(script ? () => script : null);
    const res = await send(openaiAdapter.buildChatRequest(request, live(over)));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(openaiAdapter.parseError(res.status, res.text).kind).toBe(kind);
  });

  it('sends embeddings and the test call', async () => {
    const emb = await send(openaiAdapter.buildEmbeddingsRequest!({ model: 'alias', input: ['a'] }, live({ model: 'text-embedding-3-small' })));
    expect(emb.status).toBe(200);
    expect(fake.requests[0]!.url).toBe('/v1/embeddings');
    expect((await send(openaiAdapter.buildTestRequest(live()))).status).toBe(200);
  });
});
