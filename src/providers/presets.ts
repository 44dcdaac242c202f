// OpenAI-compatible providers: each is the OpenAI adapter with its own type, default base URL and, where the provider
// does not use OpenAI's /v1 layout, its own paths. Base URLs are the provider's documented OpenAI-compatible roots.
import { createOpenAICompatibleAdapter, type OpenAICompatibleOptions } from './openai/index.js';
import type { ProviderAdapter } from './types.js';

/** One selectable channel type: what the management UI lists and what the registry serves. */
export interface ChannelTypeInfo {
  type: string;
  label: string;
  /** Undefined when every channel has its own (Azure resources, self-hosted vLLM, custom). */
  defaultBaseUrl: string | undefined;
  adapter: ProviderAdapter;
}

function preset(
  label: string,
  defaultBaseUrl: string | undefined,
  options: OpenAICompatibleOptions,
): ChannelTypeInfo {
  return { type: options.type, label, defaultBaseUrl, adapter: createOpenAICompatibleAdapter(options) };
}

export const OPENAI_COMPATIBLE_PRESETS: readonly ChannelTypeInfo[] = [
  preset('DeepSeek', 'https://api.deepseek.com', { type: 'deepseek' }),
  // DashScope "compatible mode": https://dashscope.aliyuncs.com/compatible-mode/v1/chat/completions
  preset('Qwen (DashScope)', 'https://dashscope.aliyuncs.com/compatible-mode', { type: 'qwen' }),
  preset('Moonshot (Kimi)', 'https://api.moonshot.cn', { type: 'moonshot' }),
  // Zhipu's root already carries its version: https://open.bigmodel.cn/api/paas/v4/chat/completions
  preset('Zhipu (GLM)', 'https://open.bigmodel.cn/api/paas/v4', {
    type: 'zhipu',
    chatPath: '/chat/completions',
    embeddingsPath: '/embeddings',
  }),
  preset('Mistral', 'https://api.mistral.ai', { type: 'mistral' }),
  preset('Groq', 'https://api.groq.com/openai', { type: 'groq' }),
  preset('xAI (Grok)', 'https://api.x.ai', { type: 'xai' }),
  preset('OpenRouter', 'https://openrouter.ai/api', { type: 'openrouter' }),
  preset('Together AI', 'https://api.together.xyz', { type: 'together' }),
  preset('SiliconFlow', 'https://api.siliconflow.cn', { type: 'siliconflow' }),
  // Ollama's OpenAI-compatible endpoint; it needs no key (an empty key sends no Authorization header).
  preset('Ollama', 'http://127.0.0.1:11434', { type: 'ollama' }),
  preset('vLLM', undefined, { type: 'vllm' }),
  preset('Custom (OpenAI-compatible)', undefined, { type: 'custom' }),
];
