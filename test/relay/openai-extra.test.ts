// Images, speech, transcriptions, moderations and rerank through the relay with the `openai` SDK, each billed by its rule.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import OpenAI, { toFile } from 'openai';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { addChannel, balances, listen, seedAccount, type SeededAccount } from '../helpers/relay.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';

describe('OpenAI endpoints beyond chat', () => {
  let t: TestApp;
  let up: FakeOpenAI;
  let account: SeededAccount;
  let client: OpenAI;
  let base: string;

  beforeAll(async () => {
    up = await startFakeOpenAI({ keys: ['sk-upstream'] });
    t = await createTestApp('sqlite');
    await t.ctx.db.prisma.group.create({ data: { name: 'g2', ratio: '2' } });
    await t.ctx.options.update({ modelPrices: { 'dall-e-3': 0.04 }, modelRatios: { 'tts-1': 7.5, 'whisper-1': 15, 'rerank-v1': 0.5 } });
    await addChannel(t, { baseUrl: up.url, models: ['dall-e-3', 'tts-1', 'whisper-1', 'omni-moderation-latest', 'rerank-v1'], groups: ['default', 'g2'] });
    account = await seedAccount(t, { quota: 1_000_000, group: 'g2' });
    base = await listen(t);
    client = new OpenAI({ apiKey: account.key, baseURL: `${base}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await t?.close();
    await up?.close();
  });

  const spent = async (fn: () => Promise<unknown>) => {
    const before = (await balances(t, account)).quota;
    await fn();
    const after = await balances(t, account);
    expect(after.holds).toBe(0);
    return before - after.quota;
  };

  it('generates images, billed per image: 0.04 USD × 500,000 × group 2 × n 2 = 80,000', async () => {
    let res: OpenAI.ImagesResponse | undefined;
    const cost = await spent(async () => (res = await client.images.generate({ model: 'dall-e-3', prompt: 'a red fox', n: 2 })));
    expect(res!.data).toHaveLength(2);
    expect(cost).toBe(80_000);
  });

  it('speaks text, returning the upstream audio bytes, billed per character: 2 × 7.5 × 11 = 165', async () => {
    let bytes: Buffer | undefined;
    const cost = await spent(async () => {
      const res = await client.audio.speech.create({ model: 'tts-1', input: 'Hello world', voice: 'alloy' });
      bytes = Buffer.from(await res.arrayBuffer());
    });
    expect(bytes).toEqual(Buffer.from([0xff, 0xfb, 0x90, 0x64, 0x00, 0x01, 0x02, 0x03]));
    expect(cost).toBe(165);
  });

  it('transcribes multipart audio, mapping nothing but the model, billed on the transcript', async () => {
    let text = '';
    const cost = await spent(async () => {
      const res = await client.audio.transcriptions.create({ model: 'whisper-1', file: await toFile(Buffer.from('RIFF....WAVEfmt '), 'hello.wav') });
      text = res.text;
    });
    expect(text).toBe('Hello world, this is the transcript.');
    expect(up.requests.at(-1)!.body).toMatchObject({ model: 'whisper-1', file: '<file hello.wav 16 bytes>' });
    // "Hello world, this is the transcript." = 8 tokens (Hello|␣world|,|␣this|␣is|␣the|␣transcript|.); 2 × 15 × 8 = 240
    expect(cost).toBe(240);
  });

  it('moderates for free, and reranks billed on the upstream tokens: 2 × 0.5 × 42 = 42', async () => {
    const mod = await client.moderations.create({ model: 'omni-moderation-latest', input: 'hello' });
    expect(mod.results[0]!.flagged).toBe(false);
    const cost = await spent(async () => {
      const res = await fetch(`${base}/v1/rerank`, {
        method: 'POST',
        headers: { authorization: `Bearer ${account.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'rerank-v1', query: 'fox', documents: ['a fox', 'a dog'] }),
      });
      expect(((await res.json()) as { results: unknown[] }).results).toHaveLength(2);
    });
    expect(cost).toBe(42);
    const logs = (await balances(t, account)).logs;
    expect(logs.map((l) => l.endpoint)).toEqual(['/v1/images/generations', '/v1/audio/speech', '/v1/audio/transcriptions', '/v1/moderations', '/v1/rerank']);
  });

  it('refuses a transcription without a file, naming the field', async () => {
    const form = new FormData();
    form.append('model', 'whisper-1');
    const res = await fetch(`${base}/v1/audio/transcriptions`, { method: 'POST', headers: { authorization: `Bearer ${account.key}` }, body: form });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_request', param: 'file' } });
  });
});
