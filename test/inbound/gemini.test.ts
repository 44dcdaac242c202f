import { toGeminiRequest } from '../../src/providers/gemini/index.js';
import { describe, expect, it } from 'vitest';
import { RelayError } from '../../src/errors.js';
import { geminiAdapter } from '../../src/providers/gemini/index.js';
import type { ChatCompletion, ChatCompletionChunk, ChunkDelta, FinishReason } from '../../src/providers/types.js';
import { geminiInbound } from '../../src/relay/inbound/gemini/index.js';
import { inStreamError } from '../../src/relay/error-formats.js';
import { sseEvents } from '../providers/helpers.js';

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg==';
const FROM = { model: 'gemini-2.5-flash', stream: false };

function caught(fn: () => unknown): RelayError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RelayError) return err;
    throw err;
  }
  throw new Error('expected a RelayError');
}

describe('Gemini request → canonical', () => {
  it('converts the documented multi-turn chat with a system instruction', () => {
    const req = geminiInbound.toChatRequest(
      {
        systemInstruction: { parts: [{ text: 'You are a cat.' }, { text: 'Your name is Neko.' }] },
        contents: [
          { role: 'user', parts: [{ text: 'Hello' }] },
          { role: 'model', parts: [{ text: 'Great to meet you. What would you like to know?' }] },
          { role: 'user', parts: [{ text: 'I have two dogs in my house. How many paws are in my house?' }] },
        ],
        generationConfig: { stopSequences: ['Title'], temperature: 1.0, topP: 0.8, topK: 10, maxOutputTokens: 800, candidateCount: 1 },
      },
      { model: 'gemini-2.0-flash', stream: true },
    );
    expect(req).toEqual({
      model: 'gemini-2.0-flash',
      stream: true,
      messages: [
        { role: 'system', content: 'You are a cat.\nYour name is Neko.' },
        { role: 'user', content: 'Hello' },
        { role: 'assistant', content: 'Great to meet you. What would you like to know?' },
        { role: 'user', content: 'I have two dogs in my house. How many paws are in my house?' },
      ],
      stop: ['Title'],
      temperature: 1.0,
      top_p: 0.8,
      max_tokens: 800,
      n: 1,
    });
  });

  it('accepts snake_case field names as Google’s REST examples write them', () => {
    const req = geminiInbound.toChatRequest(
      {
        system_instruction: { parts: [{ text: 'Be brief.' }] },
        contents: [{ parts: [{ inline_data: { mime_type: 'image/png', data: PNG } }, { text: 'Caption this image.' }] }],
        generation_config: { max_output_tokens: 50, response_mime_type: 'application/json' },
      },
      FROM,
    );
    expect(req.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
          { type: 'text', text: 'Caption this image.' },
        ],
      },
    ]);
    expect(req.max_tokens).toBe(50);
    expect(req.response_format).toEqual({ type: 'json_object' });
  });

  it('maps fileData URLs, audio and documents', () => {
    const req = geminiInbound.toChatRequest(
      {
        contents: [
          {
            role: 'user',
            parts: [
              { fileData: { mimeType: 'image/jpeg', fileUri: 'https://images.test/cat.jpg' } },
              { fileData: { fileUri: 'https://images.test/dog.png?size=large' } },
              { fileData: { fileUri: 'https://www.youtube.com/watch?v=9hE5-98ZeCg' } },
              { fileData: { mimeType: 'application/pdf', fileUri: 'https://docs.test/a.pdf' } },
              { inlineData: { mimeType: 'audio/mpeg', data: 'SUQz' } },
              { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=' } },
            ],
          },
        ],
      },
      FROM,
    );
    // Images by URL stay images; any other file by URL (a video with no MIME type, a PDF) is a file the relay cannot
    // see into (reserved at the model's context window).
    expect(req.messages[0]!.content).toEqual([
      { type: 'image_url', image_url: { url: 'https://images.test/cat.jpg' } },
      { type: 'image_url', image_url: { url: 'https://images.test/dog.png?size=large' } },
      { type: 'file', file: { file_url: 'https://www.youtube.com/watch?v=9hE5-98ZeCg' } },
      { type: 'file', file: { file_url: 'https://docs.test/a.pdf', mime_type: 'application/pdf' } },
      { type: 'input_audio', input_audio: { data: 'SUQz', format: 'mp3' } },
      { type: 'file', file: { filename: 'attachment.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } },
    ]);
    // A Gemini channel gets the same fileData back (images by URL are inlined by the pipeline before this step).
    const files = (req.messages[0]!.content as unknown[]).slice(2, 4);
    const sent = toGeminiRequest({ ...req, messages: [{ role: 'user', content: files as never }] });
    expect(sent.contents[0]!.parts).toEqual([
      { fileData: { fileUri: 'https://www.youtube.com/watch?v=9hE5-98ZeCg' } },
      { fileData: { fileUri: 'https://docs.test/a.pdf', mimeType: 'application/pdf' } },
    ]);
  });

  it('turns function calls and responses into tool calls and tool messages with matching ids', () => {
    const req = geminiInbound.toChatRequest(
      {
        contents: [
          { role: 'user', parts: [{ text: 'Turn the lights down and tell me the weather.' }] },
          {
            role: 'model',
            parts: [
              { text: 'Thinking about lights', thought: true },
              { functionCall: { name: 'set_light_values', args: { brightness: 25 } }, thoughtSignature: 'c2ln' },
              { functionCall: { name: 'get_weather', args: { location: 'Lisbon' } } },
            ],
          },
          {
            role: 'user',
            parts: [
              { functionResponse: { name: 'get_weather', response: { temp: 21 } } },
              { functionResponse: { name: 'set_light_values', response: { brightness: 25 } } },
            ],
          },
        ],
      },
      FROM,
    );
    expect(req.messages).toEqual([
      { role: 'user', content: 'Turn the lights down and tell me the weather.' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_0', type: 'function', function: { name: 'set_light_values', arguments: '{"brightness":25}' } },
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Lisbon"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' },
      { role: 'tool', tool_call_id: 'call_0', content: '{"brightness":25}' },
    ]);
  });

  it('uses the ids a client gives its function calls', () => {
    const req = geminiInbound.toChatRequest(
      {
        contents: [
          { role: 'model', parts: [{ functionCall: { id: 'fc-7', name: 'f', args: {} } }, { functionCall: { id: 'fc-8', name: 'f' } }] },
          { role: 'user', parts: [{ functionResponse: { id: 'fc-8', name: 'f', response: { n: 8 } } }, { text: 'and?' }] },
        ],
      },
      FROM,
    );
    expect(req.messages.slice(1)).toEqual([
      { role: 'tool', tool_call_id: 'fc-8', content: '{"n":8}' },
      { role: 'user', content: 'and?' },
    ]);
  });

  it('converts function declarations, tool config and a response schema', () => {
    const req = geminiInbound.toChatRequest(
      {
        contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
        tools: [
          {
            functionDeclarations: [
              {
                name: 'find_movies',
                description: 'find movie titles currently playing in theaters',
                parameters: {
                  type: 'OBJECT',
                  properties: {
                    location: { type: 'STRING', description: 'The city and state' },
                    genre: { type: 'STRING', nullable: true, format: 'enum', enum: ['drama', 'comedy'] },
                    tags: { type: 'ARRAY', items: { type: 'STRING' } },
                  },
                  required: ['location'],
                  propertyOrdering: ['location', 'genre'],
                },
              },
              { name: 'raw', parametersJsonSchema: { type: 'object', additionalProperties: false } },
              { name: 'bare' },
            ],
          },
          { googleSearch: {} },
        ],
        toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['find_movies', 'raw'] } },
        generationConfig: { responseMimeType: 'application/json', responseSchema: { type: 'ARRAY', items: { type: 'STRING' } } },
      },
      FROM,
    );
    expect(req.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'find_movies',
          description: 'find movie titles currently playing in theaters',
          parameters: {
            type: 'object',
            properties: {
              location: { type: 'string', description: 'The city and state' },
              genre: { type: ['string', 'null'], enum: ['drama', 'comedy'] },
              tags: { type: 'array', items: { type: 'string' } },
            },
            required: ['location'],
          },
        },
      },
      { type: 'function', function: { name: 'raw', parameters: { type: 'object', additionalProperties: false } } },
    ]);
    expect(req.tool_choice).toBe('required');
    expect(req.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'response', schema: { type: 'array', items: { type: 'string' } } },
    });
  });

  it.each([
    [{ mode: 'AUTO' }, 'auto'],
    [{ mode: 'NONE' }, 'none'],
    [{ mode: 'ANY' }, 'required'],
    [{ mode: 'ANY', allowedFunctionNames: ['f'] }, { type: 'function', function: { name: 'f' } }],
  ])('toolConfig %j → %j', (config, choice) => {
    const req = geminiInbound.toChatRequest(
      {
        contents: [{ parts: [{ text: 'x' }] }],
        tools: [{ functionDeclarations: [{ name: 'f' }] }],
        toolConfig: { functionCallingConfig: config },
      },
      FROM,
    );
    expect(req.tool_choice).toEqual(choice);
  });

  it('drops tool config when no function can be called', () => {
    const req = geminiInbound.toChatRequest(
      { contents: [{ parts: [{ text: 'x' }] }], tools: [{ codeExecution: {} }], toolConfig: { functionCallingConfig: { mode: 'ANY' } } },
      FROM,
    );
    expect(req.tools).toBeUndefined();
    expect(req.tool_choice).toBeUndefined();
  });

  it('takes the model from the body when the URL has none', () => {
    expect(geminiInbound.toChatRequest({ model: 'models/gemini-pro', contents: [{ parts: [{ text: 'x' }] }] }, {}).model).toBe('gemini-pro');
  });

  it.each([
    ['a non-object body', [], 'body'],
    ['no model', { contents: [{ parts: [{ text: 'x' }] }], __noModel: true }, 'model'],
    ['no contents', {}, 'contents'],
    ['empty contents', { contents: [] }, 'contents'],
    ['a bad role', { contents: [{ role: 'system', parts: [{ text: 'x' }] }] }, 'contents[0].role'],
    ['no parts', { contents: [{ role: 'user' }] }, 'contents[0].parts'],
    ['empty parts', { contents: [{ role: 'user', parts: [] }] }, 'contents[0].parts'],
    ['a part with nothing', { contents: [{ role: 'user', parts: [{ executableCode: {} }] }] }, 'contents[0].parts[0]'],
    ['text not a string', { contents: [{ parts: [{ text: 5 }] }] }, 'contents[0].parts[0].text'],
    ['inlineData without data', { contents: [{ parts: [{ inlineData: { mimeType: 'image/png' } }] }] }, 'contents[0].parts[0].inlineData.data'],
    ['a gs:// file', { contents: [{ parts: [{ fileData: { fileUri: 'gs://bucket/a.png' } }] }] }, 'contents[0].parts[0].fileData.fileUri'],
    ['an image in a model turn', { contents: [{ role: 'model', parts: [{ inlineData: { mimeType: 'image/png', data: PNG } }] }] }, 'contents[0].parts[0]'],
    ['a function call from the user', { contents: [{ parts: [{ functionCall: { name: 'f' } }] }] }, 'contents[0].parts[0].functionCall'],
    ['a function call without a name', { contents: [{ role: 'model', parts: [{ functionCall: { args: {} } }] }] }, 'contents[0].parts[0].functionCall.name'],
    ['an unmatched function response', { contents: [{ parts: [{ functionResponse: { name: 'f', response: {} } }] }] }, 'contents[0].parts[0].functionResponse'],
    ['a bad system instruction', { systemInstruction: { parts: [{ inline: 1 }] }, contents: [{ parts: [{ text: 'x' }] }] }, 'systemInstruction.parts[0].text'],
    ['a declaration without a name', { contents: [{ parts: [{ text: 'x' }] }], tools: [{ functionDeclarations: [{ description: 'd' }] }] }, 'tools[0].functionDeclarations[0].name'],
    ['a bad mode', { contents: [{ parts: [{ text: 'x' }] }], toolConfig: { functionCallingConfig: { mode: 'SOMETIMES' } } }, 'toolConfig.functionCallingConfig.mode'],
    ['a string temperature', { contents: [{ parts: [{ text: 'x' }] }], generationConfig: { temperature: 'hot' } }, 'generationConfig.temperature'],
    ['fractional maxOutputTokens', { contents: [{ parts: [{ text: 'x' }] }], generationConfig: { maxOutputTokens: 1.5 } }, 'generationConfig.maxOutputTokens'],
    ['bad stop sequences', { contents: [{ parts: [{ text: 'x' }] }], generationConfig: { stopSequences: [1] } }, 'generationConfig.stopSequences[0]'],
  ])('rejects %s naming %s', (_name, body, param) => {
    const from = (body as { __noModel?: boolean }).__noModel ? {} : FROM;
    const err = caught(() => geminiInbound.toChatRequest(body, from));
    expect(err.code).toBe('invalid_request');
    expect(err.status).toBe(400);
    expect(err.details.param).toBe(param);
    expect(err.message).toContain(param === 'body' ? 'JSON object' : param);
  });

  it('round-trips through the Gemini adapter', () => {
    const original = {
      systemInstruction: { parts: [{ text: 'sys' }] },
      contents: [
        { role: 'user', parts: [{ text: 'q' }, { inlineData: { mimeType: 'image/png', data: PNG } }] },
        { role: 'model', parts: [{ functionCall: { name: 'f', args: { a: 1 } } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'f', response: { ok: true } } }] },
      ],
      generationConfig: { maxOutputTokens: 10, temperature: 0.5 },
    };
    const built = geminiAdapter.buildChatRequest(geminiInbound.toChatRequest(original, FROM), {
      baseUrl: 'http://127.0.0.1:1',
      key: 'k',
      model: 'gemini-2.5-flash',
      config: {},
    });
    const body = JSON.parse(built.body!) as { systemInstruction: unknown; contents: Array<{ parts: Array<Record<string, unknown>> }>; generationConfig: unknown };
    expect(body.systemInstruction).toEqual(original.systemInstruction);
    expect(body.contents[0]).toEqual(original.contents[0]);
    expect(body.contents[1]!.parts[0]!.functionCall).toEqual({ name: 'f', args: { a: 1 } });
    expect(body.contents[2]).toEqual(original.contents[2]);
    expect(body.generationConfig).toEqual(original.generationConfig);
  });
});

describe('canonical completion → Gemini response', () => {
  const completion: ChatCompletion = {
    id: 'chatcmpl-9',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-4o',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: 'Calling.',
          reasoning_content: 'Plan.',
          tool_calls: [{ id: 'call_x', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
        },
        finish_reason: 'tool_calls',
      },
    ],
    usage: {
      prompt_tokens: 100,
      completion_tokens: 50,
      total_tokens: 150,
      prompt_tokens_details: { cached_tokens: 64 },
      completion_tokens_details: { reasoning_tokens: 20 },
    },
  };

  it('builds candidates, usageMetadata and modelVersion', () => {
    expect(geminiInbound.fromChatCompletion(completion, 'gemini-2.5-flash')).toEqual({
      candidates: [
        {
          content: {
            role: 'model',
            parts: [{ text: 'Plan.', thought: true }, { text: 'Calling.' }, { functionCall: { name: 'f', args: { a: 1 } } }],
          },
          finishReason: 'STOP',
          index: 0,
        },
      ],
      usageMetadata: {
        promptTokenCount: 100,
        candidatesTokenCount: 30,
        totalTokenCount: 150,
        cachedContentTokenCount: 64,
        thoughtsTokenCount: 20,
      },
      modelVersion: 'gemini-2.5-flash',
      responseId: 'chatcmpl-9',
    });
  });

  it.each([
    ['stop', 'STOP'],
    ['length', 'MAX_TOKENS'],
    ['content_filter', 'SAFETY'],
    ['tool_calls', 'STOP'],
  ] as const)('finish_reason %s → %s', (reason, expected) => {
    const c: ChatCompletion = {
      ...completion,
      usage: undefined,
      choices: [{ index: 0, message: { role: 'assistant', content: '' }, finish_reason: reason }],
    };
    const response = geminiInbound.fromChatCompletion(c, 'm') as { candidates: Array<{ finishReason: string; content: unknown }>; usageMetadata?: unknown };
    expect(response.candidates[0]!.finishReason).toBe(expected);
    expect(response.candidates[0]!.content).toEqual({ role: 'model', parts: [{ text: '' }] });
    expect(response.usageMetadata).toBeUndefined();
  });
});

describe('Gemini stream encoder', () => {
  const chunk = (delta: ChunkDelta, finish: FinishReason = null, extra: Partial<ChatCompletionChunk> = {}): ChatCompletionChunk => ({
    id: 'chatcmpl-s',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-4o',
    choices: [{ index: 0, delta, finish_reason: finish }],
    ...extra,
  });

  it('emits text as it comes, whole function calls, and usage last', () => {
    const encoder = geminiInbound.createStreamEncoder('gemini-2.5-flash');
    let text = '';
    text += encoder.encode(chunk({ role: 'assistant', content: '' }));
    text += encoder.encode(chunk({ reasoning_content: 'Hmm.' }));
    text += encoder.encode(chunk({ content: 'Let me ' }));
    text += encoder.encode(chunk({ content: 'check.' }));
    text += encoder.encode(chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] }));
    text += encoder.encode(chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }));
    const beforeSecondCall = text;
    text += encoder.encode(chunk({ tool_calls: [{ index: 0, function: { arguments: '"Lisbon"}' } }] }));
    expect(text).toBe(beforeSecondCall + ''); // arguments incomplete: nothing sent yet
    text += encoder.encode(chunk({ tool_calls: [{ index: 1, id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{}' } }] }));
    text += encoder.encode(chunk({}, 'tool_calls'));
    text += encoder.encode(chunk({}, null, { choices: [], usage: { prompt_tokens: 10, completion_tokens: 9, total_tokens: 19, completion_tokens_details: { reasoning_tokens: 4 } } }));
    text += encoder.finish({ promptTokens: 6, completionTokens: 9, cacheReadTokens: 4, cacheWriteTokens: 0 });

    expect(text.split('\r\n\r\n').filter(Boolean).every((e) => e.startsWith('data: '))).toBe(true);
    const events = sseEvents(text).map((e) => JSON.parse(e.data) as Record<string, unknown>);
    const parts = events.map((e) => (e.candidates as Array<{ content: { parts: unknown[] } }>)[0]!.content.parts);
    expect(parts).toEqual([
      [{ text: 'Hmm.', thought: true }],
      [{ text: 'Let me ' }],
      [{ text: 'check.' }],
      [{ functionCall: { name: 'get_weather', args: { city: 'Lisbon' } } }],
      [{ functionCall: { name: 'get_time', args: {} } }],
      [{ text: '' }],
    ]);
    expect(events.slice(0, -1).every((e) => e.usageMetadata === undefined && (e.candidates as Array<Record<string, unknown>>)[0]!.finishReason === undefined)).toBe(true);
    expect(events.at(-1)).toEqual({
      candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 19, cachedContentTokenCount: 4, thoughtsTokenCount: 4 },
      modelVersion: 'gemini-2.5-flash',
      responseId: 'chatcmpl-s',
    });
    expect(events.every((e) => e.modelVersion === 'gemini-2.5-flash')).toBe(true);
  });

  it('flushes a call still open when the stream ends without a finish reason', () => {
    const encoder = geminiInbound.createStreamEncoder('m');
    encoder.encode(chunk({ tool_calls: [{ index: 0, id: 'c', type: 'function', function: { name: 'f', arguments: '{"x":true}' } }] }));
    const last = JSON.parse(sseEvents(encoder.finish(undefined))[0]!.data) as Record<string, unknown>;
    expect(last).toEqual({
      candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: 'f', args: { x: true } } }] }, finishReason: 'STOP', index: 0 }],
      modelVersion: 'm',
      responseId: 'chatcmpl-s',
    });
  });

  it('ends a length-limited answer with MAX_TOKENS', () => {
    const encoder = geminiInbound.createStreamEncoder('m');
    encoder.encode(chunk({ content: 'abc' }));
    encoder.encode(chunk({}, 'length'));
    const last = JSON.parse(sseEvents(encoder.finish({ promptTokens: 1, completionTokens: 3, cacheReadTokens: 0, cacheWriteTokens: 0 }))[0]!.data) as {
      candidates: Array<{ finishReason: string }>;
      usageMetadata: unknown;
    };
    expect(last.candidates[0]!.finishReason).toBe('MAX_TOKENS');
    expect(last.usageMetadata).toEqual({ promptTokenCount: 1, candidatesTokenCount: 3, totalTokenCount: 4 });
  });

  it.each([
    [429, 'RESOURCE_EXHAUSTED'],
    [400, 'INVALID_ARGUMENT'],
    [401, 'UNAUTHENTICATED'],
    [503, 'UNAVAILABLE'],
    [502, 'INTERNAL'],
  ])('an error after the stream started (status %i) is a Google Status event: %s', (code, status) => {
    const text = inStreamError(new RelayError('upstream_error', 'Something failed', code), 'gemini');
    expect(text).toBe(`data: ${JSON.stringify({ error: { code, message: 'Something failed', status, reason: 'upstream_error' } })}\n\n`);
  });
});
