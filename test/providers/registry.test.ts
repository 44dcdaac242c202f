import { describe, expect, it } from 'vitest';
import { CHANNEL_TYPES, adapterFor, channelTypeInfos, defaultBaseUrl } from '../../src/providers/registry.js';
import type { UpstreamTarget } from '../../src/providers/types.js';

const OPENAI_COMPATIBLE = [
  'deepseek',
  'qwen',
  'moonshot',
  'zhipu',
  'mistral',
  'groq',
  'xai',
  'openrouter',
  'together',
  'siliconflow',
  'ollama',
  'vllm',
  'custom',
];

describe('channel type registry', () => {
  it('lists every type once', () => {
    expect(CHANNEL_TYPES).toEqual(['openai', 'azure', 'anthropic', 'gemini', ...OPENAI_COMPATIBLE]);
    expect(channelTypeInfos().map((i) => i.type)).toEqual(CHANNEL_TYPES);
    expect(channelTypeInfos().every((i) => i.label.length > 0)).toBe(true);
  });

  it.each(CHANNEL_TYPES.map((t) => [t]))('%s has an adapter of its own type', (type) => {
    expect(adapterFor(type)?.type).toBe(type);
  });

  it('knows nothing of unknown types', () => {
    expect(adapterFor('palm')).toBeUndefined();
    expect(defaultBaseUrl('palm')).toBeUndefined();
  });

  const nativeTable: Array<[string, string, boolean]> = [
    ['openai', 'openai', false],
    ['azure', 'openai', false],
    ['anthropic', 'anthropic', false],
    ['gemini', 'gemini', true],
    ...OPENAI_COMPATIBLE.map((t): [string, string, boolean] => [t, 'openai', false]),
  ];
  it.each(nativeTable)('%s speaks %s natively (inline images: %s)', (type, format, inline) => {
    const adapter = adapterFor(type)!;
    expect(adapter.nativeFormat).toBe(format);
    expect(adapter.requiresInlineImages).toBe(inline);
  });

  it.each([
    ['openai', 'https://api.openai.com/v1/chat/completions'],
    ['gemini', 'https://generativelanguage.googleapis.com/v1beta/models/m:generateContent'],
    ['deepseek', 'https://api.deepseek.com/v1/chat/completions'],
    ['qwen', 'https://dashscope.aliyuncs.com/compatible-mode/v1/chat/completions'],
    ['moonshot', 'https://api.moonshot.cn/v1/chat/completions'],
    ['zhipu', 'https://open.bigmodel.cn/api/paas/v4/chat/completions'],
    ['mistral', 'https://api.mistral.ai/v1/chat/completions'],
    ['groq', 'https://api.groq.com/openai/v1/chat/completions'],
    ['xai', 'https://api.x.ai/v1/chat/completions'],
    ['openrouter', 'https://openrouter.ai/api/v1/chat/completions'],
    ['together', 'https://api.together.xyz/v1/chat/completions'],
    ['siliconflow', 'https://api.siliconflow.cn/v1/chat/completions'],
    ['ollama', 'http://127.0.0.1:11434/v1/chat/completions'],
  ])('%s at its default base URL tests against %s', (type, url) => {
    const base = defaultBaseUrl(type);
    expect(base).toBeDefined();
    const target: UpstreamTarget = { baseUrl: base!, key: 'k', model: 'm', config: {} };
    expect(adapterFor(type)!.buildTestRequest(target).url).toBe(url);
  });

  it.each([['azure'], ['vllm'], ['custom']])('%s has no default base URL', (type) => {
    expect(defaultBaseUrl(type)).toBeUndefined();
  });

  it('builds embeddings at each OpenAI-compatible preset’s path', () => {
    const target = (type: string): UpstreamTarget => ({ baseUrl: defaultBaseUrl(type) ?? 'http://vllm.local:8000/v1', key: 'k', model: 'e', config: {} });
    expect(adapterFor('zhipu')!.buildEmbeddingsRequest!({ input: 'x' }, target('zhipu')).url).toBe('https://open.bigmodel.cn/api/paas/v4/embeddings');
    expect(adapterFor('qwen')!.buildEmbeddingsRequest!({ input: 'x' }, target('qwen')).url).toBe(
      'https://dashscope.aliyuncs.com/compatible-mode/v1/embeddings',
    );
    expect(adapterFor('vllm')!.buildEmbeddingsRequest!({ input: 'x' }, target('vllm')).url).toBe('http://vllm.local:8000/v1/embeddings');
  });

  it('sends no credential to a keyless local Ollama', () => {
    const req = adapterFor('ollama')!.buildTestRequest({ baseUrl: defaultBaseUrl('ollama')!, key: '', model: 'llama3.2', config: {} });
    expect(req.headers).toEqual({ 'content-type': 'application/json' });
  });
});
