// The prohibited-word filter on completions (options: prohibitedWords + checkCompletions), through the real server:
// a streamed answer is cut at the event that completes a word, also when the word spans two events, and nothing of
// that event or after it reaches the client; a whole answer with a word is refused. The pass-through meter leaves
// most events unread (providers/openai/stream.ts); with the filter on, each event's text is read as it comes.
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { addChannel, listen, seedAccount, type SeededAccount } from '../helpers/relay.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';

describe('completion filter', () => {
  let t: TestApp;
  let up: FakeOpenAI;
  let base: string;
  let account: SeededAccount;

  beforeAll(async () => {
    up = await startFakeOpenAI({ keys: ['sk-upstream'] });
    t = await createTestApp('sqlite');
    await t.ctx.options.update({ modelRatios: { 'gpt-4o-mini': 1 }, prohibitedWords: ['forbidden-word'], checkCompletions: true });
    await addChannel(t, { baseUrl: up.url, models: ['gpt-4o-mini'], groups: ['default'] });
    account = await seedAccount(t);
    base = await listen(t);
  });
  afterEach(() => up.setScript(null));
  afterAll(async () => {
    await t?.close();
    await up?.close();
  });

  const chat = (stream: boolean) =>
    fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${account.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 50 }),
    });

  it('cuts a stream at the event that completes a word, also one split across events, and sends nothing after it', async () => {
    // 30 ms between events: the first ones reach the client before the word is complete.
    up.setScript(() => ({ kind: 'stream', chunks: ['Hello ', 'there, forbid', 'den-word! ', 'and more'], chunkDelayMs: 30 }));
    const res = await chat(true);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('Hello ');
    expect(text).toContain('there, forbid'); // sent before the word was complete
    expect(text).not.toContain('"content":"den-word'); // the event that completes it is not
    expect(text).not.toContain('and more');
    expect(text).not.toContain('[DONE]');
    expect(text).toMatch(/"code":\s*"content_filtered"/);
  });

  it('refuses a stream whose first events already hold a word, before anything is sent', async () => {
    up.setScript(() => ({ kind: 'stream', chunks: ['a forbidden-word at once', ' and more'] }));
    const res = await chat(true);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string } };
    expect(body.error.code).toBe('content_filtered');
  });

  it('passes a clean stream whole, and refuses a whole answer with a word', async () => {
    up.setScript(() => ({ kind: 'stream', chunks: ['Hello ', 'there, ', 'all clean'], chunkDelayMs: 5 }));
    const clean = await (await chat(true)).text();
    expect(clean).toContain('all clean');
    expect(clean).toContain('[DONE]');
    up.setScript(() => ({ kind: 'answer', text: 'this has a FORBIDDEN-WORD in it' }));
    const whole = await chat(false);
    expect(whole.status).toBe(400);
    expect(((await whole.json()) as { error: { code: string } }).error.code).toBe('content_filtered');
  });
});
