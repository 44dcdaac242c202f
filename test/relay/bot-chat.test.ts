// The bots' in-process chat (RelayService.chat): the pipeline hands it the answer's text as it is generated (no SSE
// to parse back), billed and logged like an API call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayError } from '../../src/errors.js';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { addChannel, balances, seedAccount, type SeededAccount } from '../helpers/relay.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';

const sse = (...events: unknown[]) => events.map((e) => `data: ${typeof e === 'string' ? e : JSON.stringify(e)}\n\n`).join('');
const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
  id: 'c1',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'm',
  choices: [{ index: 0, delta, finish_reason: finish }],
});

describe('bot chat through the relay', () => {
  let t: TestApp;
  let up: FakeOpenAI;
  let account: SeededAccount;

  beforeAll(async () => {
    up = await startFakeOpenAI();
    t = await createTestApp('sqlite');
    await t.ctx.options.update({ modelRatios: { m: 1 }, completionRatios: { m: 1 } });
    await addChannel(t, { baseUrl: up.url, models: ['m'] });
    account = await seedAccount(t, { quota: 100_000 });
  });
  afterAll(async () => {
    await t?.close();
    await up?.close();
  });

  it('streams the content (not the reasoning) through onDelta, and bills the call', async () => {
    up.setScript(() => ({
      kind: 'raw',
      status: 200,
      contentType: 'text/event-stream',
      body: sse(
        chunk({ role: 'assistant', content: '' }),
        chunk({ reasoning_content: 'thinking hard' }),
        chunk({ content: 'Hello' }),
        chunk({ content: ' there' }, 'stop'),
        { id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [], usage: { prompt_tokens: 9, completion_tokens: 7, total_tokens: 16 } },
        '[DONE]',
      ),
    }));
    const deltas: string[] = [];
    const before = await balances(t, account);
    const result = await t.relay.chat({ userId: account.userId, model: 'm', messages: [{ role: 'user', content: 'Hi' }], source: 'telegram', onDelta: (d) => deltas.push(d) });
    expect(deltas.join('')).toBe('Hello there'); // what one upstream read carried comes as one piece
    expect(result).toEqual({ text: 'Hello there', model: 'm', usage: { promptTokens: 9, completionTokens: 7, cacheReadTokens: 0, cacheWriteTokens: 0 }, quota: 16 });
    const after = await balances(t, account);
    expect(before.quota - after.quota).toBe(16);
    expect(after.logs.at(-1)).toMatchObject({ endpoint: 'bot:chat', source: 'telegram', status: 'ok', quota: 16n });
    // The upstream was asked for usage in the stream, as for any client.
    expect(up.requests.at(-1)!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('a stream cut short: what streamed was shown and billed, and the error is thrown as the RelayError it is', async () => {
    up.setScript(() => ({ kind: 'stream', chunks: ['one ', 'two ', 'three'], cutAfter: 2, usage: null }));
    const deltas: string[] = [];
    const err = await t.relay
      .chat({ userId: account.userId, model: 'm', messages: [{ role: 'user', content: 'Hi' }], source: 'discord', onDelta: (d) => deltas.push(d) })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayError);
    expect((err as RelayError).code).toBe('upstream_error');
    expect(deltas.join('')).toBe('one '); // the role chunk and one piece went out before the cut
    const entry = (await balances(t, account)).logs.at(-1)!;
    expect(entry).toMatchObject({ endpoint: 'bot:chat', type: 'consume', status: 'error' });
    expect(entry.completionTokens).toBeGreaterThan(0);
  });
});
