// Codex CLI's own request shapes (codex-rs ResponsesApiRequest: streamed, store: false, instructions, function tools
// with `strict`, the freeform apply_patch tool, include: ["reasoning.encrypted_content"], reasoning items with their
// encrypted_content passed back in input, parallel_tool_calls, prompt_cache_key, text.verbosity; its headers), read the
// way Codex reads a stream (items from output_item.done; the turn fails unless response.completed arrives with the
// response id and usage). End to end against an OpenAI channel (native) and Anthropic / OpenAI-compatible channels
// (translated).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestApp, dbKinds, type TestApp } from '../helpers/context.js';
import { addChannel, balances, listen, seedAccount, type SeededAccount } from '../helpers/relay.js';
import { SseReader } from '../../src/relay/sse.js';
import { startFakeResponses, type FakeResponses } from '../fakes/responses-upstream.js';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic-upstream.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';

type Item = Record<string, unknown> & { type: string };

const SHELL_TOOL = {
  type: 'function',
  name: 'shell',
  description: 'Runs a shell command and returns its output.',
  strict: false,
  parameters: {
    type: 'object',
    properties: { command: { type: 'array', items: { type: 'string' } }, workdir: { type: 'string' }, timeout_ms: { type: 'number' } },
    required: ['command'],
    additionalProperties: false,
  },
};
const APPLY_PATCH_TOOL = {
  type: 'custom',
  name: 'apply_patch',
  description: 'Use the `apply_patch` tool to edit files. This is a FREEFORM tool, so do not wrap the patch in JSON.',
  format: { type: 'grammar', syntax: 'lark', definition: 'start: begin_patch hunk+ end_patch\nbegin_patch: "*** Begin Patch" LF\n...' },
};
const UPDATE_PLAN_TOOL = {
  type: 'function',
  name: 'update_plan',
  description: 'Updates the task plan.',
  strict: false,
  parameters: { type: 'object', properties: { plan: { type: 'array', items: { type: 'object', properties: { step: { type: 'string' }, status: { type: 'string' } }, required: ['step', 'status'], additionalProperties: false } } }, required: ['plan'], additionalProperties: false },
};

const PATCH = '*** Begin Patch\n*** Update File: a.txt\n@@\n-old\n+new\n*** End Patch\n';

/** A Codex turn's request body, as codex-rs serializes ResponsesApiRequest. */
function codexRequest(model: string, input: Item[]): Record<string, unknown> {
  return {
    model,
    instructions: 'You are Codex, based on GPT-5. You are running as a coding agent in the Codex CLI on a user\'s computer.',
    input,
    tools: [SHELL_TOOL, APPLY_PATCH_TOOL, UPDATE_PLAN_TOOL],
    tool_choice: 'auto',
    parallel_tool_calls: false,
    reasoning: { effort: 'medium', summary: 'auto' },
    store: false,
    stream: true,
    include: ['reasoning.encrypted_content'],
    prompt_cache_key: '0199a7c3-5b0e-7a51-9d3f-1c2e3f4a5b6c',
    text: { verbosity: 'medium' },
  };
}

const USER_TURN: Item[] = [
  { type: 'message', role: 'user', content: [{ type: 'input_text', text: '<environment_context>\n  <cwd>/work/project</cwd>\n  <approval_policy>on-request</approval_policy>\n</environment_context>' }] },
  { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Replace old with new in a.txt' }] },
];

interface CodexTurn {
  items: Item[];
  text: string;
  responseId: string;
  usage: { input_tokens: number; output_tokens: number; input_tokens_details?: { cached_tokens: number } };
}

/** Reads a stream the way codex-rs does (sse/responses.rs): no response.completed, no turn. */
async function codexTurn(base: string, key: string, body: Record<string, unknown>): Promise<CodexTurn> {
  const res = await fetch(`${base}/v1/responses`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      accept: 'text/event-stream',
      'openai-beta': 'responses=experimental',
      originator: 'codex_cli_rs',
      session_id: '0199a7c3-5b0e-7a51-9d3f-1c2e3f4a5b6c',
      conversation_id: '0199a7c3-5b0e-7a51-9d3f-1c2e3f4a5b6c',
    },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const reader = new SseReader();
  const items: Item[] = [];
  let text = '';
  let completed: Record<string, unknown> | undefined;
  for await (const chunk of res.body!) {
    for (const ev of reader.push(chunk as Uint8Array)) {
      const data = JSON.parse(ev.data) as Record<string, unknown>;
      expect(ev.event).toBe(data.type);
      if (data.type === 'response.output_item.done') items.push(data.item as Item);
      if (data.type === 'response.output_text.delta') text += String(data.delta);
      if (data.type === 'response.failed' || data.type === 'error') throw new Error(`turn failed: ${ev.data}`);
      if (data.type === 'response.completed') completed = data.response as Record<string, unknown>;
    }
  }
  if (!completed) throw new Error('stream closed before response.completed');
  return { items, text, responseId: String(completed.id), usage: completed.usage as CodexTurn['usage'] };
}

describe.each(dbKinds)('Codex CLI request shapes (%s)', (kind) => {
  let t: TestApp;
  let openai: FakeResponses;
  let anthropic: FakeAnthropic;
  let compat: FakeOpenAI;
  let account: SeededAccount;
  let base: string;

  beforeAll(async () => {
    openai = await startFakeResponses({ keys: ['sk-upstream'] });
    anthropic = await startFakeAnthropic({ keys: ['sk-ant-upstream'] });
    compat = await startFakeOpenAI({ keys: ['sk-compat'] });
    t = await createTestApp(kind);
    const models = ['gpt-5-codex', 'claude-sonnet-4-6', 'qwen3-coder'];
    await t.ctx.options.update({
      modelRatios: Object.fromEntries(models.map((m) => [m, 1])),
      completionRatios: Object.fromEntries(models.map((m) => [m, 4])),
      cacheReadRatios: { 'gpt-5-codex': 0.1 },
      // The model's output maximum is known: a rich account's request goes up without a limit added.
      maxOutputTokens: { 'gpt-5-codex': 128_000 },
    });
    await addChannel(t, { type: 'openai', baseUrl: openai.url, keys: ['sk-upstream'], models: ['gpt-5-codex'] });
    await addChannel(t, { type: 'anthropic', baseUrl: anthropic.url, keys: ['sk-ant-upstream'], models: ['claude-sonnet-4-6'] });
    await addChannel(t, { type: 'qwen', baseUrl: compat.url, keys: ['sk-compat'], models: ['qwen3-coder'] });
    account = await seedAccount(t, { quota: 100_000_000 });
    base = await listen(t);
  });

  afterAll(async () => {
    await t?.close();
    await openai?.close();
    await anthropic?.close();
    await compat?.close();
  });

  it('OpenAI channel: two turns with encrypted reasoning passed back, byte-faithful upstream bodies, billed from usage, nothing stored', async () => {
    openai.setScript((req) =>
      (req.body!.input as Item[]).some((i) => i.type === 'function_call_output')
        ? { kind: 'answer', text: 'Replaced.', reasoning: { summary: 'The patch applied.' }, usage: { input: 5000, cached: 4000, output: 30, reasoning: 10 } }
        : { kind: 'answer', toolCall: { name: 'shell', arguments: '{"command":["cat","a.txt"]}', callId: 'call_1' }, reasoning: { summary: 'Look at the file first.' }, usage: { input: 1200, cached: 0, output: 40, reasoning: 20 } },
    );
    const before = await balances(t, account);
    const first = codexRequest('gpt-5-codex', USER_TURN);
    const turn1 = await codexTurn(base, account.key, first);
    expect(openai.requests[0]!.body).toEqual(first);
    expect(openai.requests[0]!.headers['openai-beta']).toBe('responses=experimental');
    const [reasoning, call] = turn1.items;
    expect(reasoning).toMatchObject({ type: 'reasoning', summary: [{ type: 'summary_text', text: 'Look at the file first.' }] });
    expect(reasoning!.encrypted_content).toMatch(/^gAAAAB/);
    expect(call).toMatchObject({ type: 'function_call', name: 'shell', call_id: 'call_1' });
    expect(turn1.usage).toMatchObject({ input_tokens: 1200, output_tokens: 40 });

    // Codex sends the whole history back, its reasoning items with their encrypted content included.
    const second = codexRequest('gpt-5-codex', [...USER_TURN, ...turn1.items, { type: 'function_call_output', call_id: 'call_1', output: 'old\n' }]);
    const turn2 = await codexTurn(base, account.key, second);
    expect(openai.requests[1]!.body).toEqual(second);
    expect(turn2.text).toBe('Replaced.');
    expect(turn2.usage.input_tokens_details?.cached_tokens).toBe(4000);

    const after = await balances(t, account);
    const logs = after.logs.slice(before.logs.length);
    expect(logs.map((l) => [l.endpoint, l.stream, l.status, l.promptTokens, l.cacheReadTokens, l.completionTokens])).toEqual([
      ['/v1/responses', true, 'ok', 1200, 0, 40],
      ['/v1/responses', true, 'ok', 1000, 4000, 30],
    ]);
    // 1200 + 40×4 = 1360; 1000 + 4000×0.1 + 30×4 = 1520
    expect(before.quota - after.quota).toBe(1360 + 1520);
    expect(await t.ctx.db.prisma.responseAffinity.count()).toBe(0); // store: false
  });

  it('Anthropic channel: tools become functions (apply_patch takes its raw input), reasoning items are left out, the patch comes back as custom_tool_call', async () => {
    anthropic.setScript((req) => {
      const messages = (req.body as { messages: Array<{ content: unknown }> }).messages;
      const results = messages.flatMap((m) => (Array.isArray(m.content) ? m.content : [])).filter((b: { type?: string }) => b.type === 'tool_result');
      if (results.length === 0) return { kind: 'answer', content: [{ type: 'text', text: 'Patching.' }, { type: 'tool_use', id: 'toolu_patch', name: 'apply_patch', input: { input: PATCH } }] };
      return { kind: 'answer', content: [{ type: 'text', text: 'Done: a.txt now says new.' }] };
    });
    const before = await balances(t, account);
    const history: Item[] = [
      ...USER_TURN,
      { type: 'reasoning', id: 'rs_old', summary: [{ type: 'summary_text', text: 'earlier thoughts' }], encrypted_content: 'gAAAABopaque' },
    ];
    const turn1 = await codexTurn(base, account.key, codexRequest('claude-sonnet-4-6', history));
    const up1 = anthropic.requests.at(-1)!.body as { system: unknown; tools: Array<{ name: string; input_schema: unknown }>; messages: unknown[] };
    expect(up1.tools.map((tool) => tool.name)).toEqual(['shell', 'apply_patch', 'update_plan']);
    expect(up1.tools[1]!.input_schema).toMatchObject({ properties: { input: { type: 'string' } }, required: ['input'] });
    expect(JSON.stringify(up1.system)).toContain('You are Codex');
    expect(JSON.stringify(up1.messages)).not.toContain('gAAAAB'); // reasoning only OpenAI can read stays out
    const patch = turn1.items.find((i) => i.type === 'custom_tool_call');
    expect(patch).toMatchObject({ type: 'custom_tool_call', name: 'apply_patch', call_id: 'toolu_patch', input: PATCH });
    expect(turn1.items.find((i) => i.type === 'message')).toMatchObject({ role: 'assistant', content: [{ type: 'output_text', text: 'Patching.' }] });

    const turn2 = await codexTurn(
      base,
      account.key,
      codexRequest('claude-sonnet-4-6', [...history, ...turn1.items, { type: 'custom_tool_call_output', call_id: 'toolu_patch', output: 'Success. Updated a.txt' }]),
    );
    expect(turn2.text).toBe('Done: a.txt now says new.');
    const up2 = JSON.stringify(anthropic.requests.at(-1)!.body);
    expect(up2).toContain('"type":"tool_use"');
    expect(up2).toContain('Success. Updated a.txt');
    expect(up2).toContain('"input":{"input":"*** Begin Patch'); // the patch went back as the call's one argument
    expect(turn2.usage.input_tokens).toBeGreaterThan(0);
    const after = await balances(t, account);
    expect(after.logs.slice(before.logs.length).map((l) => [l.endpoint, l.status])).toEqual([
      ['/v1/responses', 'ok'],
      ['/v1/responses', 'ok'],
    ]);
  });

  it('OpenAI-compatible channel: a shell call streams back as a function_call item; the answer after it completes the turn', async () => {
    compat.setScript((req) => {
      const messages = req.body!.messages as Array<{ role: string }>;
      if (messages.some((m) => m.role === 'tool')) return { kind: 'stream', chunks: ['All', ' done.'] };
      return { kind: 'stream', chunks: [], toolCall: { name: 'shell', arguments: '{"command":["ls"]}' } };
    });
    const turn1 = await codexTurn(base, account.key, codexRequest('qwen3-coder', USER_TURN));
    const call = turn1.items.find((i) => i.type === 'function_call')!;
    expect(call).toMatchObject({ name: 'shell', arguments: '{"command":["ls"]}', status: 'completed' });
    const up1 = compat.requests.at(-1)!.body!;
    expect(up1).toMatchObject({ stream: true, parallel_tool_calls: false, reasoning_effort: 'medium', tool_choice: 'auto' });
    expect(up1).not.toHaveProperty('prompt_cache_key');
    expect(up1).not.toHaveProperty('include');
    const turn2 = await codexTurn(base, account.key, codexRequest('qwen3-coder', [...USER_TURN, call, { type: 'function_call_output', call_id: String(call.call_id), output: 'a.txt' }]));
    expect(turn2.text).toBe('All done.');
    const tool = (compat.requests.at(-1)!.body!.messages as Array<Record<string, unknown>>).find((m) => m.role === 'tool');
    expect(tool).toEqual({ role: 'tool', tool_call_id: call.call_id, content: 'a.txt' });
  });
});
