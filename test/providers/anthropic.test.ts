import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RelayError } from '../../src/errors.js';
import { anthropicAdapter, AnthropicChatStream } from '../../src/providers/anthropic/index.js';
import {
  UpstreamStreamError,
  type ChatCompletionChunk,
  type ChatRequest,
  type SseEvent,
  type StreamContext,
  type UpstreamTarget,
} from '../../src/providers/types.js';

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`../../src/providers/anthropic/fixtures/${name}`, import.meta.url), 'utf8'));
}

/** A fixture stream as the pipeline hands it over: one SseEvent per upstream event, data as text. */
function fixtureEvents(name: string): SseEvent[] {
  return (fixture(name) as Array<{ event: string; data: unknown }>).map((e) => ({ event: e.event, data: JSON.stringify(e.data) }));
}

const target: UpstreamTarget = { baseUrl: 'https://api.anthropic.com', key: 'sk-ant-key-1', model: 'claude-sonnet-4-5', config: {} };
const ctx: StreamContext = { id: 'chatcmpl-relay-1', created: 1_700_000_000, model: 'my-claude' };

function bodyOf(req: ChatRequest, t: UpstreamTarget = target): Record<string, unknown> {
  return JSON.parse(anthropicAdapter.buildChatRequest(req, t).body!) as Record<string, unknown>;
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('anthropic adapter: identity', () => {
  it('declares its type and native format, and has no embeddings', () => {
    expect(anthropicAdapter.type).toBe('anthropic');
    expect(anthropicAdapter.nativeFormat).toBe('anthropic');
    expect(anthropicAdapter.requiresInlineImages).toBe(false);
    expect(anthropicAdapter.buildEmbeddingsRequest).toBeUndefined();
  });

  it('builds a 1-token test request', () => {
    const req = anthropicAdapter.buildTestRequest(target);
    expect(req.method).toBe('POST');
    expect(req.url).toBe('https://api.anthropic.com/v1/messages');
    expect(JSON.parse(req.body!)).toEqual({ model: 'claude-sonnet-4-5', max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] });
  });
});

describe('anthropic adapter: URL and headers', () => {
  it.each([
    ['https://api.anthropic.com', 'https://api.anthropic.com/v1/messages'],
    ['https://api.anthropic.com/', 'https://api.anthropic.com/v1/messages'],
    ['https://proxy.example/anthropic/v1', 'https://proxy.example/anthropic/v1/messages'],
    ['https://proxy.example/anthropic/v1/', 'https://proxy.example/anthropic/v1/messages'],
  ])('base URL %s → %s', (baseUrl, url) => {
    expect(anthropicAdapter.buildChatRequest({ model: 'x', messages: [{ role: 'user', content: 'hi' }] }, { ...target, baseUrl }).url).toBe(url);
  });

  it('sends the key, the default version and JSON content type', () => {
    const req = anthropicAdapter.buildChatRequest({ model: 'x', messages: [{ role: 'user', content: 'hi' }] }, target);
    expect(req.headers).toEqual({ 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-key-1' });
  });

  it('uses the configured version and extra headers, lower-cased, without letting them replace the key', () => {
    const t: UpstreamTarget = {
      ...target,
      config: { apiVersion: '2024-01-01', headers: { 'Anthropic-Beta': 'prompt-caching-2024-07-31', 'X-Api-Key': 'nope' } },
    };
    expect(anthropicAdapter.buildChatRequest({ model: 'x', messages: [{ role: 'user', content: 'hi' }] }, t).headers).toEqual({
      'content-type': 'application/json',
      'anthropic-version': '2024-01-01',
      'anthropic-beta': 'prompt-caching-2024-07-31',
      'x-api-key': 'sk-ant-key-1',
    });
  });
});

describe('anthropic adapter: request mapping', () => {
  it('maps a plain chat with the channel model and the default max_tokens', () => {
    expect(bodyOf({ model: 'my-claude', messages: [{ role: 'user', content: 'Hello' }] })).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 4096,
      messages: [{ role: 'user', content: 'Hello' }],
    });
  });

  it('takes max_tokens from the request, max_completion_tokens first, else from the channel config', () => {
    const messages: ChatRequest['messages'] = [{ role: 'user', content: 'Hello' }];
    expect(bodyOf({ model: 'x', messages, max_tokens: 77 }).max_tokens).toBe(77);
    expect(bodyOf({ model: 'x', messages, max_tokens: 77, max_completion_tokens: 55 }).max_tokens).toBe(55);
    expect(bodyOf({ model: 'x', messages }, { ...target, config: { defaultMaxTokens: 1000 } }).max_tokens).toBe(1000);
    expect(bodyOf({ model: 'x', messages }, { ...target, config: { defaultMaxTokens: 'lots' as unknown as number } }).max_tokens).toBe(4096);
  });

  it('hoists one system message to a string and several system/developer messages to text blocks', () => {
    expect(bodyOf({ model: 'x', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }] }).system).toBe('Be brief.');
    const body = bodyOf({
      model: 'x',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
      ],
    });
    expect(body.system).toEqual([
      { type: 'text', text: 'Be brief.' },
      { type: 'text', text: 'Answer in French.' },
    ]);
    expect(body.messages).toEqual([{ role: 'user', content: 'Hi' }]);
  });

  it('merges consecutive messages of the same role', () => {
    const body = bodyOf({
      model: 'x',
      messages: [
        { role: 'user', content: 'a' },
        { role: 'user', content: [{ type: 'text', text: 'b' }] },
        { role: 'assistant', content: 'c' },
        { role: 'assistant', content: 'd' },
        { role: 'user', content: 'e' },
      ],
    });
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'c' }, { type: 'text', text: 'd' }] },
      { role: 'user', content: 'e' },
    ]);
  });

  it('maps data: images to base64 sources and http(s) images to url sources, keeping cache_control', () => {
    const body = bodyOf({
      model: 'x',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Compare these' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg', detail: 'high' }, cache_control: { type: 'ephemeral' } },
          ],
        },
      ],
    });
    expect(body.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Compare these' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' }, cache_control: { type: 'ephemeral' } },
        ],
      },
    ]);
  });

  it('base64-encodes a data: image that is not base64 already', () => {
    const body = bodyOf({ model: 'x', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/svg+xml,%3Csvg%2F%3E' } }] }] });
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/svg+xml', data: Buffer.from('<svg/>').toString('base64') } }] },
    ]);
  });

  it.each([
    ['data:application/pdf;base64,JVBERi0=', 'unsupported_image'],
    ['ftp://example.com/cat.png', 'unsupported_image'],
    ['data:image/svg+xml,%E0%A4%A', 'unsupported_image'],
  ])('refuses image URL %s', (url, code) => {
    const err = catchError(() => bodyOf({ model: 'x', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url } }] }] }));
    expect(err).toBeInstanceOf(RelayError);
    expect((err as RelayError).code).toBe(code);
    expect((err as RelayError).details).toEqual({ param: 'messages.0.content.0.image_url.url' });
  });

  it('maps tools, tool calls and tool results; consecutive tool results share one user turn', () => {
    const body = bodyOf({
      model: 'x',
      messages: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: null,
          reasoning_content: 'I should call the tool twice.',
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '18C' },
        { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: '24C' }] },
        { role: 'user', content: 'Thanks, which is warmer?' },
      ],
      tools: [
        {
          type: 'function',
          function: { name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
        },
        { type: 'function', function: { name: 'now' } },
      ],
      tool_choice: 'auto',
    });
    expect(body.messages).toEqual([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'call_2', name: 'get_weather', input: { city: 'Rome' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: '18C' },
          { type: 'tool_result', tool_use_id: 'call_2', content: [{ type: 'text', text: '24C' }] },
          { type: 'text', text: 'Thanks, which is warmer?' },
        ],
      },
    ]);
    expect(body.tools).toEqual([
      { name: 'get_weather', description: 'Current weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } },
      { name: 'now', input_schema: { type: 'object', properties: {} } },
    ]);
    expect(body.tool_choice).toEqual({ type: 'auto' });
  });

  it('sends an empty-argument tool call as an empty input', () => {
    const body = bodyOf({
      model: 'x',
      messages: [
        { role: 'user', content: 'time?' },
        { role: 'assistant', content: '', tool_calls: [{ id: 'c', type: 'function', function: { name: 'now', arguments: '' } }] },
      ],
    });
    expect(body.messages).toEqual([
      { role: 'user', content: 'time?' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'c', name: 'now', input: {} }] },
    ]);
  });

  it.each([
    ['{"city":', 'is not valid JSON'],
    ['[1,2]', 'must encode a JSON object'],
  ])('refuses tool call arguments %s, naming the message', (args, reason) => {
    const err = catchError(() =>
      bodyOf({
        model: 'x',
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: args } }] },
        ],
      }),
    );
    expect(err).toBeInstanceOf(RelayError);
    expect((err as RelayError).code).toBe('invalid_request');
    expect((err as RelayError).status).toBe(400);
    expect((err as RelayError).details).toEqual({ param: 'messages.1.tool_calls.0.function.arguments' });
    expect((err as RelayError).message).toBe(`messages.1.tool_calls.0.function.arguments: ${reason}`);
  });

  it('refuses a tool message without tool_call_id, unknown roles and n > 1', () => {
    const params = [
      () => bodyOf({ model: 'x', messages: [{ role: 'tool', content: '1' }] }),
      () => bodyOf({ model: 'x', messages: [{ role: 'function', content: '1', name: 'f' }] }),
      () => bodyOf({ model: 'x', messages: [{ role: 'user', content: 'hi' }], n: 2 }),
      () => bodyOf({ model: 'x', messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] }),
    ].map((fn) => ((catchError(fn) as RelayError).details as { param: string }).param);
    expect(params).toEqual(['messages.0.tool_call_id', 'messages.0.role', 'n', 'messages.0.content.0.type']);
  });

  it.each([
    ['none', undefined, { type: 'none' }],
    ['auto', undefined, { type: 'auto' }],
    ['required', undefined, { type: 'any' }],
    [{ type: 'function', function: { name: 'get_weather' } }, undefined, { type: 'tool', name: 'get_weather' }],
    ['required', false, { type: 'any', disable_parallel_tool_use: true }],
    [undefined, false, { type: 'auto', disable_parallel_tool_use: true }],
  ] as const)('tool_choice %j (parallel_tool_calls %s) → %j', (choice, parallel, expected) => {
    const req: ChatRequest = { model: 'x', messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'function', function: { name: 'get_weather' } }] };
    if (choice !== undefined) req.tool_choice = choice;
    if (parallel !== undefined) req.parallel_tool_calls = parallel;
    expect(bodyOf(req).tool_choice).toEqual(expected);
  });

  it('maps stop, sampling, user, stream and thinking; drops reasoning_content', () => {
    const thinking = { type: 'enabled', budget_tokens: 2048 };
    const body = bodyOf({
      model: 'x',
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello', reasoning_content: 'greet back' },
        { role: 'user', content: 'count to 3' },
      ],
      stop: 'END',
      temperature: 0.2,
      top_p: 0.9,
      user: 'user-42',
      stream: true,
      stream_options: { include_usage: true },
      thinking,
    });
    expect(body).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 4096,
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
        { role: 'user', content: 'count to 3' },
      ],
      stop_sequences: ['END'],
      temperature: 0.2,
      top_p: 0.9,
      metadata: { user_id: 'user-42' },
      stream: true,
      thinking,
    });
    expect(bodyOf({ model: 'x', messages: [{ role: 'user', content: 'hi' }], stop: ['a', 'b'] }).stop_sequences).toEqual(['a', 'b']);
  });
});

describe('anthropic adapter: response mapping', () => {
  it('maps a text message with cache tokens', () => {
    const completion = anthropicAdapter.parseChatResponse(fixture('message-text.json'), ctx);
    expect(completion).toEqual({
      id: 'chatcmpl-relay-1',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'my-claude',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hi! My name is Claude.' }, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: 1925,
        completion_tokens: 12,
        total_tokens: 1937,
        prompt_tokens_details: { cached_tokens: 1800 },
        cache_creation_input_tokens: 100,
      },
    });
    expect(anthropicAdapter.usageOf(completion.usage)).toEqual({ promptTokens: 25, completionTokens: 12, cacheReadTokens: 1800, cacheWriteTokens: 100 });
  });

  it('maps tool_use blocks to tool calls', () => {
    const completion = anthropicAdapter.parseChatResponse(fixture('message-tool-use.json'), ctx);
    expect(completion.choices).toEqual([
      {
        index: 0,
        message: {
          role: 'assistant',
          content: "I'll check the current weather in San Francisco for you.",
          tool_calls: [
            {
              id: 'toolu_01A09q90qw90lq917835lq9',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"location":"San Francisco, CA","unit":"celsius"}' },
            },
          ],
        },
        finish_reason: 'tool_calls',
      },
    ]);
    expect(completion.usage).toEqual({
      prompt_tokens: 384,
      completion_tokens: 71,
      total_tokens: 455,
      prompt_tokens_details: { cached_tokens: 0 },
      cache_creation_input_tokens: 0,
    });
  });

  it('maps thinking to reasoning_content; a tool-only answer has null content', () => {
    const thinking = anthropicAdapter.parseChatResponse(fixture('message-thinking.json'), ctx).choices[0]!.message;
    expect(thinking).toEqual({
      role: 'assistant',
      content: 'Yes, there are infinitely many prime numbers such that...',
      reasoning_content: 'To approach this, let me think about what we know about prime numbers...',
    });
    const toolOnly = anthropicAdapter.parseChatResponse(
      { content: [{ type: 'tool_use', id: 't', name: 'f', input: {} }], stop_reason: 'tool_use', usage: { input_tokens: 1, output_tokens: 1 } },
      ctx,
    );
    expect(toolOnly.choices[0]!.message.content).toBeNull();
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    ['pause_turn', 'stop'],
  ])('stop_reason %s → finish_reason %s', (stopReason, finish) => {
    const completion = anthropicAdapter.parseChatResponse({ content: [{ type: 'text', text: 'x' }], stop_reason: stopReason }, ctx);
    expect(completion.choices[0]!.finish_reason).toBe(finish);
    expect(completion.usage).toBeUndefined();
  });

  it('throws an upstream_error for a 2xx body that is not a message', () => {
    const err = catchError(() => anthropicAdapter.parseChatResponse({ hello: 'world' }, ctx));
    expect(err).toBeInstanceOf(RelayError);
    expect((err as RelayError).code).toBe('upstream_error');
  });

  it('usageOf never goes negative and is undefined without usage', () => {
    expect(anthropicAdapter.usageOf(undefined)).toBeUndefined();
    expect(anthropicAdapter.usageOf(null)).toBeUndefined();
    expect(
      anthropicAdapter.usageOf({ prompt_tokens: 10, completion_tokens: 3, total_tokens: 13, prompt_tokens_details: { cached_tokens: 8 }, cache_creation_input_tokens: 5 }),
    ).toEqual({ promptTokens: 0, completionTokens: 3, cacheReadTokens: 8, cacheWriteTokens: 5 });
    // OpenAI-style usage (cached part of prompt_tokens, no cache writes)
    expect(anthropicAdapter.usageOf({ prompt_tokens: 100, completion_tokens: 7, total_tokens: 107, prompt_tokens_details: { cached_tokens: 60 } })).toEqual({
      promptTokens: 40,
      completionTokens: 7,
      cacheReadTokens: 60,
      cacheWriteTokens: 0,
    });
  });
});

function run(events: SseEvent[]): { chunks: ChatCompletionChunk[]; stream: AnthropicChatStream } {
  const stream = new AnthropicChatStream(ctx);
  return { chunks: events.flatMap((e) => stream.push(e)), stream };
}

const chunkOf = (delta: ChatCompletionChunk['choices'][number]['delta'], finish: ChatCompletionChunk['choices'][number]['finish_reason'] = null): ChatCompletionChunk => ({
  id: 'chatcmpl-relay-1',
  object: 'chat.completion.chunk',
  created: 1_700_000_000,
  model: 'my-claude',
  choices: [{ index: 0, delta, finish_reason: finish }],
});

describe('anthropic adapter: stream translation', () => {
  it('translates the documented text stream', () => {
    const { chunks, stream } = run(fixtureEvents('stream-text.json'));
    expect(chunks).toEqual([
      chunkOf({ role: 'assistant', content: '' }),
      chunkOf({ content: 'Hello' }),
      chunkOf({ content: '!' }),
      chunkOf({}, 'stop'),
    ]);
    const end = stream.finish();
    expect(end.chunks).toEqual([
      {
        id: 'chatcmpl-relay-1',
        object: 'chat.completion.chunk',
        created: 1_700_000_000,
        model: 'my-claude',
        choices: [],
        usage: { prompt_tokens: 25, completion_tokens: 15, total_tokens: 40, prompt_tokens_details: { cached_tokens: 0 }, cache_creation_input_tokens: 0 },
      },
    ]);
    expect(end.usage).toEqual({ promptTokens: 25, completionTokens: 15, cacheReadTokens: 0, cacheWriteTokens: 0 });
  });

  it('translates text then a tool call whose input JSON is split across events', () => {
    const { chunks, stream } = run(fixtureEvents('stream-tool-use.json'));
    expect(chunks.slice(0, 4)).toEqual([
      chunkOf({ role: 'assistant', content: '' }),
      chunkOf({ content: 'Okay' }),
      chunkOf({ content: ", let's check the weather for San Francisco, CA:" }),
      chunkOf({ tool_calls: [{ index: 0, id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
    ]);
    const argumentChunks = chunks.slice(4, -1);
    expect(argumentChunks).toHaveLength(5); // the empty partial_json is skipped
    for (const c of argumentChunks) expect(c.choices[0]!.delta.tool_calls![0]!.index).toBe(0);
    const args = argumentChunks.map((c) => c.choices[0]!.delta.tool_calls![0]!.function!.arguments).join('');
    expect(JSON.parse(args)).toEqual({ location: 'San Francisco, CA', unit: 'fahrenheit' });
    expect(chunks.at(-1)).toEqual(chunkOf({}, 'tool_calls'));
    expect(stream.finish().usage).toEqual({ promptTokens: 472, completionTokens: 89, cacheReadTokens: 0, cacheWriteTokens: 0 });
  });

  it('numbers several tool calls in order and maps thinking to reasoning_content', () => {
    const events: SseEvent[] = [
      { event: 'message_start', data: JSON.stringify({ type: 'message_start', message: { usage: { input_tokens: 9, output_tokens: 1 } } }) },
      { event: 'content_block_start', data: JSON.stringify({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }) },
      { event: 'content_block_delta', data: JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'two calls' } }) },
      { event: 'content_block_delta', data: JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'abc' } }) },
      { event: 'content_block_start', data: JSON.stringify({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'tu_a', name: 'a', input: {} } }) },
      { event: 'content_block_delta', data: JSON.stringify({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{}' } }) },
      { event: 'content_block_start', data: JSON.stringify({ type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'tu_b', name: 'b', input: {} } }) },
      { event: 'content_block_delta', data: JSON.stringify({ type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"x":1}' } }) },
    ];
    const { chunks } = run(events);
    expect(chunks.map((c) => c.choices[0]!.delta)).toEqual([
      { role: 'assistant', content: '' },
      { reasoning_content: 'two calls' },
      { tool_calls: [{ index: 0, id: 'tu_a', type: 'function', function: { name: 'a', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{}' } }] },
      { tool_calls: [{ index: 1, id: 'tu_b', type: 'function', function: { name: 'b', arguments: '' } }] },
      { tool_calls: [{ index: 1, function: { arguments: '{"x":1}' } }] },
    ]);
  });

  it('translates the thinking stream with cache tokens', () => {
    const { chunks, stream } = run(fixtureEvents('stream-thinking.json'));
    const reasoning = chunks.map((c) => c.choices[0]!.delta.reasoning_content ?? '').join('');
    const text = chunks.map((c) => c.choices[0]!.delta.content ?? '').join('');
    expect(reasoning).toBe(
      'I need to find the GCD of 1071 and 462 using the Euclidean algorithm.\n\n1071 = 2 × 462 + 147\n462 = 3 × 147 + 21\n147 = 7 × 21 + 0\n\nSo GCD(1071, 462) = 21',
    );
    expect(text).toBe('The greatest common divisor of 1071 and 462 is **21**.');
    const end = stream.finish();
    expect(end.chunks[0]!.usage).toEqual({
      prompt_tokens: 2340,
      completion_tokens: 75,
      total_tokens: 2415,
      prompt_tokens_details: { cached_tokens: 2000 },
      cache_creation_input_tokens: 300,
    });
    expect(end.usage).toEqual({ promptTokens: 40, completionTokens: 75, cacheReadTokens: 2000, cacheWriteTokens: 300 });
  });

  it('still reports usage when the stream is cut before message_stop', () => {
    const events = fixtureEvents('stream-tool-use.json');
    const cutEarly = run(events.slice(0, 5)).stream.finish();
    expect(cutEarly.usage).toEqual({ promptTokens: 472, completionTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0 });
    const cutLate = run(events.slice(0, -1)).stream.finish();
    expect(cutLate.usage).toEqual({ promptTokens: 472, completionTokens: 89, cacheReadTokens: 0, cacheWriteTokens: 0 });
  });

  it('reports no usage when the upstream gave none', () => {
    const { stream } = run([{ event: 'ping', data: '{"type":"ping"}' }, { data: '' }]);
    expect(stream.finish()).toEqual({ chunks: [], usage: undefined });
  });

  it('throws an in-stream error event as UpstreamStreamError', () => {
    const stream = new AnthropicChatStream(ctx);
    stream.push(fixtureEvents('stream-text.json')[0]!);
    const err = catchError(() =>
      stream.push({ event: 'error', data: JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }) }),
    );
    expect(err).toBeInstanceOf(UpstreamStreamError);
    expect((err as UpstreamStreamError).info).toEqual({ kind: 'overloaded', message: 'Overloaded', type: 'overloaded_error' });
    expect(stream.finish().usage).toEqual({ promptTokens: 25, completionTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 });
  });

  it('throws UpstreamStreamError on an event that is not JSON', () => {
    const err = catchError(() => new AnthropicChatStream(ctx).push({ event: 'content_block_delta', data: '{oops' }));
    expect(err).toBeInstanceOf(UpstreamStreamError);
    expect((err as UpstreamStreamError).info.kind).toBe('other');
  });
});

describe('anthropic adapter: error classification', () => {
  const body = (type: string, message: string) => JSON.stringify({ type: 'error', error: { type, message }, request_id: 'req_1' });
  it.each([
    [401, body('authentication_error', 'invalid x-api-key'), 'invalid_key'],
    [403, body('permission_error', 'Your API key does not have permission to use the specified resource.'), 'invalid_key'],
    [400, body('invalid_request_error', 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.'), 'no_credit'],
    [400, body('invalid_request_error', 'You have reached your specified API usage limits. You will regain access on 2026-12-01 at 00:00 UTC.'), 'no_credit'],
    [402, body('billing_error', 'There is an issue with your payment method.'), 'no_credit'],
    [429, body('rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit'), 'rate_limited'],
    [529, body('overloaded_error', 'Overloaded'), 'overloaded'],
    [500, body('api_error', 'Internal server error'), 'overloaded'],
    [504, body('timeout_error', 'Request timed out'), 'overloaded'],
    [400, body('invalid_request_error', 'messages: Field required'), 'bad_request'],
    [404, body('not_found_error', 'model: claude-nope'), 'bad_request'],
    [413, body('request_too_large', 'Request exceeds the maximum allowed number of bytes.'), 'bad_request'],
    [503, body('some_new_error', 'Service unavailable'), 'overloaded'],
  ])('HTTP %i %s → %s', (status, text, kind) => {
    const info = anthropicAdapter.parseError(status, text);
    const parsed = JSON.parse(text) as { error: { type: string; message: string } };
    expect(info).toEqual({ kind, message: parsed.error.message, type: parsed.error.type });
  });

  it.each([
    [502, '<html><body>502 Bad Gateway</body></html>', 'overloaded', 'Anthropic upstream answered HTTP 502 with an unreadable body: <html><body>502 Bad Gateway</body></html>'],
    [503, '', 'overloaded', 'Anthropic upstream answered HTTP 503 with an empty body'],
    [200, 'not json at all', 'other', 'Anthropic upstream answered HTTP 200 with an unreadable body: not json at all'],
    [400, '{"foo":1}', 'bad_request', 'Anthropic upstream answered HTTP 400 with an unreadable body: {"foo":1}'],
    [429, 'null', 'rate_limited', 'Anthropic upstream answered HTTP 429 with an unreadable body: null'],
    [401, '{"error":"nope"}', 'invalid_key', 'Anthropic upstream answered HTTP 401 with an unreadable body: {"error":"nope"}'],
  ])('HTTP %i with an unreadable body %j is classified by status and says so', (status, text, kind, message) => {
    expect(anthropicAdapter.parseError(status, text)).toEqual({ kind, message });
  });

  it('cuts a long unreadable body to 200 characters', () => {
    const info = anthropicAdapter.parseError(500, 'x'.repeat(5000));
    expect(info.message).toBe(`Anthropic upstream answered HTTP 500 with an unreadable body: ${'x'.repeat(200)}`);
  });
});

describe('anthropic adapter: native pass-through', () => {
  it('replaces only the model and the stream flag', () => {
    const body = {
      model: 'my-claude',
      max_tokens: 100,
      system: [{ type: 'text', text: 'sys', cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: 'hi' }],
      container: 'container_1',
    };
    const req = anthropicAdapter.native.buildRequest(body, target, true);
    expect(req.url).toBe('https://api.anthropic.com/v1/messages');
    expect(req.headers['x-api-key']).toBe('sk-ant-key-1');
    expect(JSON.parse(req.body!)).toEqual({ ...body, model: 'claude-sonnet-4-5', stream: true });
    expect(JSON.parse(anthropicAdapter.native.buildRequest(body, target, false).body!).stream).toBe(false);
    expect(body.model).toBe('my-claude'); // the caller's object is not modified
  });

  it('reads usage and text from a message', () => {
    expect(anthropicAdapter.native.usageOfResponse(fixture('message-text.json'))).toEqual({
      promptTokens: 25,
      completionTokens: 12,
      cacheReadTokens: 1800,
      cacheWriteTokens: 100,
    });
    expect(anthropicAdapter.native.usageOfResponse({ content: [] })).toBeUndefined();
    expect(anthropicAdapter.native.textOfResponse(fixture('message-tool-use.json'))).toBe(
      'I\'ll check the current weather in San Francisco for you.{"location":"San Francisco, CA","unit":"celsius"}',
    );
    expect(anthropicAdapter.native.textOfResponse('garbage')).toBe('');
  });

  it('meters a stream: usage from message_start and message_delta, generated text', () => {
    const meter = anthropicAdapter.native.createStreamMeter();
    expect(meter.usage()).toBeUndefined();
    const events = fixtureEvents('stream-thinking.json').map((e) => meter.push(e));
    expect(meter.push({ event: 'content_block_delta', data: '{broken' })).toMatchObject({ delta: '', ended: false }); // ignored, never thrown
    expect(meter.usage()).toEqual({ promptTokens: 40, completionTokens: 75, cacheReadTokens: 2000, cacheWriteTokens: 300 });
    expect(events.filter((e) => e.ended)).toEqual([{ delta: '', ended: true, closing: true, usageOnly: false }]);
    expect(events.at(-1)!.ended).toBe(true); // message_stop, the last event
    expect(events.map((e) => e.delta).join('')).toBe(
      'I need to find the GCD of 1071 and 462 using the Euclidean algorithm.\n\n1071 = 2 × 462 + 147\n462 = 3 × 147 + 21\n147 = 7 × 21 + 0\n\nSo GCD(1071, 462) = 21' +
        'The greatest common divisor of 1071 and 462 is **21**.',
    );
  });

  it('meters a stream cut after message_start', () => {
    const meter = anthropicAdapter.native.createStreamMeter();
    const events = fixtureEvents('stream-tool-use.json').slice(0, 9).map((e) => meter.push(e));
    expect(meter.usage()).toEqual({ promptTokens: 472, completionTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0 });
    expect(events.some((e) => e.ended)).toBe(false);
    expect(events.map((e) => e.delta).join('')).toBe('Okay, let\'s check the weather for San Francisco, CA:{"location":');
  });
});
