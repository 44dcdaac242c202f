import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AZURE_DEFAULT_API_VERSION, azureAdapter } from '../../src/providers/azure/index.js';
import type { ChatRequest, UpstreamTarget } from '../../src/providers/types.js';
import { defaultAzureScript, startFakeAzure, type FakeAzure } from '../fakes/azure-upstream.js';
import { CTX, fixture, jsonFixture, send, sseEvents } from './helpers.js';

const request: ChatRequest = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], temperature: 0 };

describe('Azure request building', () => {
  const target = (over: Partial<UpstreamTarget> = {}): UpstreamTarget => ({
    baseUrl: 'https://contoso.openai.azure.com',
    key: 'azure-key',
    model: 'gpt-4o-prod',
    config: {},
    ...over,
  });

  it.each([
    ['https://contoso.openai.azure.com', {}, `https://contoso.openai.azure.com/openai/deployments/gpt-4o-prod/chat/completions?api-version=${AZURE_DEFAULT_API_VERSION}`],
    ['https://contoso.openai.azure.com/', { apiVersion: '2025-01-01-preview' }, 'https://contoso.openai.azure.com/openai/deployments/gpt-4o-prod/chat/completions?api-version=2025-01-01-preview'],
    ['https://contoso.openai.azure.com/openai/', {}, `https://contoso.openai.azure.com/openai/deployments/gpt-4o-prod/chat/completions?api-version=${AZURE_DEFAULT_API_VERSION}`],
  ])('base %s with config %j', (baseUrl, config, url) => {
    expect(azureAdapter.buildChatRequest(request, target({ baseUrl, config })).url).toBe(url);
  });

  it('uses the mapped model as the deployment, sends api-key, and drops model from the body', () => {
    const built = azureAdapter.buildChatRequest(request, target({ model: 'my deployment' }));
    expect(built.url).toContain('/openai/deployments/my%20deployment/chat/completions?');
    expect(built.headers).toEqual({ 'content-type': 'application/json', 'api-key': 'azure-key' });
    expect(JSON.parse(built.body!)).toEqual({ messages: [{ role: 'user', content: 'hi' }], temperature: 0 });
  });

  it('builds embeddings against the deployment', () => {
    const built = azureAdapter.buildEmbeddingsRequest!({ model: 'x', input: 'hello' }, target({ model: 'embed-prod' }));
    expect(built.url).toBe(`https://contoso.openai.azure.com/openai/deployments/embed-prod/embeddings?api-version=${AZURE_DEFAULT_API_VERSION}`);
    expect(JSON.parse(built.body!)).toEqual({ input: 'hello' });
  });

  it('native pass-through sets stream and drops model', () => {
    const built = azureAdapter.native.buildRequest({ model: 'alias', messages: [], n: 2 }, target(), true);
    expect(JSON.parse(built.body!)).toEqual({ messages: [], n: 2, stream: true });
  });
});

describe('Azure answers from documented examples', () => {
  it('parses a completion with filter annotations and cached tokens', () => {
    const completion = azureAdapter.parseChatResponse(jsonFixture('azure', 'chat-completion.json'), CTX);
    expect(completion.model).toBe('client-model');
    expect(completion.choices[0]!.message.content).toBe('Hello! How can I assist you today?');
    expect(azureAdapter.usageOf(completion.usage)).toEqual({
      promptTokens: 138,
      completionTokens: 9,
      cacheReadTokens: 1152,
      cacheWriteTokens: 0,
    });
  });

  it('drops the prompt_filter_results chunk but keeps the usage chunk', () => {
    const stream = azureAdapter.createChatStream(CTX);
    const chunks = sseEvents(fixture('azure', 'chat-stream.txt')).flatMap((e) => stream.push(e));
    expect(chunks.some((c) => 'prompt_filter_results' in c)).toBe(false);
    expect(chunks).toHaveLength(5);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hi there.');
    expect(chunks[3]!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks[4]!.usage).toEqual({
      completion_tokens: 3,
      completion_tokens_details: { reasoning_tokens: 0 },
      prompt_tokens: 1290,
      prompt_tokens_details: { cached_tokens: 1152 },
      total_tokens: 1293,
    });
    expect(chunks.every((c) => c.model === 'client-model')).toBe(true);
    expect(stream.finish().usage).toEqual({ promptTokens: 138, completionTokens: 3, cacheReadTokens: 1152, cacheWriteTokens: 0 });
  });

  it.each([
    [400, 'error-content-filter.json', 'bad_request', 'content_filter'],
    [401, 'error-invalid-key.json', 'invalid_key', '401'],
    [404, 'error-deployment-not-found.json', 'bad_request', 'DeploymentNotFound'],
    [429, 'error-rate-limit.json', 'rate_limited', '429'],
  ])('HTTP %i %s → %s', (status, file, kind, code) => {
    const body = fixture('azure', file);
    const info = azureAdapter.parseError(status, body);
    expect(info.kind).toBe(kind);
    expect(info.code).toBe(code);
    expect(info.message).toBe((JSON.parse(body) as { error: { message: string } }).error.message);
  });
});

describe('Azure against the fake resource', () => {
  let fake: FakeAzure;
  const target = (over: Partial<UpstreamTarget> = {}): UpstreamTarget => ({
    baseUrl: fake.url,
    key: 'azure-good',
    model: 'gpt-4o-prod',
    config: {},
    ...over,
  });

  beforeAll(async () => {
    fake = await startFakeAzure({ keys: ['azure-good'], deployments: ['gpt-4o-prod', 'embed-prod'] });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
    fake.setScript(defaultAzureScript);
  });

  it('answers a chat call', async () => {
    const res = await send(azureAdapter.buildChatRequest(request, target()));
    expect(res.status).toBe(200);
    const completion = azureAdapter.parseChatResponse(JSON.parse(res.text), CTX);
    expect(completion.choices[0]!.message.content).toBe('Echo: hi');
    expect(azureAdapter.usageOf(completion.usage)).toEqual({ promptTokens: 12, completionTokens: 8, cacheReadTokens: 0, cacheWriteTokens: 0 });
    const seen = fake.requests[0]!;
    expect(seen.deployment).toBe('gpt-4o-prod');
    expect(seen.query['api-version']).toBe(AZURE_DEFAULT_API_VERSION);
    expect(seen.headers['api-key']).toBe('azure-good');
    expect(seen.body).toEqual({ messages: [{ role: 'user', content: 'hi' }], temperature: 0 });
  });

  it('streams text and tool calls, with usage when asked', async () => {
    fake.setScript(() => ({
      kind: 'answer',
      content: 'Checking the weather.',
      toolCalls: [{ name: 'get_weather', arguments: '{"city":"Lisbon","unit":"c"}', id: 'call_w1' }],
      usage: { prompt_tokens: 300, completion_tokens: 20, cached_tokens: 256 },
    }));
    const res = await send(
      azureAdapter.buildChatRequest({ ...request, stream: true, stream_options: { include_usage: true } }, target()),
    );
    expect(res.contentType).toContain('text/event-stream');
    const stream = azureAdapter.createChatStream(CTX);
    const chunks = sseEvents(res.text).flatMap((e) => stream.push(e));
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Checking the weather.');
    const args = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []).map((t) => t.function?.arguments ?? '').join('');
    expect(args).toBe('{"city":"Lisbon","unit":"c"}');
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason).toBe('tool_calls');
    expect(stream.finish().usage).toEqual({ promptTokens: 44, completionTokens: 20, cacheReadTokens: 256, cacheWriteTokens: 0 });
  });

  it('meters a native stream', async () => {
    const res = await send(
      azureAdapter.native.buildRequest({ messages: [{ role: 'user', content: 'abc' }], stream_options: { include_usage: true } }, target(), true),
    );
    const meter = azureAdapter.native.createStreamMeter();
    const events = sseEvents(res.text).map((e) => meter.push(e));
    expect(events.map((e) => e.delta).join('') + meter.unreadText!()).toBe('Echo: abc');
    expect(meter.usage()).toEqual({ promptTokens: 12, completionTokens: 8, cacheReadTokens: 0, cacheWriteTokens: 0 });
  });

  it.each([
    ['a wrong key', { key: 'azure-bad' }, 'invalid_key'],
    ['an unknown deployment', { model: 'nope' }, 'bad_request'],
  ])('classifies %s', async (_name, over, kind) => {
    const res = await send(azureAdapter.buildChatRequest(request, target(over)));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(azureAdapter.parseError(res.status, res.text).kind).toBe(kind);
  });

  it('classifies the content-filter refusal as bad_request with Azure’s message', async () => {
    fake.setScript(() => ({ kind: 'content_filter' }));
    const res = await send(azureAdapter.buildChatRequest(request, target()));
    expect(res.status).toBe(400);
    const info = azureAdapter.parseError(res.status, res.text);
    expect(info.kind).toBe('bad_request');
    expect(info.code).toBe('content_filter');
    expect(info.message).toMatch(/^The response was filtered due to the prompt triggering Azure OpenAI's content management policy/);
  });

  it('sends embeddings and the test call', async () => {
    const emb = await send(azureAdapter.buildEmbeddingsRequest!({ input: ['a', 'b'] }, target({ model: 'embed-prod' })));
    expect(emb.status).toBe(200);
    expect((JSON.parse(emb.text) as { data: unknown[] }).data).toHaveLength(2);
    expect(fake.requests[0]!.operation).toBe('embeddings');
    const test = await send(azureAdapter.buildTestRequest(target()));
    expect(test.status).toBe(200);
    expect(fake.requests[1]!.body).toEqual({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 });
  });
});
