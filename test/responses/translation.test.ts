// The Responses translation in isolation: request items → canonical messages, canonical chunks → the Responses event
// sequence (reasoning, text, tool calls, freeform tools, a limit reached), and the native meter's reading of events.
import { describe, it, expect } from 'vitest';
import { toResponsesRequest } from '../../src/relay/inbound/responses/request.js';
import { ResponsesStreamEncoder } from '../../src/relay/inbound/responses/stream-encoder.js';
import { fromChatCompletion } from '../../src/relay/inbound/responses/response.js';
import { ResponsesStreamMeter } from '../../src/providers/openai/responses.js';
import type { ChatCompletionChunk, ChunkDelta, FinishReason } from '../../src/providers/types.js';

const chunk = (delta: ChunkDelta, finish: FinishReason = null): ChatCompletionChunk => ({
  id: 'chatcmpl-x',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'm',
  choices: [{ index: 0, delta, finish_reason: finish }],
});

function events(sse: string): Array<Record<string, unknown>> {
  return sse
    .trim()
    .split('\n\n')
    .map((block) => {
      const [event, data] = block.split('\n');
      const parsed = JSON.parse(data!.slice(6)) as Record<string, unknown>;
      expect(event).toBe(`event: ${String(parsed.type)}`);
      return parsed;
    });
}

describe('Responses request → chat request', () => {
  it('instructions, messages, calls, outputs, reasoning and custom tools', () => {
    const { chat, customTools, untranslatable, unseenPromptTokens } = toResponsesRequest({
      model: 'm',
      instructions: 'sys',
      input: [
        { role: 'developer', content: 'dev' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'look' }, { type: 'input_image', image_url: 'https://x/y.png', detail: 'low' }] },
        { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'A'.repeat(300) },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'calling' }] },
        { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' },
        { type: 'custom_tool_call', call_id: 'c2', name: 'apply_patch', input: 'PATCH' },
        { type: 'function_call_output', call_id: 'c1', output: 'r1' },
        { type: 'custom_tool_call_output', call_id: 'c2', output: [{ type: 'input_text', text: 'ok' }] },
      ],
      tools: [{ type: 'custom', name: 'apply_patch', description: 'patch' }, { type: 'function', name: 'f', parameters: { type: 'object' }, strict: true }],
      tool_choice: { type: 'function', name: 'f' },
    });
    expect(untranslatable).toBeUndefined();
    expect(unseenPromptTokens).toBe(100);
    expect([...customTools]).toEqual(['apply_patch']);
    expect(chat.messages).toEqual([
      { role: 'system', content: 'sys' },
      { role: 'developer', content: 'dev' },
      { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'https://x/y.png', detail: 'low' } }] },
      {
        role: 'assistant',
        content: 'calling',
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } },
          { id: 'c2', type: 'function', function: { name: 'apply_patch', arguments: '{"input":"PATCH"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'r1' },
      { role: 'tool', tool_call_id: 'c2', content: [{ type: 'text', text: 'ok' }] },
    ]);
    expect(chat.tool_choice).toEqual({ type: 'function', function: { name: 'f' } });
    expect(chat.tools![1]).toEqual({ type: 'function', function: { name: 'f', parameters: { type: 'object' }, strict: true } });
  });

  it('what only OpenAI serves is untranslatable, not invalid', () => {
    expect(toResponsesRequest({ model: 'm', input: 'x', tools: [{ type: 'file_search', vector_store_ids: ['v'] }] }).untranslatable).toContain('tools.0.type');
    expect(toResponsesRequest({ model: 'm', input: [{ type: 'local_shell_call', id: 'x' }] }).untranslatable).toContain('"local_shell_call"');
    expect(toResponsesRequest({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-1' }] }] }).untranslatable).toContain('file_id');
    const withSearch = toResponsesRequest({ model: 'm', input: 'x', tools: [{ type: 'web_search' }] });
    expect(withSearch.untranslatable).toBeUndefined();
    expect(withSearch.unseenContext).toBe(true);
  });
});

describe('canonical → Responses events', () => {
  const ctx = { id: 'abc', body: { instructions: 'sys', tools: [] }, customTools: new Set(['apply_patch']) };

  it('reasoning, text, then a function call and a freeform call; a length stop is response.incomplete', () => {
    const enc = new ResponsesStreamEncoder({ ...ctx }, 'm', 100);
    let sse = enc.encode(chunk({ role: 'assistant', reasoning_content: 'hmm' }));
    sse += enc.encode(chunk({ content: 'Hi' }));
    sse += enc.encode(chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a"' } }] }));
    sse += enc.encode(chunk({ tool_calls: [{ index: 0, function: { arguments: ':1}' } }] }));
    sse += enc.encode(chunk({ tool_calls: [{ index: 1, id: 'call_2', type: 'function', function: { name: 'apply_patch', arguments: '{"input":"P"}' } }] }, 'length'));
    sse += enc.finish({ promptTokens: 7, completionTokens: 5, cacheReadTokens: 3, cacheWriteTokens: 0 });
    const list = events(sse);
    expect(list.map((e) => e.sequence_number)).toEqual(list.map((_, i) => i));
    expect(enc.sequence).toBe(list.length - 1);
    expect(list.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.output_item.added',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.custom_tool_call_input.delta',
      'response.custom_tool_call_input.done',
      'response.output_item.done',
      'response.incomplete',
    ]);
    const final = list.at(-1)!.response as Record<string, unknown>;
    expect(final).toMatchObject({
      id: 'resp_abc',
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
      instructions: 'sys',
      usage: { input_tokens: 10, input_tokens_details: { cached_tokens: 3 }, output_tokens: 5, total_tokens: 15 },
    });
    expect(final.output).toEqual([
      { id: 'rs_abc_0', type: 'reasoning', summary: [{ type: 'summary_text', text: 'hmm' }] },
      { id: 'msg_abc_1', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Hi', annotations: [], logprobs: [] }] },
      { type: 'function_call', id: 'fc_abc_0', status: 'completed', call_id: 'call_1', name: 'f', arguments: '{"a":1}' },
      { type: 'custom_tool_call', id: 'fc_abc_1', status: 'completed', call_id: 'call_2', name: 'apply_patch', input: 'P' },
    ]);
  });

  it('a whole answer: output items and status', () => {
    const res = fromChatCompletion({ ...ctx }, {
      id: 'chatcmpl-x',
      object: 'chat.completion',
      created: 5,
      model: 'up',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello' }, finish_reason: 'content_filter' }],
      usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 },
    }, 'm');
    expect(res).toMatchObject({ id: 'resp_abc', object: 'response', model: 'm', status: 'incomplete', incomplete_details: { reason: 'content_filter' }, usage: { input_tokens: 4, output_tokens: 2 } });
  });
});

describe('the native Responses meter', () => {
  it('reads the id, deltas, usage and the end; failures are errors', () => {
    const meter = new ResponsesStreamMeter();
    expect(meter.push({ event: 'response.created', data: JSON.stringify({ type: 'response.created', sequence_number: 0, response: { id: 'resp_1' } }) })).toMatchObject({ id: 'resp_1', sequence: 0, ended: false });
    expect(meter.push({ data: JSON.stringify({ type: 'response.output_text.delta', delta: 'Hi', sequence_number: 1 }) }).delta).toBe('Hi');
    expect(meter.push({ data: JSON.stringify({ type: 'response.function_call_arguments.delta', delta: '{}' }) }).delta).toBe('{}');
    const end = meter.push({ data: JSON.stringify({ type: 'response.completed', response: { usage: { input_tokens: 10, input_tokens_details: { cached_tokens: 4 }, output_tokens: 3 } } }) });
    expect(end).toMatchObject({ ended: true, closing: true });
    expect(meter.usage()).toEqual({ promptTokens: 6, completionTokens: 3, cacheReadTokens: 4, cacheWriteTokens: 0 });
    expect(meter.push({ data: JSON.stringify({ type: 'error', code: 'rate_limit_exceeded', message: 'slow down' }) }).error).toMatchObject({ kind: 'rate_limited' });
    expect(meter.push({ data: 'not json' }).ended).toBe(false);
  });
});
