// Every channel type code one-api and new-api define, and what relay-station makes of it: a relay-station channel type
// (src/providers/registry.ts), or the reason it cannot be served. Kept as data so that a new preset only needs a line
// here. Read from one-api v0.6.10 (relay/channeltype/define.go, url.go) and new-api (constant/channel.go, codes 0–57).
//
// `defaultBaseUrl` is the source project's default for the code (what an empty base_url meant there). The base URL a
// channel gets is `(base_url || defaultBaseUrl)`, minus `stripPath` when it ends with it, plus `basePath`.
import type { Variant } from './rows.js';

export interface ServedType {
  name: string;
  type: string;
  defaultBaseUrl?: string;
  /** Appended to the source base URL: the OpenAI-compatible root of a provider whose native API the source used. */
  basePath?: string;
  /** Removed from the end of the source base URL (it stored a longer URL than relay-station's base). */
  stripPath?: string;
  /** How the mapping changes the way the upstream is called, for the report. */
  note?: string;
}

export interface UnservedType {
  name: string;
  type?: undefined;
  reason: string;
}

export type TypeMapping = ServedType | UnservedType;

const compatible = (name: string, defaultBaseUrl?: string): ServedType => ({ name, type: 'custom', defaultBaseUrl });
const no = (name: string, reason: string): UnservedType => ({ name, reason });

const NATIVE = 'its own API, which relay-station does not speak';
const PATH = 'an OpenAI-compatible API outside the /v1 layout relay-station uses for custom channels';
const MEDIA = 'images, video or music tasks, which relay-station does not relay';

const ONE_API: Record<number, TypeMapping> = {
  0: no('Unknown', 'no channel type'),
  1: { name: 'OpenAI', type: 'openai', defaultBaseUrl: 'https://api.openai.com' },
  2: compatible('API2D', 'https://oa.api2d.net'),
  3: { name: 'Azure', type: 'azure' },
  4: compatible('CloseAI', 'https://api.closeai-proxy.xyz'),
  5: compatible('OpenAI-SB', 'https://api.openai-sb.com'),
  6: compatible('OpenAIMax', 'https://api.openaimax.com'),
  7: compatible('OhMyGPT', 'https://api.ohmygpt.com'),
  8: compatible('Custom'),
  9: compatible('AILS', 'https://api.caipacity.com'),
  10: compatible('AIProxy', 'https://api.aiproxy.io'),
  11: no('PaLM', 'the PaLM API, which Google retired'),
  12: compatible('API2GPT', 'https://api.api2gpt.com'),
  13: compatible('AIGC2D', 'https://api.aigc2d.com'),
  14: { name: 'Anthropic', type: 'anthropic', defaultBaseUrl: 'https://api.anthropic.com' },
  15: no('Baidu', NATIVE),
  16: {
    name: 'Zhipu',
    type: 'zhipu',
    defaultBaseUrl: 'https://open.bigmodel.cn',
    basePath: '/api/paas/v4',
    note: "Zhipu's OpenAI-compatible v4 API (glm-* models; chatglm_* v3 models are gone)",
  },
  17: {
    name: 'Ali',
    type: 'qwen',
    defaultBaseUrl: 'https://dashscope.aliyuncs.com',
    basePath: '/compatible-mode',
    note: "DashScope's OpenAI-compatible mode, same key",
  },
  18: no('Xunfei', NATIVE),
  19: compatible('360', 'https://ai.360.cn'),
  20: { name: 'OpenRouter', type: 'openrouter', defaultBaseUrl: 'https://openrouter.ai/api' },
  21: no('AIProxyLibrary', 'a knowledge-base API, not a model API'),
  22: compatible('FastGPT', 'https://fastgpt.run/api/openapi'),
  23: no('Tencent', NATIVE),
  24: { name: 'Gemini', type: 'gemini', defaultBaseUrl: 'https://generativelanguage.googleapis.com' },
  25: { name: 'Moonshot', type: 'moonshot', defaultBaseUrl: 'https://api.moonshot.cn' },
  26: compatible('Baichuan', 'https://api.baichuan-ai.com'),
  27: no('Minimax', PATH),
  28: { name: 'Mistral', type: 'mistral', defaultBaseUrl: 'https://api.mistral.ai' },
  29: { name: 'Groq', type: 'groq', defaultBaseUrl: 'https://api.groq.com/openai' },
  30: { name: 'Ollama', type: 'ollama', defaultBaseUrl: 'http://localhost:11434' },
  31: compatible('LingYiWanWu', 'https://api.lingyiwanwu.com'),
  32: compatible('StepFun', 'https://api.stepfun.com'),
  33: no('AWS Claude', 'AWS Bedrock (SigV4 signing)'),
  34: no('Coze', NATIVE),
  35: no('Cohere', NATIVE),
  36: { name: 'DeepSeek', type: 'deepseek', defaultBaseUrl: 'https://api.deepseek.com' },
  37: no('Cloudflare', 'Workers AI (account-scoped URLs)'),
  38: no('DeepL', 'a translation API'),
  39: { name: 'TogetherAI', type: 'together', defaultBaseUrl: 'https://api.together.xyz' },
  40: no('Doubao', PATH),
  41: no('Novita', PATH),
  42: no('VertexAI', 'Google Vertex AI (service-account auth)'),
  43: no('Proxy', 'a raw pass-through proxy'),
  44: { name: 'SiliconFlow', type: 'siliconflow', defaultBaseUrl: 'https://api.siliconflow.cn' },
  45: { name: 'xAI', type: 'xai', defaultBaseUrl: 'https://api.x.ai' },
  46: no('Replicate', NATIVE),
  47: no('BaiduV2', PATH),
  48: compatible('XunfeiV2', 'https://spark-api-open.xf-yun.com'),
  49: {
    name: 'AliBailian',
    type: 'qwen',
    defaultBaseUrl: 'https://dashscope.aliyuncs.com',
    basePath: '/compatible-mode',
  },
  50: compatible('OpenAICompatible'),
  51: {
    name: 'GeminiOpenAICompatible',
    type: 'gemini',
    defaultBaseUrl: 'https://generativelanguage.googleapis.com/v1beta/openai/',
    stripPath: '/v1beta/openai',
    note: "Gemini's native API with the same key",
  },
};

const NEW_API: Record<number, TypeMapping> = {
  0: no('Unknown', 'no channel type'),
  1: { name: 'OpenAI', type: 'openai', defaultBaseUrl: 'https://api.openai.com' },
  2: no('Midjourney', MEDIA),
  3: { name: 'Azure', type: 'azure' },
  4: { name: 'Ollama', type: 'ollama', defaultBaseUrl: 'http://localhost:11434' },
  5: no('MidjourneyPlus', MEDIA),
  6: compatible('OpenAIMax', 'https://api.openaimax.com'),
  7: compatible('OhMyGPT', 'https://api.ohmygpt.com'),
  // new-api's custom channel stores the whole request URL, not a base.
  8: { name: 'Custom', type: 'custom', stripPath: '/v1/chat/completions' },
  9: compatible('AILS', 'https://api.caipacity.com'),
  10: compatible('AIProxy', 'https://api.aiproxy.io'),
  11: no('PaLM', 'the PaLM API, which Google retired'),
  12: compatible('API2GPT', 'https://api.api2gpt.com'),
  13: compatible('AIGC2D', 'https://api.aigc2d.com'),
  14: { name: 'Anthropic', type: 'anthropic', defaultBaseUrl: 'https://api.anthropic.com' },
  15: no('Baidu', NATIVE),
  16: no('Zhipu (v3)', NATIVE),
  17: {
    name: 'Ali',
    type: 'qwen',
    defaultBaseUrl: 'https://dashscope.aliyuncs.com',
    basePath: '/compatible-mode',
  },
  18: no('Xunfei', NATIVE),
  19: compatible('360', 'https://api.360.cn'),
  20: { name: 'OpenRouter', type: 'openrouter', defaultBaseUrl: 'https://openrouter.ai/api' },
  21: no('AIProxyLibrary', 'a knowledge-base API, not a model API'),
  22: compatible('FastGPT', 'https://fastgpt.run/api/openapi'),
  23: no('Tencent', NATIVE),
  24: { name: 'Gemini', type: 'gemini', defaultBaseUrl: 'https://generativelanguage.googleapis.com' },
  25: { name: 'Moonshot', type: 'moonshot', defaultBaseUrl: 'https://api.moonshot.cn' },
  26: { name: 'Zhipu v4', type: 'zhipu', defaultBaseUrl: 'https://open.bigmodel.cn', basePath: '/api/paas/v4' },
  27: no('Perplexity', PATH),
  31: compatible('LingYiWanWu', 'https://api.lingyiwanwu.com'),
  33: no('AWS', 'AWS Bedrock (SigV4 signing)'),
  34: no('Cohere', NATIVE),
  35: no('MiniMax', PATH),
  36: no('Suno', MEDIA),
  37: no('Dify', 'an application API, not a model API'),
  38: no('Jina', 'embeddings and rerank in its own format'),
  39: no('Cloudflare', 'Workers AI (account-scoped URLs)'),
  40: { name: 'SiliconFlow', type: 'siliconflow', defaultBaseUrl: 'https://api.siliconflow.cn' },
  41: no('VertexAI', 'Google Vertex AI (service-account auth)'),
  42: { name: 'Mistral', type: 'mistral', defaultBaseUrl: 'https://api.mistral.ai' },
  43: { name: 'DeepSeek', type: 'deepseek', defaultBaseUrl: 'https://api.deepseek.com' },
  44: no('MokaAI', NATIVE),
  45: no('VolcEngine', PATH),
  46: no('BaiduV2', PATH),
  47: compatible('Xinference'),
  48: { name: 'xAI', type: 'xai', defaultBaseUrl: 'https://api.x.ai' },
  49: no('Coze', NATIVE),
  50: no('Kling', MEDIA),
  51: no('Jimeng', MEDIA),
  52: no('Vidu', MEDIA),
  53: no('Submodel', NATIVE),
  54: no('DoubaoVideo', MEDIA),
  55: no('Sora', MEDIA),
  56: no('Replicate', NATIVE),
  57: no('Codex', 'ChatGPT account sign-in, not an API key'),
};

const TABLES: Record<Variant, Record<number, TypeMapping>> = { 'one-api': ONE_API, 'new-api': NEW_API };

/** The mapping of one source type code; codes the source project does not define are reported as unknown. */
export function mapChannelType(variant: Variant, code: number): TypeMapping {
  return TABLES[variant][code] ?? no(`type ${code}`, `a type code ${variant} does not define`);
}

/** Every code the variant defines (for tests and docs). */
export function definedTypeCodes(variant: Variant): number[] {
  return Object.keys(TABLES[variant]).map(Number);
}
