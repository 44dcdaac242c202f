// Gemini's own REST API on the relay (POST /v1beta/models/{model}:generateContent and :streamGenerateContent?alt=sse),
// called the way Google's SDKs and curl examples do: the key as x-goog-api-key or ?key=. Over a Gemini channel the body
// passes through untouched (model and key swapped); over an OpenAI channel it is translated both ways. Billed exactly.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { addChannel, balances, listen, seedAccount, settled, type SeededAccount } from '../helpers/relay.js';
import { startFakeGemini, type FakeGemini } from '../fakes/gemini-upstream.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';

type Json = Record<string, unknown>;
type KeyPlacement = 'x-goog-api-key' | '?key=';

/** The `data:` payloads of an SSE body, parsed. */
function sseData(text: string): Json[] {
  return text
    .split(/\r?\n\r?\n/)
    .map((event) => event.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n'))
    .filter((data) => data !== '')
    .map((data) => JSON.parse(data) as Json);
}

/** Answer text of Gemini responses (thought parts excluded). */
function textOf(responses: Json[]): string {
  let text = '';
  for (const r of responses) {
    for (const c of (r.candidates as Array<{ content?: { parts?: Array<{ text?: string; thought?: boolean }> } }>) ?? []) {
      for (const p of c.content?.parts ?? []) if (!p.thought) text += p.text ?? '';
    }
  }
  return text;
}

describe('Gemini native API through the relay', () => {
  let t: TestApp;
  let gemini: FakeGemini;
  let openai: FakeOpenAI;
  let account: SeededAccount;
  let base: string;

  /** POSTs a Gemini request with the relay key where the client puts it. */
  function call(model: string, action: 'generateContent' | 'streamGenerateContent', body: Json, placement: KeyPlacement): Promise<Response> {
    const query = new URLSearchParams();
    if (action === 'streamGenerateContent') query.set('alt', 'sse');
    if (placement === '?key=') query.set('key', account.key);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (placement === 'x-goog-api-key') headers['x-goog-api-key'] = account.key;
    const qs = query.size > 0 ? `?${query.toString()}` : '';
    return fetch(`${base}/v1beta/models/${model}:${action}${qs}`, { method: 'POST', headers, body: JSON.stringify(body) });
  }

  beforeAll(async () => {
    gemini = await startFakeGemini({ keys: ['AIza-upstream'] });
    openai = await startFakeOpenAI({ keys: ['sk-upstream'] });
    t = await createTestApp('sqlite');
    await t.ctx.options.update({
      modelRatios: { 'gemini-2.5-flash': 0.15, 'gpt-4o-mini': 0.075 },
      completionRatios: { 'gemini-2.5-flash': 8, 'gpt-4o-mini': 4 },
      cacheReadRatios: { 'gemini-2.5-flash': 0.25, 'gpt-4o-mini': 0.5 },
    });
    await addChannel(t, {
      type: 'gemini',
      baseUrl: gemini.url,
      keys: ['AIza-upstream'],
      models: ['gemini-2.5-flash'],
      modelMapping: { 'gemini-2.5-flash': 'gemini-2.5-flash-001' },
    });
    await addChannel(t, {
      type: 'openai',
      baseUrl: openai.url,
      keys: ['sk-upstream'],
      models: ['gpt-4o-mini'],
      modelMapping: { 'gpt-4o-mini': 'gpt-4o-mini-2024-07-18' },
    });
    account = await seedAccount(t, { quota: 10_000_000 });
    base = await listen(t);
  });

  afterAll(async () => {
    await t?.close();
    await gemini?.close();
    await openai?.close();
  });

  describe.each<KeyPlacement>(['x-goog-api-key', '?key='])('Gemini channel (native), relay key as %s', (placement) => {
    it('generateContent: the body passes through untouched, the answer comes back as sent; 0.15 × (30 + 15×8 + 20×0.25) → 24', async () => {
      gemini.setScript(() => ({
        kind: 'answer',
        parts: [{ text: 'Weighing it up.', thought: true }, { text: 'Hi there' }],
        usage: { promptTokenCount: 50, candidatesTokenCount: 10, thoughtsTokenCount: 5, cachedContentTokenCount: 20 },
      }));
      const body = {
        systemInstruction: { parts: [{ text: 'Be brief.' }] },
        contents: [{ role: 'user', parts: [{ text: 'Hi' }] }],
        generationConfig: { temperature: 0.5, topK: 20, thinkingConfig: { thinkingBudget: 128, includeThoughts: true } },
        safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_ONLY_HIGH' }],
      };
      const before = await balances(t, account);
      const res = await call('gemini-2.5-flash', 'generateContent', body, placement);
      expect(res.status).toBe(200);
      const answer = (await res.json()) as Json;
      expect(answer).toMatchObject({
        candidates: [{ content: { role: 'model', parts: [{ text: 'Weighing it up.', thought: true }, { text: 'Hi there' }] }, finishReason: 'STOP', index: 0 }],
        usageMetadata: { promptTokenCount: 50, candidatesTokenCount: 10, thoughtsTokenCount: 5, cachedContentTokenCount: 20, totalTokenCount: 65 },
        modelVersion: 'gemini-2.5-flash-001',
      });

      const sent = gemini.requests.at(-1)!;
      expect(sent.model).toBe('gemini-2.5-flash-001');
      expect(sent.action).toBe('generateContent');
      expect(sent.body).toEqual(body);
      // The channel's key goes upstream, in the header; the client's relay key goes nowhere.
      expect(sent.headers['x-goog-api-key']).toBe('AIza-upstream');
      expect(sent.query.key).toBeUndefined();

      const { charged, log } = await settled(t, account, before);
      expect(charged).toBe(24); // 0.15 × 155 = 23.25 → 24
      expect(log).toMatchObject({
        endpoint: '/v1beta/models/:generateContent',
        model: 'gemini-2.5-flash',
        upstreamModel: 'gemini-2.5-flash-001',
        promptTokens: 30,
        completionTokens: 15,
        cacheReadTokens: 20,
        quota: 24n,
        stream: false,
        status: 'ok',
      });
    });

    it('streamGenerateContent?alt=sse: SSE events pass through; billed from the final usageMetadata: 0.15 × (40 + 12×8) → 21', async () => {
      gemini.setScript(() => ({ kind: 'answer', parts: [{ text: 'Streaming from Gemini now' }], usage: { promptTokenCount: 40, candidatesTokenCount: 12 } }));
      const body = { contents: [{ role: 'user', parts: [{ text: 'Stream please' }] }] };
      const before = await balances(t, account);
      const res = await call('gemini-2.5-flash', 'streamGenerateContent', body, placement);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const events = sseData(await res.text());
      expect(events.length).toBeGreaterThan(1);
      expect(textOf(events)).toBe('Streaming from Gemini now');
      expect(events.at(-1)).toMatchObject({
        candidates: [{ finishReason: 'STOP' }],
        usageMetadata: { promptTokenCount: 40, candidatesTokenCount: 12, totalTokenCount: 52 },
      });

      const sent = gemini.requests.at(-1)!;
      expect(sent.action).toBe('streamGenerateContent');
      expect(sent.query).toEqual({ alt: 'sse' });
      expect(sent.body).toEqual(body);
      expect(sent.headers['x-goog-api-key']).toBe('AIza-upstream');

      const { charged, log } = await settled(t, account, before);
      expect(charged).toBe(21); // 0.15 × 136 = 20.4 → 21
      expect(log).toMatchObject({ endpoint: '/v1beta/models/:streamGenerateContent', stream: true, promptTokens: 40, completionTokens: 12, quota: 21n, status: 'ok' });
    });
  });

  describe.each<KeyPlacement>(['x-goog-api-key', '?key='])('OpenAI channel (translated), relay key as %s', (placement) => {
    it('generateContent: translated request and answer; cached tokens billed: 0.075 × (40 + 20×4 + 60×0.5) → 12', async () => {
      openai.setScript(() => ({ kind: 'answer', text: 'Hello! How can I help you today?', usage: { prompt: 100, completion: 20, cached: 60 } }));
      const before = await balances(t, account);
      const res = await call(
        'gpt-4o-mini',
        'generateContent',
        {
          systemInstruction: { parts: [{ text: 'Be brief.' }] },
          contents: [{ role: 'user', parts: [{ text: 'Hi' }] }],
          generationConfig: { maxOutputTokens: 64, temperature: 0.5 },
        },
        placement,
      );
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        candidates: [{ content: { role: 'model', parts: [{ text: 'Hello! How can I help you today?' }] }, finishReason: 'STOP', index: 0 }],
        usageMetadata: { promptTokenCount: 100, candidatesTokenCount: 20, totalTokenCount: 120, cachedContentTokenCount: 60 },
        modelVersion: 'gpt-4o-mini',
      });

      const sent = openai.requests.at(-1)!;
      expect(sent.headers.authorization).toBe('Bearer sk-upstream');
      expect(sent.body).toMatchObject({
        model: 'gpt-4o-mini-2024-07-18',
        max_tokens: 64,
        temperature: 0.5,
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi' },
        ],
      });

      const { charged, log } = await settled(t, account, before);
      expect(charged).toBe(12); // 0.075 × 150 = 11.25 → 12
      expect(log).toMatchObject({ model: 'gpt-4o-mini', upstreamModel: 'gpt-4o-mini-2024-07-18', promptTokens: 40, completionTokens: 20, cacheReadTokens: 60, quota: 12n, status: 'ok' });
    });

    it('streamGenerateContent?alt=sse: Gemini-shaped SSE with the final usageMetadata; 0.075 × (20 + 30×4) → 11', async () => {
      openai.setScript(() => ({ kind: 'stream', chunks: ['Hel', 'lo', ' there'], usage: { prompt: 20, completion: 30 } }));
      const before = await balances(t, account);
      const res = await call('gpt-4o-mini', 'streamGenerateContent', { contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] }, placement);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const events = sseData(await res.text());
      expect(textOf(events)).toBe('Hello there');
      expect(events.at(-1)).toMatchObject({
        candidates: [{ finishReason: 'STOP' }],
        usageMetadata: { promptTokenCount: 20, candidatesTokenCount: 30, totalTokenCount: 50 },
        modelVersion: 'gpt-4o-mini',
      });
      expect(openai.requests.at(-1)!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });

      const { charged, log } = await settled(t, account, before);
      expect(charged).toBe(11); // 0.075 × 140 = 10.5 → 11
      expect(log).toMatchObject({ stream: true, promptTokens: 20, completionTokens: 30, quota: 11n, status: 'ok' });
    });
  });
});
