// Token counting. Reference values come from OpenAI's cookbook ("How to count tokens with tiktoken"), whose counts
// were checked there against the API's prompt_tokens, and from js-tiktoken's own encoder as an oracle.
//
// Speed measured on the 2-core dev box (warm): 1 KB of mixed English/CJK text ≈ 0.07 ms (js-tiktoken's encode: ≈ 1 ms);
// 200 KB of one pathological 200,000-letter "word" ≈ 110 ms (js-tiktoken: 20 KB of it took 31 s). Loading the o200k
// table once ≈ 0.5 s.
import { createRequire } from 'node:module';
import { describe, it, expect, beforeAll } from 'vitest';
import { Tiktoken } from 'js-tiktoken/lite';
import type { ChatMessage, FunctionTool } from '../../src/providers/types.js';
import {
  countChatPrompt,
  countText,
  encodingFor,
  FAST_ESTIMATE_BYTES,
  loadEncoding,
} from '../../src/billing/tokenizer.js';

beforeAll(() => {
  loadEncoding('o200k_base');
  loadEncoding('cl100k_base');
});

describe('encodingFor', () => {
  it.each([
    ['gpt-4o', 'o200k_base'],
    ['gpt-4o-mini-2024-07-18', 'o200k_base'],
    ['chatgpt-4o-latest', 'o200k_base'],
    ['o1', 'o200k_base'],
    ['o1-mini', 'o200k_base'],
    ['o3-mini', 'o200k_base'],
    ['o4-mini-2025-04-16', 'o200k_base'],
    ['gpt-4.1-nano', 'o200k_base'],
    ['gpt-5', 'o200k_base'],
    ['gpt-5.1-chat-latest', 'o200k_base'],
    ['openai/gpt-4o', 'o200k_base'],
    ['gpt-4', 'cl100k_base'],
    ['gpt-4-turbo', 'cl100k_base'],
    ['gpt-3.5-turbo', 'cl100k_base'],
    ['claude-sonnet-4-5', 'cl100k_base'],
    ['o100-something', 'cl100k_base'],
    ['deepseek-chat', 'cl100k_base'],
  ])('%s → %s', (model, encoding) => {
    expect(encodingFor(model)).toBe(encoding);
  });
});

describe('countText', () => {
  it('counts exact tokens per encoding', () => {
    expect(countText('hello world', 'gpt-4o')).toBe(2);
    expect(countText('Hello, 世界! Tokenizers are fun.', 'gpt-4o')).toBe(9);
    expect(countText('Hello, 世界! Tokenizers are fun.', 'gpt-3.5-turbo')).toBe(12);
    expect(countText("I'm 12345 tokens?", 'gpt-4o')).toBe(6);
    expect(countText('', 'gpt-4o')).toBe(0);
  });

  it('treats special-token text as ordinary text instead of throwing', () => {
    expect(countText('<|endoftext|>', 'gpt-4o')).toBe(7);
    expect(countText('<|endoftext|>', 'gpt-4')).toBe(7);
  });

  it('matches js-tiktoken on varied and random text, for both encodings', () => {
    const require = createRequire(import.meta.url);
    const alphabet = [...'abcdefghij KLMNOP 0123456789.,;:!?\'"\n\t-_/\\()[]{}<>你好世界中文éüßÆ日本語テストΩ🤖'];
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const samples = [
      "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage.",
      'function f(x) {\n\treturn x * 2; // comment\n}\n\n\n',
      'ﾃｽﾄ 🤖🚀 straße naïve café 3.14159 1e10',
      ' '.repeat(300) + 'x',
      '中'.repeat(300),
      Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 256)).toString('base64'),
    ];
    for (let k = 0; k < 120; k++) {
      const length = Math.floor(random() * 120);
      samples.push(Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join(''));
    }
    for (const [model, file] of [['gpt-4o', 'o200k_base'], ['gpt-4', 'cl100k_base']] as const) {
      const oracle = new Tiktoken(require(`js-tiktoken/ranks/${file}`));
      const mismatches = samples.filter((s) => countText(s, model) !== oracle.encode(s, [], []).length);
      expect(mismatches).toEqual([]);
    }
  });

  it('stays fast on pathological input right up to the budget', () => {
    const text = 'a'.repeat(FAST_ESTIMATE_BYTES);
    const started = performance.now();
    // 8 a's per token in both encodings.
    expect(countText(text, 'gpt-4o')).toBe(FAST_ESTIMATE_BYTES / 8);
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('counts 1 KB in well under a millisecond', () => {
    const kb = 'The quick brown fox jumps over the lazy dog. 你好世界 '.repeat(20).slice(0, 1024);
    countText(kb, 'gpt-4o');
    const started = performance.now();
    for (let i = 0; i < 200; i++) countText(`${kb}${i}`, 'gpt-4o');
    expect((performance.now() - started) / 200).toBeLessThan(1);
  });

  it('past the budget returns UTF-8 bytes, an upper bound, without tokenizing', () => {
    const text = '你'.repeat(FAST_ESTIMATE_BYTES / 3 + 1); // 3 bytes each
    expect(countText(text, 'gpt-4o')).toBe(Buffer.byteLength(text));
  });
});

describe('countChatPrompt', () => {
  // The cookbook's example conversation: API-verified 129 prompt tokens on gpt-3.5-turbo / gpt-4, 124 on gpt-4o(-mini).
  const cookbookMessages: ChatMessage[] = [
    { role: 'system', content: 'You are a helpful, pattern-following assistant that translates corporate jargon into plain English.' },
    { role: 'system', name: 'example_user', content: 'New synergies will help drive top-line growth.' },
    { role: 'system', name: 'example_assistant', content: 'Things working well together will increase revenue.' },
    { role: 'system', name: 'example_user', content: "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage." },
    { role: 'system', name: 'example_assistant', content: "Let's talk later when we're less busy about how to do better." },
    { role: 'user', content: "This late pivot means we don't have time to boil the ocean for the client deliverable." },
  ];

  it.each([
    ['gpt-3.5-turbo', 129],
    ['gpt-4', 129],
    ['gpt-4o', 124],
    ['gpt-4o-mini', 124],
  ])('matches the cookbook on %s (%i)', (model, expected) => {
    expect(countChatPrompt(cookbookMessages, model)).toEqual({ tokens: expected, images: [], attachments: [], estimated: false });
  });

  // The cookbook's tool example: API-verified 105 on gpt-3.5-turbo / gpt-4, 101 on gpt-4o(-mini).
  const weatherTools: FunctionTool[] = [
    {
      type: 'function',
      function: {
        name: 'get_current_weather',
        description: 'Get the current weather in a given location',
        parameters: {
          type: 'object',
          properties: {
            location: { type: 'string', description: 'The city and state, e.g. San Francisco, CA' },
            unit: { type: 'string', description: 'The unit of temperature to return', enum: ['celsius', 'fahrenheit'] },
          },
          required: ['location'],
        },
      },
    },
  ];
  const weatherMessages: ChatMessage[] = [
    { role: 'system', content: 'You are a helpful assistant that can answer to questions about the weather.' },
    { role: 'user', content: "What's the weather like in San Francisco?" },
  ];

  it.each([
    ['gpt-3.5-turbo', 105],
    ['gpt-4', 105],
    ['gpt-4o', 101],
    ['gpt-4o-mini', 101],
  ])('matches the cookbook tool example on %s (%i)', (model, expected) => {
    expect(countChatPrompt(weatherMessages, model, weatherTools).tokens).toBe(expected);
  });

  it('counts text parts, returns image parts uncounted, and counts tool calls', () => {
    const image = { type: 'image_url' as const, image_url: { url: 'https://example.test/cat.png', detail: 'low' as const } };
    const messages: ChatMessage[] = [
      { role: 'user', content: [{ type: 'text', text: 'hello world' }, image, { type: 'input_audio', input_audio: {} }] },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
    ];
    const m = (text: string) => countText(text, 'gpt-4o');
    const expected =
      3 + // reply priming
      (3 + m('user') + m('hello world')) +
      (3 + m('assistant') + 3 + m('get_weather') + m('{"city":"Paris"}')) +
      (3 + m('tool') + m('sunny'));
    const result = countChatPrompt(messages, 'gpt-4o');
    expect(result.images).toEqual([image]);
    expect(result.tokens).toBe(expected);
    expect(result.estimated).toBe(false);
  });

  it('bytes mode bounds the exact count from above on every model, without tokenizing', () => {
    const messages: ChatMessage[] = [
      ...cookbookMessages,
      { role: 'user', name: 'émile', content: [{ type: 'text', text: '请用中文回答：东京的天气怎么样？ 🌧️ naïve café' }] },
      {
        role: 'assistant',
        content: null,
        reasoning_content: 'The user asks about the weather; call the tool.',
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_current_weather', arguments: '{"location":"東京","unit":"celsius"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '{"temperature": 18, "sky": "rain"}' },
      { role: 'user', content: '   \n\n\t   ' + 'x'.repeat(300) + ' '.repeat(500) },
    ];
    const nested: FunctionTool[] = [
      ...weatherTools,
      { type: 'function', function: { name: 'plan', parameters: { type: 'object', properties: { steps: { type: 'array', items: { type: 'object', properties: { at: { type: 'string' } } } }, mode: { type: ['string', 'null'], enum: ['a', 'b', ''] } } } } },
    ];
    for (const model of ['gpt-4o', 'gpt-4', 'claude-sonnet-4-5']) {
      for (const tools of [undefined, weatherTools, nested]) {
        const exact = countChatPrompt(messages, model, tools);
        const bound = countChatPrompt(messages, model, tools, { bytes: true });
        expect(bound.tokens).toBeGreaterThanOrEqual(exact.tokens);
        expect(bound.estimated).toBe(true);
      }
    }
    expect(countChatPrompt([{ role: 'user', content: 'hello world' }], 'gpt-4o', undefined, { bytes: true }).tokens).toBe(3 + 3 + 4 + 11);
  });

  it('shares one budget across messages and flags the estimate', () => {
    const chunk = 'word '.repeat(30 * 1024); // 150 KB each
    const messages: ChatMessage[] = [
      { role: 'user', content: chunk },
      { role: 'user', content: chunk },
    ];
    const result = countChatPrompt(messages, 'gpt-4o');
    expect(result.estimated).toBe(true);
    // First chunk tokenized exactly (30 × 1024 " word"-ish tokens), the second counted as bytes.
    expect(result.tokens).toBe(3 + (3 + 1 + countText(chunk, 'gpt-4o')) + (3 + 1 + Buffer.byteLength(chunk)));
  });
});
