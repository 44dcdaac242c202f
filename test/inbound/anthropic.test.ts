import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { createParser } from 'eventsource-parser';
import { describe, expect, it } from 'vitest';
import { RelayError } from '../../src/errors.js';
import { anthropicAdapter, AnthropicChatStream } from '../../src/providers/anthropic/index.js';
import type { ChatCompletion, ChatCompletionChunk, ChunkDelta, FinishReason, SseEvent, UpstreamTarget } from '../../src/providers/types.js';
import { anthropicInbound } from '../../src/relay/inbound/anthropic/index.js';
import { inStreamError } from '../../src/relay/error-formats.js';

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../../src/providers/anthropic/fixtures/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
}

function fixtureEvents(name: string): SseEvent[] {
  return (fixture(name) as unknown as Array<{ event: string; data: unknown }>).map((e) => ({ event: e.event, data: JSON.stringify(e.data) }));
}

/** SSE text → [event name, parsed data] pairs, with the parser real clients use. */
function parseSse(text: string): Array<[string, Record<string, unknown>]> {
  const out: Array<[string, Record<string, unknown>]> = [];
  const parser = createParser({ onEvent: (e) => out.push([e.event ?? '', JSON.parse(e.data) as Record<string, unknown>]) });
  parser.feed(text);
  return out;
}

function paramOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RelayError);
    const relay = err as RelayError;
    expect(relay.code).toBe('invalid_request');
    expect(relay.status).toBe(400);
    const param = relay.details.param as string | undefined;
    if (param) expect(relay.message.startsWith(`${param}: `)).toBe(true);
    return param;
  }
  throw new Error('expected a validation error');
}

const base = { model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] };
const toChat = (body: unknown) => anthropicInbound.toChatRequest(body, {});
const withMessages = (...messages: unknown[]) => ({ ...base, messages });

describe('anthropic inbound: validation names the field', () => {
  it('refuses a body that is not an object', () => {
    expect(paramOf(() => toChat([1, 2]))).toBeUndefined();
  });

  it.each([
    ['model missing', { max_tokens: 1, messages: base.messages }, 'model'],
    ['model not a string', { ...base, model: 3 }, 'model'],
    ['max_tokens missing', { model: 'm', messages: base.messages }, 'max_tokens'],
    ['max_tokens zero', { ...base, max_tokens: 0 }, 'max_tokens'],
    ['max_tokens fractional', { ...base, max_tokens: 1.5 }, 'max_tokens'],
    ['messages missing', { model: 'm', max_tokens: 1 }, 'messages'],
    ['messages empty', { ...base, messages: [] }, 'messages'],
    ['message not an object', withMessages('hi'), 'messages.0'],
    ['system role in messages', withMessages({ role: 'system', content: 'x' }), 'messages.0.role'],
    ['content a number', withMessages({ role: 'user', content: 42 }), 'messages.0.content'],
    ['unknown block type', withMessages({ role: 'user', content: [{ type: 'audio', data: 'x' }] }), 'messages.0.content.0.type'],
    ['block without type', withMessages({ role: 'user', content: [{ text: 'x' }] }), 'messages.0.content.0.type'],
    ['text not a string', withMessages({ role: 'user', content: [{ type: 'text', text: 1 }] }), 'messages.0.content.0.text'],
    ['file image source', withMessages({ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'f' } }] }), 'messages.0.content.0.source.type'],
    [
      'non-image media type',
      withMessages({ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'application/pdf', data: 'x' } }] }),
      'messages.0.content.0.source.media_type',
    ],
    [
      'base64 document that is not a PDF',
      withMessages({ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'text/csv', data: 'x' } }] }),
      'messages.0.content.0.source.media_type',
    ],
    [
      'uploaded-file document',
      withMessages({ role: 'user', content: [{ type: 'document', source: { type: 'file', file_id: 'f' } }] }),
      'messages.0.content.0.source.type',
    ],
    ['tool_use in a user message', withMessages({ role: 'user', content: [{ type: 'tool_use', id: 't', name: 'f', input: {} }] }), 'messages.0.content.0.type'],
    [
      'tool_use input not an object',
      withMessages({ role: 'user', content: 'hi' }, { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: '{}' }] }),
      'messages.1.content.0.input',
    ],
    ['tool_result in an assistant message', withMessages({ role: 'assistant', content: [{ type: 'tool_result', tool_use_id: 't' }] }), 'messages.0.content.0.type'],
    ['tool_result without tool_use_id', withMessages({ role: 'user', content: [{ type: 'tool_result', content: 'x' }] }), 'messages.0.content.0.tool_use_id'],
    [
      'image inside tool_result',
      withMessages({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'image', source: { type: 'url', url: 'https://a/b.png' } }] }] }),
      'messages.0.content.0.content.0.type',
    ],
    ['system a number', { ...base, system: 5 }, 'system'],
    ['system image block', { ...base, system: [{ type: 'image' }] }, 'system.0.type'],
    ['tool without input_schema', { ...base, tools: [{ name: 'f' }] }, 'tools.0.input_schema'],
    ['tool without name', { ...base, tools: [{ input_schema: {} }] }, 'tools.0.name'],
    ['server tool', { ...base, tools: [{ type: 'web_search_20250305', name: 'web_search' }] }, 'tools.0.type'],
    ['tool_choice unknown type', { ...base, tool_choice: { type: 'sometimes' } }, 'tool_choice.type'],
    ['tool_choice tool without name', { ...base, tool_choice: { type: 'tool' } }, 'tool_choice.name'],
    ['stop_sequences a string', { ...base, stop_sequences: 'END' }, 'stop_sequences'],
    ['stop_sequences with a number', { ...base, stop_sequences: ['a', 1] }, 'stop_sequences.1'],
    ['temperature a string', { ...base, temperature: 'hot' }, 'temperature'],
    ['top_p a string', { ...base, top_p: 'x' }, 'top_p'],
    ['top_k a string', { ...base, top_k: 'x' }, 'top_k'],
    ['metadata.user_id a number', { ...base, metadata: { user_id: 5 } }, 'metadata.user_id'],
    ['stream a string', { ...base, stream: 'yes' }, 'stream'],
    ['thinking without type', { ...base, thinking: { budget_tokens: 10 } }, 'thinking.type'],
  ])('%s → %s', (_name, body, param) => {
    expect(paramOf(() => toChat(body))).toBe(param);
  });
});

describe('anthropic inbound: request conversion', () => {
  it('converts the documented basic request', () => {
    expect(toChat(fixture('request-basic.json'))).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      messages: [{ role: 'user', content: 'Hello, Claude' }],
    });
  });

  it('converts the documented tool-use conversation', () => {
    expect(toChat(fixture('request-tools.json'))).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      messages: [
        { role: 'system', content: 'You are a weather assistant.' },
        { role: 'user', content: "What's the weather like in San Francisco?" },
        {
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
        { role: 'tool', tool_call_id: 'toolu_01A09q90qw90lq917835lq9', content: '15 degrees' },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Get the current weather in a given location',
            parameters: {
              type: 'object',
              properties: {
                location: { type: 'string', description: 'The city and state, e.g. San Francisco, CA' },
                unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
              },
              required: ['location'],
            },
          },
        },
      ],
      tool_choice: 'auto',
    });
  });

  it('converts images, text documents, thinking, tool results mixed with text, and the sampling fields', () => {
    const thinking = { type: 'enabled', budget_tokens: 1024 };
    const req = toChat({
      model: 'claude-sonnet-4-5',
      max_tokens: 50,
      system: [
        { type: 'text', text: 'Rule one.' },
        { type: 'text', text: 'Rule two.', cache_control: { type: 'ephemeral' } },
      ],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQ' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
            { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'The grass is green.' } },
            { type: 'text', text: 'Describe.' },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Look first.', signature: 'sig' },
            { type: 'redacted_thinking', data: 'xxx' },
            { type: 'tool_use', id: 'tu_1', name: 'zoom', input: { level: 2 } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'tu_1', content: [{ type: 'text', text: 'zoomed' }, { type: 'text', text: 'sharp' }] },
            { type: 'text', text: 'And now?' },
          ],
        },
      ],
      stop_sequences: ['END'],
      temperature: 0.5,
      top_p: 0.8,
      top_k: 40,
      metadata: { user_id: 'u-7' },
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      thinking,
      stream: true,
    });
    expect(req).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 50,
      messages: [
        { role: 'system', content: 'Rule one.\n\nRule two.' },
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ' } },
            { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
            { type: 'text', text: 'The grass is green.' },
            { type: 'text', text: 'Describe.' },
          ],
        },
        {
          role: 'assistant',
          content: null,
          reasoning_content: 'Look first.',
          tool_calls: [{ id: 'tu_1', type: 'function', function: { name: 'zoom', arguments: '{"level":2}' } }],
        },
        { role: 'tool', tool_call_id: 'tu_1', content: 'zoomed\nsharp' },
        { role: 'user', content: 'And now?' },
      ],
      stop: ['END'],
      temperature: 0.5,
      top_p: 0.8,
      user: 'u-7',
      tool_choice: 'required',
      parallel_tool_calls: false,
      thinking,
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('maps the other tool_choice forms', () => {
    expect(toChat({ ...base, tool_choice: { type: 'none' } }).tool_choice).toBe('none');
    expect(toChat({ ...base, tool_choice: { type: 'tool', name: 'f' } }).tool_choice).toEqual({ type: 'function', function: { name: 'f' } });
  });

  it('carries PDF documents (inline and by URL) as file parts, and back to the same documents on an Anthropic channel', () => {
    const pdf = { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0xLjQK' } };
    const byUrl = { type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' } };
    const original = { ...base, messages: [{ role: 'user', content: [pdf, byUrl, { type: 'text', text: 'Summarize both.' }] }] };
    const chat = toChat(original);
    expect(chat.messages[0]!.content).toEqual([
      { type: 'file', file: { filename: 'document.pdf', file_data: 'data:application/pdf;base64,JVBERi0xLjQK' } },
      { type: 'file', file: { file_url: 'https://example.com/a.pdf', mime_type: 'application/pdf' } },
      { type: 'text', text: 'Summarize both.' },
    ]);
    const target: UpstreamTarget = { baseUrl: 'https://api.anthropic.com', key: 'k', model: 'claude-sonnet-4-5', config: {} };
    const sent = JSON.parse(anthropicAdapter.buildChatRequest(chat, target).body!) as { messages: unknown[] };
    expect(sent.messages).toEqual(original.messages);
  });

  it('round-trips the documented tool-use request through the Anthropic adapter unchanged', () => {
    const original = fixture('request-tools.json');
    const target: UpstreamTarget = { baseUrl: 'https://api.anthropic.com', key: 'k', model: 'claude-sonnet-4-5', config: {} };
    const sent = JSON.parse(anthropicAdapter.buildChatRequest(toChat(original), target).body!) as unknown;
    expect(sent).toEqual(original);
  });
});

describe('anthropic inbound: completion conversion', () => {
  it('round-trips the documented messages through the adapter and back', () => {
    for (const [name, id] of [
      ['message-tool-use.json', '01Aq9w938a90dw8q'],
      ['message-text.json', '013Zva2CMHLNnXjNJJKqJ2EF'],
    ] as const) {
      const original = fixture(name);
      const completion = anthropicAdapter.parseChatResponse(original, { id, created: 1, model: 'claude-sonnet-4-5' });
      expect(anthropicInbound.fromChatCompletion(completion, 'claude-sonnet-4-5')).toEqual(original);
    }
  });

  const completion = (message: ChatCompletion['choices'][number]['message'], finish: FinishReason): ChatCompletion => ({
    id: 'chatcmpl-9',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-4o',
    choices: [{ index: 0, message, finish_reason: finish }],
  });

  it('builds thinking, text and tool_use blocks; unparsable arguments become {}', () => {
    const out = anthropicInbound.fromChatCompletion(
      completion(
        {
          role: 'assistant',
          content: 'Let me look.',
          reasoning_content: 'Need data.',
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'search', arguments: '{"q":"cats"}' } },
            { id: 'call_2', type: 'function', function: { name: 'broken', arguments: '{"q":' } },
          ],
        },
        'tool_calls',
      ),
      'claude-alias',
    );
    expect(out).toEqual({
      id: 'msg_chatcmpl-9',
      type: 'message',
      role: 'assistant',
      model: 'claude-alias',
      content: [
        { type: 'thinking', thinking: 'Need data.', signature: '' },
        { type: 'text', text: 'Let me look.' },
        { type: 'tool_use', id: 'call_1', name: 'search', input: { q: 'cats' } },
        { type: 'tool_use', id: 'call_2', name: 'broken', input: {} },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
    });
  });

  it.each([
    ['stop', false, 'end_turn'],
    ['length', false, 'max_tokens'],
    ['tool_calls', true, 'tool_use'],
    ['stop', true, 'tool_use'],
    ['content_filter', false, 'refusal'],
    [null, false, 'end_turn'],
  ] as const)('finish_reason %s (tool calls: %s) → stop_reason %s', (finish, withTools, stopReason) => {
    const message: ChatCompletion['choices'][number]['message'] = { role: 'assistant', content: 'x' };
    if (withTools) message.tool_calls = [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }];
    expect((anthropicInbound.fromChatCompletion(completion(message, finish), 'm') as { stop_reason: string }).stop_reason).toBe(stopReason);
  });

  it('derives Anthropic usage from OpenAI usage (cached tokens are part of prompt_tokens there)', () => {
    const c = completion({ role: 'assistant', content: 'ok' }, 'stop');
    c.usage = { prompt_tokens: 1000, completion_tokens: 20, total_tokens: 1020, prompt_tokens_details: { cached_tokens: 600 } };
    expect((anthropicInbound.fromChatCompletion(c, 'm') as { usage: unknown }).usage).toEqual({
      input_tokens: 400,
      output_tokens: 20,
      cache_read_input_tokens: 600,
      cache_creation_input_tokens: 0,
    });
  });
});

const chunk = (delta: ChunkDelta, finish: FinishReason = null): ChatCompletionChunk => ({
  id: 'chatcmpl-s1',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'gpt-4o',
  choices: [{ index: 0, delta, finish_reason: finish }],
});

function encodeAll(chunks: ChatCompletionChunk[], usage: Parameters<ReturnType<typeof anthropicInbound.createStreamEncoder>['finish']>[0]): string {
  const encoder = anthropicInbound.createStreamEncoder('claude-alias');
  return chunks.map((c) => encoder.encode(c)).join('') + encoder.finish(usage);
}

describe('anthropic inbound: stream encoder', () => {
  it('encodes a text stream in the documented event order', () => {
    const text = encodeAll(
      [chunk({ role: 'assistant', content: '' }), chunk({ content: 'Hel' }), chunk({ content: 'lo' }), chunk({}, 'stop')],
      { promptTokens: 10, completionTokens: 2, cacheReadTokens: 5, cacheWriteTokens: 1 },
    );
    const events = parseSse(text);
    expect(events.map(([name]) => name)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    for (const [name, data] of events) expect(data.type).toBe(name);
    expect(events[0]![1]).toEqual({
      type: 'message_start',
      message: {
        id: 'msg_chatcmpl-s1',
        type: 'message',
        role: 'assistant',
        model: 'claude-alias',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
      },
    });
    expect(events.slice(1, 5).map(([, d]) => d)).toEqual([
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'lo' } },
      { type: 'content_block_stop', index: 0 },
    ]);
    expect(events[5]![1]).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { input_tokens: 10, output_tokens: 2, cache_read_input_tokens: 5, cache_creation_input_tokens: 1 },
    });
    expect(text.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n')).toBe(true);
  });

  it('re-encodes the documented tool-use stream (after translation) to the documented event order', () => {
    const translator = new AnthropicChatStream({ id: 'chatcmpl-s2', created: 1, model: 'claude-alias' });
    const encoder = anthropicInbound.createStreamEncoder('claude-alias');
    let text = '';
    const upstream = fixtureEvents('stream-tool-use.json');
    for (const e of upstream) for (const c of translator.push(e)) text += encoder.encode(c);
    const end = translator.finish();
    for (const c of end.chunks) text += encoder.encode(c);
    text += encoder.finish(end.usage);

    const events = parseSse(text);
    // The documented order, less the keep-alive ping and the empty partial_json (it carries nothing, so the
    // translation drops it).
    const carriesNothing = (e: SseEvent) => (JSON.parse(e.data) as { delta?: { partial_json?: string } }).delta?.partial_json === '';
    const documented = upstream.filter((e) => e.event !== 'ping' && !carriesNothing(e)).map((e) => e.event);
    expect(documented).toHaveLength(14);
    expect(events.map(([name]) => name)).toEqual(documented);

    const textOut = events.filter(([, d]) => (d.delta as { type?: string })?.type === 'text_delta').map(([, d]) => (d.delta as { text: string }).text).join('');
    expect(textOut).toBe("Okay, let's check the weather for San Francisco, CA:");
    const toolStart = events.find(([, d]) => (d.content_block as { type?: string })?.type === 'tool_use')![1];
    expect(toolStart).toEqual({
      type: 'content_block_start',
      index: 1,
      content_block: { type: 'tool_use', id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather', input: {} },
    });
    const json = events
      .filter(([, d]) => (d.delta as { type?: string })?.type === 'input_json_delta')
      .map(([, d]) => (d.delta as { partial_json: string }).partial_json)
      .join('');
    expect(JSON.parse(json)).toEqual({ location: 'San Francisco, CA', unit: 'fahrenheit' });
    expect(events.at(-2)![1]).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { input_tokens: 472, output_tokens: 89, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
    });
  });

  it('opens one block per tool call after text and thinking', () => {
    const events = parseSse(
      encodeAll(
        [
          chunk({ role: 'assistant', reasoning_content: 'plan' }),
          chunk({ content: 'Calling.' }),
          chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'a', arguments: '' } }] }),
          chunk({ tool_calls: [{ index: 0, function: { arguments: '{"x":' } }] }),
          chunk({ tool_calls: [{ index: 0, function: { arguments: '1}' } }] }),
          chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'b', arguments: '{}' } }] }),
          chunk({}, 'tool_calls'),
        ],
        undefined,
      ),
    );
    expect(events.map(([, d]) => d).slice(1, -2)).toEqual([
      { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'plan' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Calling.' } },
      { type: 'content_block_stop', index: 1 },
      { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'call_a', name: 'a', input: {} } },
      { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"x":' } },
      { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '1}' } },
      { type: 'content_block_stop', index: 2 },
      { type: 'content_block_start', index: 3, content_block: { type: 'tool_use', id: 'call_b', name: 'b', input: {} } },
      { type: 'content_block_delta', index: 3, delta: { type: 'input_json_delta', partial_json: '{}' } },
      { type: 'content_block_stop', index: 3 },
    ]);
    expect((events.at(-2)![1].delta as { stop_reason: string }).stop_reason).toBe('tool_use');
  });

  it('closes a stream that ended without a finish_reason', () => {
    const textOnly = parseSse(encodeAll([chunk({ role: 'assistant', content: 'partial' })], undefined));
    expect(textOnly.map(([n]) => n)).toEqual(['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    expect(textOnly[4]![1]).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
    });
    const toolOnly = parseSse(encodeAll([chunk({ tool_calls: [{ index: 0, id: 'c', function: { name: 'f', arguments: '{}' } }] })], undefined));
    expect((toolOnly.at(-2)![1].delta as { stop_reason: string }).stop_reason).toBe('tool_use');
    const empty = parseSse(anthropicInbound.createStreamEncoder('m').finish(undefined));
    expect(empty.map(([n]) => n)).toEqual(['message_start', 'message_delta', 'message_stop']);
    expect((empty[0]![1].message as { id: string }).id).toBe('msg_relay');
  });

  it('an error after the stream started is an Anthropic error event, its type at the top as in the API', () => {
    expect(inStreamError(new RelayError('upstream_error', 'Overloaded upstream', 503), 'anthropic')).toBe(
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded upstream","code":"upstream_error"}}\n\n',
    );
  });

  it('produces a stream the Anthropic SDK assembles into the same message', async () => {
    const sse = encodeAll(
      [
        chunk({ role: 'assistant', content: 'Sure: ' }),
        chunk({ content: 'calling.' }),
        chunk({ tool_calls: [{ index: 0, id: 'call_z', type: 'function', function: { name: 'lookup', arguments: '{"id":' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '7}' } }] }),
        chunk({}, 'tool_calls'),
      ],
      { promptTokens: 30, completionTokens: 9, cacheReadTokens: 4, cacheWriteTokens: 2 },
    );
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(sse);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const client = new Anthropic({ apiKey: 'sk-relay', baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, maxRetries: 0 });
      const message = await client.messages.stream({ model: 'claude-alias', max_tokens: 10, messages: [{ role: 'user', content: 'go' }] }).finalMessage();
      expect(message.content).toEqual([
        { type: 'text', text: 'Sure: calling.' },
        { type: 'tool_use', id: 'call_z', name: 'lookup', input: { id: 7 } },
      ]);
      expect(message.stop_reason).toBe('tool_use');
      expect(message.usage).toMatchObject({ input_tokens: 30, output_tokens: 9, cache_read_input_tokens: 4, cache_creation_input_tokens: 2 });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
