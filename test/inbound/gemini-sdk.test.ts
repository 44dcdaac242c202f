// Google's own SDK (@google/genai) against the relay, as a user points it at a relay: models.list, models.get,
// generateContentStream and countTokens, over a Gemini channel (pass-through) and an OpenAI channel (translated). Also
// the JSON-array form of streamGenerateContent (no alt=sse), which REST clients get from Google.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { GoogleGenAI } from '@google/genai';
import { createTestApp, dbKinds, type TestApp } from '../helpers/context.js';
import { addChannel, balances, listen, seedAccount, settled, type SeededAccount } from '../helpers/relay.js';
import { startFakeGemini, type FakeGemini } from '../fakes/gemini-upstream.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';

type Json = Record<string, unknown>;

describe.each(dbKinds)('@google/genai against the relay on %s', (kind) => {
  let t: TestApp;
  let gemini: FakeGemini;
  let openai: FakeOpenAI;
  let account: SeededAccount;
  let base: string;
  let ai: GoogleGenAI;
  let aiBeta: GoogleGenAI;

  beforeAll(async () => {
    gemini = await startFakeGemini({ keys: ['AIza-upstream'] });
    openai = await startFakeOpenAI({ keys: ['sk-upstream'] });
    t = await createTestApp(kind);
    await t.ctx.options.update({
      modelRatios: { 'gemini-2.5-flash': 0.15, 'gpt-4o-mini': 0.075 },
      completionRatios: { 'gemini-2.5-flash': 8, 'gpt-4o-mini': 4 },
    });
    await addChannel(t, { type: 'gemini', baseUrl: gemini.url, keys: ['AIza-upstream'], models: ['gemini-2.5-flash'] });
    // 'unpriced-model' is routed but has no price: a call would be refused with model_not_priced, so it is not listed.
    await addChannel(t, { type: 'openai', baseUrl: openai.url, keys: ['sk-upstream'], models: ['gpt-4o-mini', 'unpriced-model'] });
    account = await seedAccount(t, { quota: 10_000_000 });
    base = await listen(t);
    ai = new GoogleGenAI({ apiKey: account.key, httpOptions: { baseUrl: base } }); // the SDK's default: /v1
    aiBeta = new GoogleGenAI({ apiKey: account.key, httpOptions: { baseUrl: base, apiVersion: 'v1beta' } });
  });

  afterAll(async () => {
    await t?.close();
    await gemini?.close();
    await openai?.close();
  });

  it('lists the usable models in Google’s Model shape, page by page', async () => {
    for (const client of [ai, aiBeta]) {
      const names: string[] = [];
      const pager = await client.models.list({ config: { pageSize: 1 } });
      for await (const model of pager) names.push(model.name!);
      expect(names).toEqual(['models/gemini-2.5-flash', 'models/gpt-4o-mini']);
      expect((await client.models.get({ model: 'gpt-4o-mini' })).name).toBe('models/gpt-4o-mini');
    }

    const model = await ai.models.get({ model: 'gemini-2.5-flash' });
    expect(model).toMatchObject({
      name: 'models/gemini-2.5-flash',
      inputTokenLimit: 1_048_576,
      outputTokenLimit: 65_536,
    });
    expect(model.supportedActions).toEqual(['generateContent', 'streamGenerateContent', 'countTokens']);
    await expect(ai.models.get({ model: 'unpriced-model' })).rejects.toMatchObject({ status: 400 });
    await expect(ai.models.get({ model: 'no-such-model' })).rejects.toMatchObject({ status: 404 });

    // A token limited to one model sees only it.
    const limited = await seedAccount(t, { models: ['gpt-4o-mini'] });
    const page = await fetch(`${base}/v1beta/models?key=${limited.key}`).then((r) => r.json() as Promise<Json>);
    expect((page.models as Json[]).map((m) => m.name)).toEqual(['models/gpt-4o-mini']);
    expect(page.nextPageToken).toBeUndefined();
    const bad = await fetch(`${base}/v1beta/models?pageToken=zzz`, { headers: { 'x-goog-api-key': account.key } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: Json }).error.status).toBe('INVALID_ARGUMENT');
  });

  it('streams with generateContentStream over a Gemini channel and an OpenAI channel, billed', async () => {
    for (const [client, model, version] of [[ai, 'gemini-2.5-flash', 'v1'], [aiBeta, 'gemini-2.5-flash', 'v1beta'], [ai, 'gpt-4o-mini', 'v1'], [aiBeta, 'gpt-4o-mini', 'v1beta']] as const) {
      const before = await balances(t, account);
      let text = '';
      let usage: Json | undefined;
      for await (const chunk of await client.models.generateContentStream({ model, contents: 'tell me a story' })) {
        text += chunk.text ?? '';
        if (chunk.usageMetadata) usage = chunk.usageMetadata as Json;
      }
      expect(text).toBe(model === 'gpt-4o-mini' ? 'Hello from upstream' : 'Echo: tell me a story');
      const { charged, log } = await settled(t, account, before);
      expect(charged).toBeGreaterThan(0);
      expect(log.endpoint).toBe(`/${version}/models/:streamGenerateContent`);
      expect(usage?.promptTokenCount).toBeGreaterThan(0);
    }
  });

  it('counts tokens locally, for free, on either channel type', async () => {
    const before = await balances(t, account);
    const upstreamCalls = gemini.requests.length + openai.requests.length;
    const small = await ai.models.countTokens({ model: 'gemini-2.5-flash', contents: 'hello' });
    const large = await aiBeta.models.countTokens({ model: 'gpt-4o-mini', contents: 'hello '.repeat(100) });
    expect(small.totalTokens).toBeGreaterThan(0);
    expect(large.totalTokens).toBeGreaterThan(small.totalTokens! + 90);
    expect(gemini.requests.length + openai.requests.length).toBe(upstreamCalls);
    const after = await balances(t, account);
    expect(after.quota).toBe(before.quota);
    expect(after.logs.length).toBe(before.logs.length);
    const refused = await fetch(`${base}/v1beta/models/gpt-4o-mini:countTokens`, {
      method: 'POST',
      headers: { 'x-goog-api-key': account.key, 'content-type': 'application/json' },
      body: JSON.stringify({ contents: 'not an array' }),
    });
    expect(refused.status).toBe(400);
  });

  it('streams a JSON array when alt=sse is not asked, pass-through and translated, errors included', async () => {
    for (const model of ['gemini-2.5-flash', 'gpt-4o-mini']) {
      const before = await balances(t, account);
      const res = await fetch(`${base}/v1beta/models/${model}:streamGenerateContent`, {
        method: 'POST',
        headers: { 'x-goog-api-key': account.key, 'content-type': 'application/json' },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'count to ten please' }] }] }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const raw = await res.text();
      expect(raw.startsWith('[')).toBe(true);
      expect(raw.trimEnd().endsWith(']')).toBe(true);
      const responses = JSON.parse(raw) as Array<{ candidates?: Array<{ content: { parts: Array<{ text?: string }> }; finishReason?: string }>; usageMetadata?: Json }>;
      expect(responses.length).toBeGreaterThan(1);
      const text = responses.flatMap((r) => r.candidates ?? []).flatMap((c) => c.content.parts).map((p) => p.text ?? '').join('');
      expect(text).toBe(model === 'gpt-4o-mini' ? 'Hello from upstream' : 'Echo: count to ten please');
      expect(responses.at(-1)!.candidates![0]!.finishReason).toBe('STOP');
      await settled(t, account, before);
    }

    // An upstream error mid-stream becomes a last {"error": …} element, and the array is still closed.
    gemini.setScript(() => ({ kind: 'answer', parts: [{ text: 'a long answer that breaks' }], stream: { errorAfter: 1 } }));
    try {
      const res = await fetch(`${base}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=json`, {
        method: 'POST',
        headers: { 'x-goog-api-key': account.key, 'content-type': 'application/json' },
        body: JSON.stringify({ contents: [{ parts: [{ text: 'hi' }] }] }),
      });
      const responses = JSON.parse(await res.text()) as Json[];
      expect(responses.at(-1)).toMatchObject({ error: { status: 'UNAVAILABLE' } });
    } finally {
      gemini.setScript(() => ({ kind: 'answer' }));
    }
  });

  it('/v1/models lists only priced, routed, allowed models', async () => {
    const res = await fetch(`${base}/v1/models`, { headers: { authorization: `Bearer ${account.key}` } });
    const ids = ((await res.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id);
    expect(ids).toEqual(['gemini-2.5-flash', 'gpt-4o-mini']);
    const one = await fetch(`${base}/v1/models/unpriced-model`, { headers: { authorization: `Bearer ${account.key}` } });
    expect(one.status).toBe(400);
    expect(((await one.json()) as { error: Json }).error.code).toBe('model_not_priced');
  });
});
