// Upstream errors, in each provider's own format, reach the client as a clear error in the client's own format: the
// OpenAI SDK's APIError, the Anthropic SDK's error classes and types, Google's {error:{code,message,status}}. An error
// before any byte reached the client refunds the whole reservation; an error after the stream started is told
// in-stream and billed for what was streamed.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import OpenAI, { APIError as OpenAIAPIError } from 'openai';
import Anthropic, { APIError as AnthropicAPIError } from '@anthropic-ai/sdk';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { addChannel, balances, listen, seedAccount, settled, type Balances, type SeededAccount } from '../helpers/relay.js';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic-upstream.js';
import { startFakeGemini, type FakeGemini } from '../fakes/gemini-upstream.js';
import { startFakeAzure, type FakeAzure } from '../fakes/azure-upstream.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import { countChatPrompt, countText } from '../../src/billing/tokenizer.js';

/** The error types Anthropic's API (and so its SDK's APIError.type) uses. */
const ANTHROPIC_ERROR_TYPES = [
  'invalid_request_error',
  'authentication_error',
  'permission_error',
  'not_found_error',
  'rate_limit_error',
  'timeout_error',
  'overloaded_error',
  'api_error',
  'billing_error',
];

/** A refused call: nothing charged, an error row with zero tokens that names the upstream's message. */
async function expectRefunded(t: TestApp, account: SeededAccount, before: Balances, upstreamMessage: string) {
  const { charged, log } = await settled(t, account, before);
  expect(charged).toBe(0);
  expect(log).toMatchObject({ type: 'error', status: 'error', quota: 0n, promptTokens: 0, completionTokens: 0 });
  expect(log.content).toContain(upstreamMessage);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

describe('upstream errors through the relay', () => {
  let t: TestApp;
  let anthropicUp: FakeAnthropic;
  let geminiUp: FakeGemini;
  let azureUp: FakeAzure;
  let openaiUp: FakeOpenAI;
  let account: SeededAccount;
  let base: string;
  let openai: OpenAI;
  let anthropic: Anthropic;

  beforeAll(async () => {
    anthropicUp = await startFakeAnthropic();
    geminiUp = await startFakeGemini();
    azureUp = await startFakeAzure();
    openaiUp = await startFakeOpenAI();
    t = await createTestApp('sqlite');
    await t.ctx.options.update({
      // One channel per model here; keep every channel enabled and in use whatever it answers (no circuit breaker).
      autoDisableChannels: false,
      breakerFaults: [],
      modelRatios: { 'claude-sonnet-4-6': 1.5, 'gemini-2.5-flash': 0.15, 'gpt-4o': 1.25, 'gpt-4o-mini': 0.075 },
      completionRatios: { 'claude-sonnet-4-6': 5, 'gemini-2.5-flash': 8, 'gpt-4o': 4, 'gpt-4o-mini': 4 },
      cacheReadRatios: { 'claude-sonnet-4-6': 0.1 },
      cacheWriteRatios: { 'claude-sonnet-4-6': 1.25 },
    });
    await addChannel(t, { type: 'anthropic', baseUrl: anthropicUp.url, models: ['claude-sonnet-4-6'] });
    await addChannel(t, { type: 'gemini', baseUrl: geminiUp.url, models: ['gemini-2.5-flash'] });
    await addChannel(t, { type: 'azure', baseUrl: azureUp.url, models: ['gpt-4o'] });
    await addChannel(t, { type: 'openai', baseUrl: openaiUp.url, models: ['gpt-4o-mini'] });
    // An admin's key: admins read what the upstream said (keys scrubbed). A user is told a generic message with the
    // request id instead (test/relay/upstream-secrets.test.ts); the format of the error is the same.
    account = await seedAccount(t, { quota: 10_000_000, role: 'admin' });
    base = await listen(t);
    openai = new OpenAI({ apiKey: account.key, baseURL: `${base}/v1`, maxRetries: 0 });
    anthropic = new Anthropic({ apiKey: account.key, baseURL: base, maxRetries: 0 });
  });

  afterAll(async () => {
    await t?.close();
    await anthropicUp?.close();
    await geminiUp?.close();
    await azureUp?.close();
    await openaiUp?.close();
  });

  describe('before any byte: the client gets an error in its own format and the reservation is refunded', () => {
    it('OpenAI SDK ← Anthropic 400 invalid_request_error: BadRequestError 400 with the upstream message', async () => {
      const message = 'messages.0.content.0.text: text content blocks must be non-empty';
      anthropicUp.setScript(() => ({ kind: 'error', status: 400, type: 'invalid_request_error', message }));
      const before = await balances(t, account);
      const err = await rejection(openai.chat.completions.create({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'Hi' }] }));
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err).toMatchObject({ status: 400, code: 'upstream_error' });
      expect((err as Error).message).toContain(message);
      await expectRefunded(t, account, before, message);
    });

    it('OpenAI SDK ← Anthropic 529 overloaded_error on a stream request: a 5xx APIError, nothing streamed, refunded', async () => {
      anthropicUp.setScript(() => ({ kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' }));
      const before = await balances(t, account);
      const err = await rejection(
        openai.chat.completions.create({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'Hi' }], stream: true }),
      );
      expect(err).toBeInstanceOf(OpenAI.InternalServerError);
      expect((err as OpenAIAPIError).status).toBeGreaterThanOrEqual(500);
      expect((err as Error).message).toContain('Overloaded');
      await expectRefunded(t, account, before, 'Overloaded');
    });

    it('OpenAI SDK ← Gemini 429 RESOURCE_EXHAUSTED: RateLimitError 429 with the upstream message', async () => {
      const message = 'Resource has been exhausted (e.g. check quota).';
      geminiUp.setScript(() => ({ kind: 'error', status: 429, rpcStatus: 'RESOURCE_EXHAUSTED', message }));
      const before = await balances(t, account);
      const err = await rejection(openai.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }] }));
      expect(err).toBeInstanceOf(OpenAI.RateLimitError);
      expect(err).toMatchObject({ status: 429 });
      expect((err as Error).message).toContain(message);
      await expectRefunded(t, account, before, message);
    });

    it('OpenAI SDK ← Azure content filter (400): BadRequestError naming Azure’s policy', async () => {
      azureUp.setScript(() => ({ kind: 'content_filter' }));
      const before = await balances(t, account);
      const err = await rejection(openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }));
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err).toMatchObject({ status: 400 });
      expect((err as Error).message).toContain("Azure OpenAI's content management policy");
      await expectRefunded(t, account, before, "Azure OpenAI's content management policy");
    });

    it('Anthropic SDK ← Anthropic 400 invalid_request_error (native): BadRequestError with type invalid_request_error', async () => {
      const message = 'messages: roles must alternate between user and assistant, but found multiple user roles in a row';
      anthropicUp.setScript(() => ({ kind: 'error', status: 400, type: 'invalid_request_error', message }));
      const before = await balances(t, account);
      const err = await rejection(anthropic.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] }));
      expect(err).toBeInstanceOf(Anthropic.BadRequestError);
      expect((err as Error).message).toContain(message);
      expect((err as AnthropicAPIError).error).toMatchObject({ type: 'error', error: { message: expect.stringContaining(message) } });
      await expectRefunded(t, account, before, message);
      expect((err as AnthropicAPIError).type).toBe('invalid_request_error');
    });

    it('Anthropic SDK ← Anthropic 529 overloaded_error (native): a 5xx InternalServerError with an Anthropic error type', async () => {
      anthropicUp.setScript(() => ({ kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' }));
      const before = await balances(t, account);
      const err = await rejection(anthropic.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] }));
      expect(err).toBeInstanceOf(Anthropic.InternalServerError);
      expect((err as Error).message).toContain('Overloaded');
      await expectRefunded(t, account, before, 'Overloaded');
      expect(ANTHROPIC_ERROR_TYPES).toContain((err as AnthropicAPIError).type);
    });

    it('Anthropic SDK ← OpenAI 429 (translated): RateLimitError with type rate_limit_error', async () => {
      const message = 'Rate limit reached for gpt-4o-mini in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1.';
      openaiUp.setScript(() => ({ kind: 'error', status: 429, message, code: 'rate_limit_exceeded', type: 'requests' }));
      const before = await balances(t, account);
      const err = await rejection(anthropic.messages.create({ model: 'gpt-4o-mini', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] }));
      expect(err).toBeInstanceOf(Anthropic.RateLimitError);
      expect((err as Error).message).toContain(message);
      await expectRefunded(t, account, before, message);
      expect((err as AnthropicAPIError).type).toBe('rate_limit_error');
    });

    it('Gemini raw ← Gemini 400 INVALID_ARGUMENT (native): {error:{code:400,message,status}}', async () => {
      const message = '* GenerateContentRequest.generation_config.max_output_tokens: must be positive\n';
      geminiUp.setScript(() => ({ kind: 'error', status: 400, rpcStatus: 'INVALID_ARGUMENT', message }));
      const before = await balances(t, account);
      const res = await fetch(`${base}/v1beta/models/gemini-2.5-flash:generateContent`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-api-key': account.key },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] }),
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { code: number; message: string; status: string } };
      expect(body.error.code).toBe(400);
      expect(body.error.message).toContain(message.trim());
      expect(body.error.status).toMatch(/^[A-Z_]+$/);
      await expectRefunded(t, account, before, message.trim());
    });

    it('Gemini raw ← OpenAI 503 (translated, stream request): {error:{code:503,message,status}} before any event', async () => {
      openaiUp.setScript(() => ({ kind: 'error', status: 503, message: 'The engine is currently overloaded, please try again later.' }));
      const before = await balances(t, account);
      const res = await fetch(`${base}/v1beta/models/gpt-4o-mini:streamGenerateContent?alt=sse&key=${account.key}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] }),
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await res.json()) as { error: { code: number; message: string; status: string } };
      expect(body.error.code).toBe(503);
      expect(body.error.message).toContain('The engine is currently overloaded');
      expect(body.error.status).toMatch(/^[A-Z_]+$/);
      await expectRefunded(t, account, before, 'The engine is currently overloaded');
    });
  });

  describe('after the stream started: the error is told in-stream and what streamed is billed', () => {
    // The Anthropic fake streams text in 8-character text_delta events after message_start, content_block_start and
    // ping; errorAfter 6 lets exactly three text pieces out.
    const STORY = 'The quick brown fox jumps over the lazy dog';
    const STREAMED = STORY.slice(0, 24);

    it('Anthropic SDK ← Anthropic `error` event (native): the SDK throws overloaded_error; billed input + streamed output', async () => {
      anthropicUp.setScript(() => ({
        kind: 'answer',
        content: [{ type: 'text', text: STORY }],
        usage: { input_tokens: 12, output_tokens: 40 },
        stream: { errorAfter: 6, error: { type: 'overloaded_error', message: 'Overloaded' } },
      }));
      const before = await balances(t, account);
      const stream = anthropic.messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 256, messages: [{ role: 'user', content: 'Tell me a story' }] });
      let text = '';
      stream.on('text', (delta) => (text += delta));
      const err = await rejection(stream.finalMessage());
      expect(err).toBeInstanceOf(Anthropic.APIError);
      expect((err as AnthropicAPIError).type).toBe('overloaded_error');
      expect((err as Error).message).toContain('Overloaded');
      expect(text).toBe(STREAMED);

      const completion = countText(STREAMED, 'claude-sonnet-4-6');
      const { charged, log } = await settled(t, account, before);
      expect(log).toMatchObject({ status: 'error', type: 'consume', stream: true, promptTokens: 12, completionTokens: completion });
      expect(charged).toBe(Math.ceil((15 * (12 + completion * 5)) / 10)); // 1.5 × (12 + c×5), in integers
    });

    it('OpenAI SDK ← Anthropic `error` event (translated): the stream ends in an APIError; billed input + streamed output', async () => {
      anthropicUp.setScript(() => ({
        kind: 'answer',
        content: [{ type: 'text', text: STORY }],
        usage: { input_tokens: 12, output_tokens: 40 },
        stream: { errorAfter: 6, error: { type: 'overloaded_error', message: 'Overloaded' } },
      }));
      const before = await balances(t, account);
      const stream = await openai.chat.completions.create({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'Tell me a story' }], stream: true });
      let text = '';
      const err = await rejection(
        (async () => {
          for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
        })(),
      );
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect((err as Error).message).toContain('Overloaded');
      expect(text).toBe(STREAMED);

      const completion = countText(STREAMED, 'claude-sonnet-4-6');
      const { charged, log } = await settled(t, account, before);
      expect(log).toMatchObject({ status: 'error', type: 'consume', stream: true, promptTokens: 12, completionTokens: completion });
      expect(charged).toBe(Math.ceil((15 * (12 + completion * 5)) / 10)); // 1.5 × (12 + c×5), in integers
    });

    it('OpenAI SDK ← OpenAI stream cut off: the SDK sees an APIError, not a clean end; billed estimate + streamed output', async () => {
      // role chunk, "Hel", "lo", then the connection drops (no finish, no usage, no [DONE]).
      openaiUp.setScript(() => ({ kind: 'stream', chunks: ['Hel', 'lo', ' there'], cutAfter: 3, chunkDelayMs: 10 }));
      const before = await balances(t, account);
      const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Say hello there' }];
      const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
      let text = '';
      const err = await rejection(
        (async () => {
          for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
        })(),
      );
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect((err as Error).message).toMatch(/closed the stream before it finished/);
      expect(text).toBe('Hello');

      // No usage came: the prompt is the relay's own count, the completion what was streamed.
      const prompt = countChatPrompt([{ role: 'user', content: 'Say hello there' }], 'gpt-4o-mini').tokens;
      const completion = countText('Hello', 'gpt-4o-mini');
      const { charged, log } = await settled(t, account, before);
      expect(log).toMatchObject({ status: 'error', type: 'consume', stream: true, promptTokens: prompt, completionTokens: completion });
      expect(charged).toBe(Math.ceil((75 * (prompt + completion * 4)) / 1000)); // 0.075 × (p + c×4), in integers
    });

    it('Gemini raw ← Gemini in-stream error (native): an {error:{code,message,status}} event; billed prompt + streamed output', async () => {
      // 8-character text pieces: errorAfter 2 lets "Once upo" and "n a time" out, then the error event.
      geminiUp.setScript(() => ({
        kind: 'answer',
        parts: [{ text: 'Once upon a time there was a relay.' }],
        usage: { promptTokenCount: 9, candidatesTokenCount: 10 },
        stream: { errorAfter: 2, error: { code: 503, status: 'UNAVAILABLE', message: 'The model is overloaded. Please try again later.' } },
      }));
      const before = await balances(t, account);
      const res = await fetch(`${base}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-api-key': account.key },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Tell me a story' }] }] }),
      });
      expect(res.status).toBe(200);
      const events = (await res.text())
        .split(/\r?\n\r?\n/)
        .filter((e) => e.startsWith('data:'))
        .map((e) => JSON.parse(e.slice(5)) as { candidates?: Array<{ content: { parts: Array<{ text: string }> } }>; error?: { code: number; message: string; status: string } });
      const text = events.flatMap((e) => e.candidates ?? []).map((c) => c.content.parts.map((p) => p.text).join('')).join('');
      expect(text).toBe('Once upon a time');
      const error = events.find((e) => e.error)?.error;
      expect(error).toMatchObject({ code: 503, message: expect.stringContaining('The model is overloaded'), status: expect.stringMatching(/^[A-Z_]+$/) });

      const completion = countText('Once upon a time', 'gemini-2.5-flash');
      const { charged, log } = await settled(t, account, before);
      expect(log).toMatchObject({ status: 'error', type: 'consume', stream: true, promptTokens: 9, completionTokens: completion });
      expect(charged).toBe(Math.ceil((15 * (9 + completion * 8)) / 100)); // 0.15 × (9 + c×8), in integers
    });
  });
});
