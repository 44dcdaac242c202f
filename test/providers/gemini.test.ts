import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RelayError } from '../../src/errors.js';
import { SKIP_THOUGHT_SIGNATURE, geminiAdapter, toGeminiRequest } from '../../src/providers/gemini/index.js';
import { toGeminiSchema } from '../../src/providers/gemini/schema.js';
import { UpstreamStreamError, type ChatRequest, type UpstreamTarget } from '../../src/providers/types.js';
import { defaultGeminiScript, startFakeGemini, type FakeGemini } from '../fakes/gemini-upstream.js';
import { CTX, fixture, jsonFixture, send, sseEvents } from './helpers.js';

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg==';

const chat = (over: Partial<ChatRequest>): ChatRequest => ({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }], ...over });

function caught(fn: () => unknown): RelayError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RelayError) return err;
    throw err;
  }
  throw new Error('expected a RelayError');
}

describe('Gemini request mapping', () => {
  it('moves system and developer messages to systemInstruction and maps roles', () => {
    const body = toGeminiRequest(
      chat({
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
          { role: 'user', content: 'Hello' },
          { role: 'assistant', content: 'Bonjour' },
          { role: 'user', content: 'Again' },
        ],
      }),
    );
    expect(body).toEqual({
      contents: [
        { role: 'user', parts: [{ text: 'Hello' }] },
        { role: 'model', parts: [{ text: 'Bonjour' }] },
        { role: 'user', parts: [{ text: 'Again' }] },
      ],
      systemInstruction: { parts: [{ text: 'You are terse.' }, { text: 'Answer in French.' }] },
    });
  });

  it('merges consecutive same-role messages and inlines data: images', () => {
    const body = toGeminiRequest(
      chat({
        messages: [
          { role: 'user', content: 'First' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}`, detail: 'high' } },
            ],
          },
        ],
      }),
    );
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'First' }, { text: 'What is this?' }, { inlineData: { mimeType: 'image/png', data: PNG } }] },
    ]);
  });

  it('refuses an http image URL that was not inlined', () => {
    const err = caught(() =>
      toGeminiRequest(chat({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x.test/a.png' } }] }] })),
    );
    expect(err.code).toBe('unsupported_image');
    expect(err.details.param).toBe('messages[0].content[0].image_url.url');
  });

  it('maps audio and file parts to inlineData', () => {
    const body = toGeminiRequest(
      chat({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
              { type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } },
            ],
          },
        ],
      }),
    );
    expect(body.contents[0]!.parts).toEqual([
      { inlineData: { mimeType: 'audio/wav', data: 'UklGRg==' } },
      { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=' } },
    ]);
  });

  it('maps tool calls and tool results, finding names by call id', () => {
    const body = toGeminiRequest(
      chat({
        messages: [
          { role: 'user', content: 'Weather in Lisbon and Paris? Also the time.' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lisbon"}' } },
              { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '' } },
            ],
          },
          { role: 'tool', tool_call_id: 'call_a', content: '{"temp":21,"sky":"clear"}' },
          { role: 'tool', tool_call_id: 'call_b', content: '12:00' },
          { role: 'user', content: 'Thanks' },
        ],
      }),
    );
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'Weather in Lisbon and Paris? Also the time.' }] },
      {
        role: 'model',
        parts: [
          { functionCall: { name: 'get_weather', args: { city: 'Lisbon' } }, thoughtSignature: SKIP_THOUGHT_SIGNATURE },
          { functionCall: { name: 'get_time', args: {} } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'get_weather', response: { temp: 21, sky: 'clear' } } },
          { functionResponse: { name: 'get_time', response: { result: '12:00' } } },
          { text: 'Thanks' },
        ],
      },
    ]);
  });

  it('replays a thought signature carried on the tool call, and resolves repeated ids to the latest call', () => {
    const body = toGeminiRequest(
      chat({
        messages: [
          { role: 'user', content: 'go' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'call_0', type: 'function', function: { name: 'first', arguments: '{}' }, extra_content: { google: { thought_signature: 'sig-1' } } } as never,
            ],
          },
          { role: 'tool', tool_call_id: 'call_0', content: '[1,2]' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'call_0', type: 'function', function: { name: 'second', arguments: '{}' } }] },
          { role: 'tool', tool_call_id: 'call_0', content: 'true' },
        ],
      }),
    );
    expect(body.contents[1]!.parts[0]!.thoughtSignature).toBe('sig-1');
    expect(body.contents[2]!.parts[0]).toEqual({ functionResponse: { name: 'first', response: { result: [1, 2] } } });
    expect(body.contents[4]!.parts[0]).toEqual({ functionResponse: { name: 'second', response: { result: true } } });
  });

  it.each([
    [{ role: 'tool', tool_call_id: 'call_missing', content: 'x' }, 'messages[1].tool_call_id'],
    [{ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '[1]' } }] }, 'messages[1].tool_calls[0].function.arguments'],
    [{ role: 'user', content: [{ type: 'video', video: {} }] }, 'messages[1].content[0].type'],
    [{ role: 'critic', content: 'x' }, 'messages[1].role'],
  ])('rejects %j naming %s', (message, param) => {
    const err = caught(() => toGeminiRequest(chat({ messages: [{ role: 'user', content: 'hi' }, message as never] })));
    expect(err.code).toBe('invalid_request');
    expect(err.details.param).toBe(param);
  });

  it('maps tools, tool_choice and generation settings', () => {
    const body = toGeminiRequest(
      chat({
        tools: [
          {
            type: 'function',
            function: {
              name: 'get_weather',
              description: 'Current weather',
              parameters: {
                $schema: 'http://json-schema.org/draft-07/schema#',
                type: 'object',
                properties: { city: { type: 'string', description: 'City name' }, unit: { type: 'string', enum: ['c', 'f'] } },
                required: ['city'],
                additionalProperties: false,
              },
              strict: true,
            },
          },
          { type: 'function', function: { name: 'now', parameters: { type: 'object', properties: {} } } },
        ],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
        max_tokens: 100,
        max_completion_tokens: 200,
        temperature: 0.3,
        top_p: 0.9,
        stop: 'END',
        n: 2,
        presence_penalty: 0.5,
        frequency_penalty: 0.25,
        seed: 42,
        response_format: { type: 'json_object' },
        user: 'u-1',
      }),
    );
    expect(body.tools).toEqual([
      {
        functionDeclarations: [
          {
            name: 'get_weather',
            description: 'Current weather',
            parameters: {
              type: 'object',
              properties: { city: { type: 'string', description: 'City name' }, unit: { type: 'string', enum: ['c', 'f'] } },
              required: ['city'],
            },
          },
          { name: 'now' },
        ],
      },
    ]);
    expect(body.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } });
    expect(body.generationConfig).toEqual({
      maxOutputTokens: 200,
      temperature: 0.3,
      topP: 0.9,
      stopSequences: ['END'],
      candidateCount: 2,
      presencePenalty: 0.5,
      frequencyPenalty: 0.25,
      seed: 42,
      responseMimeType: 'application/json',
    });
  });

  it.each([
    ['auto', { mode: 'AUTO' }],
    ['none', { mode: 'NONE' }],
    ['required', { mode: 'ANY' }],
  ] as const)('tool_choice %s', (choice, config) => {
    expect(toGeminiRequest(chat({ tool_choice: choice })).toolConfig).toEqual({ functionCallingConfig: config });
  });

  it('sends a json_schema response format as responseSchema', () => {
    const body = toGeminiRequest(
      chat({
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'answer',
            strict: true,
            schema: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'], additionalProperties: false },
          },
        },
      }),
    );
    expect(body.generationConfig).toEqual({
      responseMimeType: 'application/json',
      responseSchema: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
    });
  });
});

describe('JSON Schema → Gemini schema', () => {
  it.each([
    ['nullable type union', { type: ['string', 'null'], format: 'uri' }, { type: 'string', nullable: true }],
    ['anyOf with null', { anyOf: [{ type: 'integer', format: 'int64' }, { type: 'null' }] }, { type: 'integer', format: 'int64', nullable: true }],
    ['oneOf becomes anyOf', { oneOf: [{ type: 'string' }, { type: 'number' }] }, { anyOf: [{ type: 'string' }, { type: 'number' }] }],
    ['const becomes enum', { const: 'fixed' }, { enum: ['fixed'], type: 'string' }],
    ['non-string enums are dropped', { type: 'integer', enum: [1, 2] }, { type: 'integer' }],
    ['date-time format kept', { type: 'string', format: 'date-time', default: 'now' }, { type: 'string', format: 'date-time', default: 'now' }],
    ['required limited to properties', { type: 'object', properties: { a: { type: 'string' } }, required: ['a', 'b'] }, { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }],
    ['tuple items take the first', { type: 'array', items: [{ type: 'string' }], minItems: 1 }, { type: 'array', items: { type: 'string' }, minItems: 1 }],
  ])('%s', (_name, input, expected) => {
    expect(toGeminiSchema(input)).toEqual(expected);
  });

  it('inlines local $refs and stops at cycles', () => {
    const schema = {
      type: 'object',
      properties: { home: { $ref: '#/$defs/Address' }, node: { $ref: '#/definitions/Node' } },
      $defs: { Address: { type: 'object', properties: { street: { type: 'string' } }, additionalProperties: false } },
      definitions: { Node: { type: 'object', properties: { next: { $ref: '#/definitions/Node' } } } },
    };
    const out = toGeminiSchema(schema) as { properties: Record<string, unknown> };
    expect(out.properties.home).toEqual({ type: 'object', properties: { street: { type: 'string' } } });
    let node = out.properties.node as { properties?: { next: unknown }; type: string };
    let depth = 0;
    while (node.properties && depth < 20) {
      node = node.properties.next as typeof node;
      depth++;
    }
    expect(depth).toBe(8);
    expect(node).toEqual({ type: 'object' });
  });
});

describe('Gemini URLs and headers', () => {
  const target: UpstreamTarget = { baseUrl: 'https://generativelanguage.googleapis.com/', key: 'AIza-k', model: 'models/gemini-2.5-flash', config: {} };

  it('picks the method by stream and sends x-goog-api-key', () => {
    const plain = geminiAdapter.buildChatRequest(chat({}), target);
    expect(plain.url).toBe('https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent');
    expect(plain.headers).toEqual({ 'content-type': 'application/json', 'x-goog-api-key': 'AIza-k' });
    const streamed = geminiAdapter.buildChatRequest(chat({ stream: true }), { ...target, baseUrl: 'https://proxy.test/v1beta' });
    expect(streamed.url).toBe('https://proxy.test/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
  });

  it('native pass-through sends the body as is', () => {
    const body = { contents: [{ parts: [{ text: 'hi' }] }], safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }] };
    const built = geminiAdapter.native.buildRequest(body, target, true);
    expect(built.url).toBe('https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    expect(JSON.parse(built.body!)).toEqual(body);
  });

  it('builds a one-token test call', () => {
    const built = geminiAdapter.buildTestRequest(target);
    expect(built.url).toBe('https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent');
    expect(JSON.parse(built.body!)).toEqual({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }], generationConfig: { maxOutputTokens: 1 } });
  });

  it('is flagged as needing inline images and has no embeddings', () => {
    expect(geminiAdapter.requiresInlineImages).toBe(true);
    expect(geminiAdapter.nativeFormat).toBe('gemini');
    expect(geminiAdapter.buildEmbeddingsRequest).toBeUndefined();
  });
});

describe('Gemini answers from documented examples', () => {
  it('splits thoughts from the answer and converts usage with cache and thoughts', () => {
    const completion = geminiAdapter.parseChatResponse(jsonFixture('gemini', 'generate-content.json'), CTX);
    expect(completion).toEqual({
      id: CTX.id,
      object: 'chat.completion',
      created: CTX.created,
      model: 'client-model',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'AI learns patterns from data and uses them to make predictions.',
            reasoning_content: '**Thinking about the question**\nThe user asks how AI works; a short plain answer fits.',
          },
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: 2071,
        completion_tokens: 470,
        total_tokens: 2541,
        prompt_tokens_details: { cached_tokens: 2048 },
        completion_tokens_details: { reasoning_tokens: 458 },
      },
    });
    expect(geminiAdapter.usageOf(completion.usage)).toEqual({ promptTokens: 23, completionTokens: 470, cacheReadTokens: 2048, cacheWriteTokens: 0 });
  });

  it('turns function calls into tool calls', () => {
    const completion = geminiAdapter.parseChatResponse(jsonFixture('gemini', 'function-call.json'), CTX);
    expect(completion.choices[0]).toEqual({
      index: 0,
      message: {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_0', type: 'function', function: { name: 'set_light_values', arguments: '{"brightness":25,"color_temp":"warm"}' } },
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Lisbon"}' } },
        ],
      },
      finish_reason: 'tool_calls',
    });
  });

  it('answers a blocked prompt with content_filter and empty content', () => {
    const completion = geminiAdapter.parseChatResponse(jsonFixture('gemini', 'blocked-prompt.json'), CTX);
    expect(completion.choices).toEqual([{ index: 0, message: { role: 'assistant', content: '' }, finish_reason: 'content_filter' }]);
    expect(geminiAdapter.usageOf(completion.usage)).toEqual({ promptTokens: 12, completionTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 });
  });

  it.each([
    ['STOP', 'stop'],
    ['MAX_TOKENS', 'length'],
    ['SAFETY', 'content_filter'],
    ['RECITATION', 'content_filter'],
    ['PROHIBITED_CONTENT', 'content_filter'],
    ['BLOCKLIST', 'content_filter'],
    ['SPII', 'content_filter'],
    ['OTHER', 'stop'],
    ['MALFORMED_FUNCTION_CALL', 'stop'],
  ])('finishReason %s → %s', (reason, expected) => {
    const body = { candidates: [{ content: { role: 'model', parts: [{ text: 'x' }] }, finishReason: reason, index: 0 }] };
    expect(geminiAdapter.parseChatResponse(body, CTX).choices[0]!.finish_reason).toBe(expected);
  });

  it('maps several candidates to several choices', () => {
    const body = {
      candidates: [
        { content: { role: 'model', parts: [{ text: 'A' }] }, finishReason: 'STOP', index: 0 },
        { content: { role: 'model', parts: [{ text: 'B' }] }, finishReason: 'MAX_TOKENS', index: 1 },
      ],
    };
    const choices = geminiAdapter.parseChatResponse(body, CTX).choices;
    expect(choices.map((c) => [c.index, c.message.content, c.finish_reason])).toEqual([
      [0, 'A', 'stop'],
      [1, 'B', 'length'],
    ]);
  });

  it('rejects an answer with neither candidates nor a block reason', () => {
    expect(caught(() => geminiAdapter.parseChatResponse({ usageMetadata: {} }, CTX)).code).toBe('upstream_error');
    expect(caught(() => geminiAdapter.parseChatResponse('x', CTX)).code).toBe('upstream_error');
  });

  it('translates the documented stream', () => {
    const stream = geminiAdapter.createChatStream(CTX);
    const chunks = sseEvents(fixture('gemini', 'stream.txt')).flatMap((e) => stream.push(e));
    expect(chunks.map((c) => c.choices[0]!.delta)).toEqual([
      { role: 'assistant', content: 'The' },
      { content: ' quick brown fox jumps' },
      { content: ' over the lazy dog.\n' },
      {},
    ]);
    expect(chunks.map((c) => c.choices[0]!.finish_reason)).toEqual([null, null, null, 'stop']);
    expect(chunks.every((c) => c.id === CTX.id && c.model === 'client-model' && c.object === 'chat.completion.chunk')).toBe(true);
    const end = stream.finish();
    expect(end.usage).toEqual({ promptTokens: 9, completionTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0 });
    // One usage-only chunk, as OpenAI sends for stream_options.include_usage.
    expect(end.chunks).toEqual([expect.objectContaining({ id: CTX.id, choices: [], usage: expect.objectContaining({ prompt_tokens: 9, completion_tokens: 10 }) })]);
  });

  it('streams a blocked prompt as a content_filter finish', () => {
    const stream = geminiAdapter.createChatStream(CTX);
    const chunks = stream.push({ data: fixture('gemini', 'blocked-prompt.json') });
    expect(chunks.map((c) => [c.choices[0]!.delta, c.choices[0]!.finish_reason])).toEqual([
      [{ role: 'assistant', content: '' }, null],
      [{}, 'content_filter'],
    ]);
  });
});

describe('Gemini error classification', () => {
  it.each([
    [400, 'error-api-key-invalid.json', 'invalid_key', 'API_KEY_INVALID'],
    [403, 'error-permission-denied.json', 'invalid_key', 'PERMISSION_DENIED'],
    [429, 'error-resource-exhausted.json', 'rate_limited', 'RESOURCE_EXHAUSTED'],
    [503, 'error-unavailable.json', 'overloaded', 'UNAVAILABLE'],
    [400, 'error-invalid-argument.json', 'bad_request', 'INVALID_ARGUMENT'],
  ])('HTTP %i %s → %s', (status, file, kind, code) => {
    const body = fixture('gemini', file);
    const info = geminiAdapter.parseError(status, body);
    expect(info.kind).toBe(kind);
    expect(info.code).toBe(code);
    expect(info.message).toBe((JSON.parse(body) as { error: { message: string } }).error.message);
  });

  it.each([
    [404, '{"error":{"code":404,"message":"models/gemini-9 is not found for API version v1beta","status":"NOT_FOUND"}}', 'bad_request'],
    [401, '{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}', 'invalid_key'],
    [500, '{"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}}', 'overloaded'],
    [400, '{"error":{"code":400,"message":"User location is not supported for the API use without a billing account linked.","status":"FAILED_PRECONDITION"}}', 'no_credit'],
    [400, '[{"error":{"code":400,"message":"API key expired. Please renew the API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}}]', 'invalid_key'],
    [502, '<html><title>502 Bad Gateway</title></html>', 'overloaded'],
    [400, 'garbage', 'other'],
  ])('HTTP %i %s → %s', (status, body, kind) => {
    expect(geminiAdapter.parseError(status, body).kind).toBe(kind);
  });

  it('mentions the status when the body is unreadable', () => {
    expect(geminiAdapter.parseError(502, '').message).toBe('upstream answered HTTP 502');
  });
});

describe('Gemini native metering', () => {
  it('reads usage and text of a whole answer', () => {
    const body = jsonFixture('gemini', 'generate-content.json');
    expect(geminiAdapter.native.usageOfResponse(body)).toEqual({ promptTokens: 23, completionTokens: 470, cacheReadTokens: 2048, cacheWriteTokens: 0 });
    expect(geminiAdapter.native.textOfResponse(body)).toBe(
      '**Thinking about the question**\nThe user asks how AI works; a short plain answer fits.AI learns patterns from data and uses them to make predictions.',
    );
    expect(geminiAdapter.native.textOfResponse(jsonFixture('gemini', 'function-call.json'))).toBe(
      'set_light_values{"brightness":25,"color_temp":"warm"}get_weather{"location":"Lisbon"}',
    );
  });

  it('meters a stream', () => {
    const meter = geminiAdapter.native.createStreamMeter();
    const events = sseEvents(fixture('gemini', 'stream.txt')).map((e) => meter.push(e));
    expect(meter.push({ data: '{"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}}' }).error).toEqual({
      kind: 'overloaded',
      message: 'overloaded',
      type: 'UNAVAILABLE',
      code: 'UNAVAILABLE',
    });
    expect(events.map((e) => e.delta).join('')).toBe('The quick brown fox jumps over the lazy dog.\n');
    // The last event carries the finishReason (and text): it ends the stream, and is sent as it comes.
    expect(events.map((e) => e.ended)).toEqual([...events.slice(1).map(() => false), true]);
    expect(events.some((e) => e.closing || e.usageOnly)).toBe(false);
    expect(meter.usage()).toEqual({ promptTokens: 9, completionTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0 });
  });
});

describe('Gemini against the fake API', () => {
  let fake: FakeGemini;
  const target = (over: Partial<UpstreamTarget> = {}): UpstreamTarget => ({
    baseUrl: fake.url,
    key: 'AIza-good',
    model: 'gemini-2.5-flash',
    config: {},
    ...over,
  });

  beforeAll(async () => {
    fake = await startFakeGemini({ keys: ['AIza-good'] });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
    fake.setScript(defaultGeminiScript);
  });

  it('answers a plain call', async () => {
    const res = await send(geminiAdapter.buildChatRequest(chat({ messages: [{ role: 'user', content: 'ping' }] }), target()));
    expect(res.status).toBe(200);
    const completion = geminiAdapter.parseChatResponse(JSON.parse(res.text), CTX);
    expect(completion.choices[0]!.message.content).toBe('Echo: ping');
    expect(geminiAdapter.usageOf(completion.usage)).toEqual({ promptTokens: 12, completionTokens: 8, cacheReadTokens: 0, cacheWriteTokens: 0 });
    expect(fake.requests[0]!.headers['x-goog-api-key']).toBe('AIza-good');
    expect(fake.requests[0]!.action).toBe('generateContent');
  });

  it('streams thoughts, text and whole function calls', async () => {
    fake.setScript(() => ({
      kind: 'answer',
      parts: [
        { text: 'Need the weather tool.', thought: true },
        { text: 'Let me check.' },
        { functionCall: { name: 'get_weather', args: { city: 'Lisbon' } }, thoughtSignature: 'sig' },
        { functionCall: { name: 'get_time', args: {} } },
      ],
      usage: { promptTokenCount: 40, candidatesTokenCount: 15, thoughtsTokenCount: 30, cachedContentTokenCount: 32 },
    }));
    const res = await send(geminiAdapter.buildChatRequest(chat({ stream: true }), target()));
    expect(fake.requests[0]!.query.alt).toBe('sse');
    const stream = geminiAdapter.createChatStream(CTX);
    const chunks = sseEvents(res.text).flatMap((e) => stream.push(e));
    const deltas = chunks.map((c) => c.choices[0]!.delta);
    expect(deltas.map((d) => d.reasoning_content ?? '').join('')).toBe('Need the weather tool.');
    expect(deltas.map((d) => d.content ?? '').join('')).toBe('Let me check.');
    expect(deltas.flatMap((d) => d.tool_calls ?? [])).toEqual([
      { index: 0, id: 'call_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lisbon"}' } },
      { index: 1, id: 'call_1', type: 'function', function: { name: 'get_time', arguments: '{}' } },
    ]);
    expect(deltas.filter((d) => d.role === 'assistant')).toHaveLength(1);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('tool_calls');
    expect(stream.finish().usage).toEqual({ promptTokens: 8, completionTokens: 45, cacheReadTokens: 32, cacheWriteTokens: 0 });
  });

  it('throws an in-stream error event', async () => {
    fake.setScript(() => ({ kind: 'answer', parts: [{ text: 'a long answer that is cut' }], stream: { errorAfter: 1 } }));
    const res = await send(geminiAdapter.buildChatRequest(chat({ stream: true }), target()));
    const stream = geminiAdapter.createChatStream(CTX);
    const events = sseEvents(res.text);
    expect(stream.push(events[0]!)).toHaveLength(1);
    expect(() => stream.push(events[1]!)).toThrowError(UpstreamStreamError);
    try {
      stream.push(events[1]!);
    } catch (err) {
      expect((err as UpstreamStreamError).info).toEqual({
        kind: 'overloaded',
        message: 'The model is overloaded. Please try again later.',
        type: 'UNAVAILABLE',
        code: 'UNAVAILABLE',
      });
    }
  });

  it('is accepted by Gemini 3 with a tool history from another provider and a strict schema', async () => {
    const req = chat({
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_01', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lisbon"}' } }] },
        { role: 'tool', tool_call_id: 'toolu_01', content: 'sunny' },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            parameters: { type: 'object', properties: { city: { type: 'string', format: 'uri' } }, required: ['city'], additionalProperties: false },
          },
        },
        { type: 'function', function: { name: 'noop', parameters: { type: 'object', properties: {}, additionalProperties: false } } },
      ],
    });
    const res = await send(geminiAdapter.buildChatRequest(req, target({ model: 'gemini-3-pro-preview' })));
    expect(res.text).toContain('Echo');
    expect(res.status).toBe(200);
  });

  it('the fake rejects what Gemini rejects (so the test above can fail)', async () => {
    const raw = {
      contents: [{ role: 'model', parts: [{ functionCall: { name: 'f', args: {} } }] }],
      tools: [{ functionDeclarations: [{ name: 'f', parameters: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false } }] }],
    };
    const res = await send(geminiAdapter.native.buildRequest(raw, target({ model: 'gemini-3-pro-preview' }), false));
    expect(res.status).toBe(400);
    expect(geminiAdapter.parseError(res.status, res.text).kind).toBe('bad_request');
  });

  it.each([
    ['a wrong key', { key: 'AIza-bad' }, 'invalid_key'],
    ['no key', { key: '' }, 'invalid_key'],
  ])('classifies %s', async (_name, over, kind) => {
    const res = await send(geminiAdapter.buildChatRequest(chat({}), target(over)));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(geminiAdapter.parseError(res.status, res.text).kind).toBe(kind);
  });

  it('classifies a scripted quota error', async () => {
    fake.setScript(() => ({ kind: 'error', status: 429, rpcStatus: 'RESOURCE_EXHAUSTED', message: 'Resource has been exhausted (e.g. check quota).' }));
    const res = await send(geminiAdapter.buildChatRequest(chat({}), target()));
    expect(geminiAdapter.parseError(res.status, res.text)).toEqual({
      kind: 'rate_limited',
      message: 'Resource has been exhausted (e.g. check quota).',
      type: 'RESOURCE_EXHAUSTED',
      code: 'RESOURCE_EXHAUSTED',
    });
  });

  it('sends the test call', async () => {
    const res = await send(geminiAdapter.buildTestRequest(target()));
    expect(res.status).toBe(200);
  });
});
