// The pricing catalogue shipped with the product. Admin settings (options) override every entry; pricing.ts matches a
// model exactly, else as a dated snapshot of a key ("claude-sonnet-4-5-20250929" → "claude-sonnet-4-5"); other variants
// need a price of their own.
//
// Conventions (one-api's, which operators know): model ratio 1 = 0.002 USD per 1K prompt tokens = 2 USD per 1M, so
// ratio = input USD per 1M / 2; completion ratio = output price / input price. Each row below states the published
// USD-per-1M prices, and the ratios are derived from them with exact decimal (BigInt) arithmetic, never floats:
// the input ratio is exact, and a completion ratio that does not terminate (2.50 / 0.30) is rounded UP at the 9th
// decimal, so it can only over-charge, by less than one billionth.
//
// Prices checked in 2025–2026 against the vendors' pricing pages (platform.openai.com/docs/pricing,
// platform.claude.com/docs/en/about-claude/pricing, ai.google.dev/gemini-api/docs/pricing,
// api-docs.deepseek.com/quick_start/pricing, alibabacloud.com/help/en/model-studio/model-pricing,
// mistral.ai/pricing, docs.x.ai/docs/models, platform.moonshot.ai/docs/pricing/chat, bigmodel.cn/pricing, z.ai).
// They change often: the admin's overrides are the real source of truth; this is a sane default.
import { ceilDiv, formatDecimal, parseDecimal, RATIO_SCALE } from './decimal.js';

/** [model, input USD per 1M tokens, output USD per 1M tokens (null: the model has no output tokens)] */
type PriceRow = readonly [model: string, input: string, output: string | null];

const PRICES: readonly PriceRow[] = [
  // OpenAI. gpt-3.5-turbo keeps one-api's historical $1.50 / $2.00 (0613), whose completion ratio the operator FAQ
  // promises as "fixed at 1.33" (see COMPLETION_OVERRIDES); the current snapshot is listed by its dated id.
  ['gpt-3.5-turbo', '1.5', '2'],
  ['gpt-3.5-turbo-0125', '0.5', '1.5'],
  ['gpt-3.5-turbo-1106', '1', '2'],
  ['gpt-3.5-turbo-16k', '3', '4'],
  ['gpt-3.5-turbo-instruct', '1.5', '2'],
  ['gpt-4', '30', '60'],
  ['gpt-4-32k', '60', '120'],
  ['gpt-4-turbo', '10', '30'],
  ['gpt-4-1106-preview', '10', '30'],
  ['gpt-4-0125-preview', '10', '30'],
  ['gpt-4-vision-preview', '10', '30'],
  ['gpt-4o', '2.5', '10'],
  ['gpt-4o-2024-05-13', '5', '15'],
  ['chatgpt-4o-latest', '5', '15'],
  ['gpt-4o-mini', '0.15', '0.6'],
  ['gpt-4o-realtime-preview', '5', '20'], // text tokens
  ['gpt-4o-mini-realtime-preview', '0.6', '2.4'], // text tokens
  ['gpt-4.1', '2', '8'],
  ['gpt-4.1-mini', '0.4', '1.6'],
  ['gpt-4.1-nano', '0.1', '0.4'],
  ['gpt-4.5-preview', '75', '150'],
  ['o1', '15', '60'],
  ['o1-mini', '1.1', '4.4'],
  ['o1-pro', '150', '600'],
  ['o3', '2', '8'],
  ['o3-mini', '1.1', '4.4'],
  ['o3-pro', '20', '80'],
  ['o3-deep-research', '10', '40'],
  ['o4-mini', '1.1', '4.4'],
  ['o4-mini-deep-research', '2', '8'],
  ['gpt-5', '1.25', '10'], // also gpt-5-chat-latest, gpt-5-codex, gpt-5.1 (same price)
  ['gpt-5-mini', '0.25', '2'],
  ['gpt-5-nano', '0.05', '0.4'],
  ['gpt-5-pro', '15', '120'],
  ['gpt-5.2', '1.75', '14'],
  ['gpt-5.2-pro', '21', '168'],
  ['gpt-5.4', '2.5', '15'],
  ['text-embedding-3-small', '0.02', null],
  ['text-embedding-3-large', '0.13', null],
  ['text-embedding-ada-002', '0.1', null],
  ['tts-1', '15', null], // USD 15 per 1M input characters, counted as tokens
  ['tts-1-hd', '30', null], // USD 30 per 1M input characters
  // whisper-1 is USD 0.006 per audio minute; one-api's convention bills the transcript instead: ~150 words ≈ 200
  // tokens per minute → USD 0.03 per 1K tokens = USD 30 per 1M (ratio 15).
  ['whisper-1', '30', null],
  // OpenAI's moderation endpoint is free.
  ['omni-moderation-latest', '0', null],
  ['text-moderation-latest', '0', null],

  // Anthropic (5-minute cache writes 1.25×, cache hits 0.1×; Sonnet 4/4.5 above 200K input tokens cost more).
  ['claude-3-haiku', '0.25', '1.25'],
  ['claude-3-sonnet', '3', '15'],
  ['claude-3-opus', '15', '75'],
  ['claude-3-5-haiku', '0.8', '4'],
  ['claude-3-5-haiku-20241022', '0.8', '4'],
  ['claude-3-5-sonnet', '3', '15'],
  ['claude-3-5-sonnet-20240620', '3', '15'],
  ['claude-3-5-sonnet-20241022', '3', '15'],
  ['claude-3-7-sonnet', '3', '15'],
  ['claude-3-7-sonnet-20250219', '3', '15'],
  ['claude-sonnet-4', '3', '15'],
  ['claude-sonnet-4-20250514', '3', '15'],
  ['claude-opus-4', '15', '75'],
  ['claude-opus-4-20250514', '15', '75'],
  ['claude-opus-4-1', '15', '75'],
  ['claude-opus-4-1-20250805', '15', '75'],
  ['claude-sonnet-4-5', '3', '15'],
  ['claude-sonnet-4-5-20250929', '3', '15'],
  ['claude-haiku-4-5', '1', '5'],
  ['claude-haiku-4-5-20251001', '1', '5'],
  ['claude-opus-4-5', '5', '25'],
  ['claude-opus-4-5-20251101', '5', '25'],

  // Google Gemini (prompts up to 128K for 1.5, up to 200K for 2.5 Pro / 3 Pro; longer prompts cost more).
  ['gemini-1.5-pro', '1.25', '5'],
  ['gemini-1.5-flash', '0.075', '0.3'],
  ['gemini-1.5-flash-8b', '0.0375', '0.15'],
  ['gemini-2.0-flash', '0.1', '0.4'],
  ['gemini-2.0-flash-lite', '0.075', '0.3'],
  ['gemini-2.5-pro', '1.25', '10'],
  ['gemini-2.5-flash', '0.3', '2.5'],
  ['gemini-2.5-flash-lite', '0.1', '0.4'],
  ['gemini-3-pro-preview', '2', '12'],
  ['gemini-3-flash-preview', '0.5', '3'],

  // DeepSeek (V3.2 on both endpoints: cache miss $0.28, cache hit $0.028, output $0.42).
  ['deepseek-chat', '0.28', '0.42'],
  ['deepseek-reasoner', '0.28', '0.42'],

  // Qwen, Alibaba Cloud Model Studio international (non-thinking mode; thinking output costs more).
  ['qwen-max', '1.6', '6.4'],
  ['qwen-plus', '0.4', '1.2'],
  ['qwen-turbo', '0.05', '0.2'],

  // Mistral (mistral-large-latest is Mistral Large 3; Large 2411 kept under its dated id).
  ['mistral-large-latest', '0.5', '1.5'],
  ['mistral-large-2411', '2', '6'],
  ['mistral-medium-latest', '0.4', '2'],
  ['mistral-small-latest', '0.1', '0.3'],
  ['codestral-latest', '0.3', '0.9'],

  // xAI (grok-4: prompts up to 128K; longer ones cost double).
  ['grok-3', '3', '15'],
  ['grok-3-mini', '0.3', '0.5'],
  ['grok-4', '3', '15'],

  // Moonshot (platform.moonshot.ai, USD).
  ['moonshot-v1-8k', '0.2', '2'],
  ['moonshot-v1-32k', '1', '3'],
  ['moonshot-v1-128k', '2', '5'],
  ['kimi-k2', '0.6', '2.5'], // kimi-k2-0905-preview, kimi-k2-0711-preview
  ['kimi-k2.5', '0.6', '3'],

  // Zhipu. bigmodel.cn prices in CNY, converted at 7 CNY per USD (the FAQ's rate, also one-api's) and rounded up:
  // glm-4 ¥100/1M, glm-4-plus ¥5/1M, glm-4-air ¥0.5/1M (input and output alike), glm-4-flash free.
  // glm-4.5 / 4.6 / 4.5-air: z.ai's USD list.
  ['glm-4', '14.285714286', '14.285714286'],
  ['glm-4-plus', '0.714285715', '0.714285715'],
  ['glm-4-air', '0.071428572', '0.071428572'],
  ['glm-4-flash', '0', '0'],
  ['glm-4.5', '0.6', '2.2'],
  ['glm-4.5-air', '0.2', '1.1'],
  ['glm-4.6', '0.6', '2.2'],
];

/** Where the FAQ fixes a completion ratio that differs from the price quotient. */
const COMPLETION_OVERRIDES: Readonly<Record<string, string>> = {
  'gpt-3.5-turbo': '1.33', // "GPT3.5: fixed at 1.33" (one-api's convention; $2.00 / $1.50 = 1.333…)
};

function modelRatio(inputUsdPerMillion: string): string {
  return formatDecimal(ceilDiv(parseDecimal(inputUsdPerMillion), 2n));
}

function completionRatio(input: string, output: string | null): string {
  const inputScaled = parseDecimal(input);
  if (output === null || inputScaled === 0n) return '1';
  return formatDecimal(ceilDiv(parseDecimal(output) * RATIO_SCALE, inputScaled));
}

export const DEFAULT_MODEL_RATIOS: Readonly<Record<string, string>> = Object.fromEntries(
  PRICES.map(([model, input]) => [model, modelRatio(input)]),
);

export const DEFAULT_COMPLETION_RATIOS: Readonly<Record<string, string>> = Object.fromEntries(
  PRICES.map(([model, input, output]) => [model, COMPLETION_OVERRIDES[model] ?? completionRatio(input, output)]),
);

/**
 * Long-prompt prices: [model, threshold, input USD per 1M, output USD per 1M] — a call whose prompt is ABOVE the
 * threshold (cached and cache-written tokens included, as both vendors count it) pays these for all of its tokens.
 * Cache ratios stay relative to the input price, as the vendors' long-context cache prices do (Claude: 0.1× / 1.25×
 * of $6; Gemini 2.5 Pro: 0.1× of $2.50). Published by Google (ai.google.dev/gemini-api/docs/pricing) and Anthropic
 * (platform.claude.com/docs/en/about-claude/pricing, the 1M-context beta), checked 2025–2026.
 */
type TierRow = readonly [model: string, above: number, input: string, output: string];

const TIERS: readonly TierRow[] = [
  ['gemini-1.5-pro', 128_000, '2.5', '10'],
  ['gemini-2.5-pro', 200_000, '2.5', '15'],
  ['gemini-3-pro-preview', 200_000, '4', '18'],
  ['claude-sonnet-4', 200_000, '6', '22.5'],
  ['claude-sonnet-4-5', 200_000, '6', '22.5'],
];

/** Per model, its tiers as ratios (the same exact derivation as the base prices). */
export const DEFAULT_PRICE_TIERS: Readonly<Record<string, ReadonlyArray<{ above: number; modelRatio: string; completionRatio: string }>>> =
  TIERS.reduce<Record<string, Array<{ above: number; modelRatio: string; completionRatio: string }>>>((out, [model, above, input, output]) => {
    (out[model] ??= []).push({ above, modelRatio: modelRatio(input), completionRatio: completionRatio(input, output) });
    return out;
  }, {});

/** USD per request, for models priced per call (a 1024×1024 image at standard / medium quality). */
export const DEFAULT_MODEL_PRICES: Readonly<Record<string, string>> = {
  'dall-e-3': '0.04',
  'dall-e-2': '0.02',
  'gpt-image-1': '0.042',
  'gpt-image-1-mini': '0.011',
};

/**
 * Cached-input price ÷ input price, keyed by model or family prefix (longest wins). "*" is the fallback for every
 * other model: 1, i.e. cache reads cost like normal input until the admin says otherwise (never under-charge).
 */
export const DEFAULT_CACHE_READ_RATIOS: Readonly<Record<string, string>> = {
  '*': '1',
  // OpenAI: 50% for the gpt-4o / o1 generation, 25% for gpt-4.1 / o3 / o4-mini, 10% for gpt-5.
  'gpt-4o': '0.5',
  'chatgpt-4o': '0.5',
  'gpt-4.5': '0.5',
  o1: '0.5',
  'o3-mini': '0.5',
  'gpt-4.1': '0.25',
  o3: '0.25',
  'o4-mini': '0.25',
  'gpt-5': '0.1',
  // Anthropic cache hits.
  claude: '0.1',
  // Gemini implicit / context caching: 25% of input.
  'gemini-1.5': '0.25',
  'gemini-2.0': '0.25',
  'gemini-2.5': '0.25',
  // DeepSeek $0.028 / $0.28; Qwen implicit cache 20%; xAI $0.75 / $3 (grok-3-mini $0.075 / $0.30).
  deepseek: '0.1',
  qwen: '0.2',
  grok: '0.25',
  // Moonshot: kimi-k2 $0.15 / $0.60, kimi-k2.5 $0.10 / $0.60.
  'kimi-k2': '0.25',
  'kimi-k2.5': '0.166666667',
};

/** Cache-write price ÷ input price. Only Anthropic charges a premium (5-minute cache: 1.25×). */
export const DEFAULT_CACHE_WRITE_RATIOS: Readonly<Record<string, string>> = {
  '*': '1',
  claude: '1.25',
};

/**
 * [model, context window, output maximum] in tokens, from the vendors' model pages (2025–2026). The output maximum is
 * what the upstream may generate when a request sets no limit, so it bounds what such a call can cost (see
 * allowance.ts); the context window bounds input the relay cannot count (a remote file, a video). A beta's longer
 * context is listed (a bound may be high, never low); a beta's longer output is not: it needs a header, and a client
 * that sends one sets its own limit. Matched like prices: exactly or as a dated snapshot.
 */
type LimitRow = readonly [model: string, context: number, maxOutput: number];

const LIMITS: readonly LimitRow[] = [
  ['gpt-3.5-turbo', 16_385, 4_096],
  ['gpt-3.5-turbo-16k', 16_385, 4_096],
  ['gpt-4', 8_192, 8_192],
  ['gpt-4-32k', 32_768, 32_768],
  ['gpt-4-turbo', 128_000, 4_096],
  ['gpt-4-1106-preview', 128_000, 4_096],
  ['gpt-4-0125-preview', 128_000, 4_096],
  ['gpt-4-vision-preview', 128_000, 4_096],
  ['gpt-4o', 128_000, 16_384],
  ['gpt-4o-2024-05-13', 128_000, 4_096],
  ['chatgpt-4o-latest', 128_000, 16_384],
  ['gpt-4o-mini', 128_000, 16_384],
  ['gpt-4.1', 1_047_576, 32_768],
  ['gpt-4.1-mini', 1_047_576, 32_768],
  ['gpt-4.1-nano', 1_047_576, 32_768],
  ['gpt-4.5-preview', 128_000, 16_384],
  ['o1', 200_000, 100_000],
  ['o1-mini', 128_000, 65_536],
  ['o1-pro', 200_000, 100_000],
  ['o3', 200_000, 100_000],
  ['o3-mini', 200_000, 100_000],
  ['o3-pro', 200_000, 100_000],
  ['o3-deep-research', 200_000, 100_000],
  ['o4-mini', 200_000, 100_000],
  ['o4-mini-deep-research', 200_000, 100_000],
  ['gpt-5', 400_000, 128_000],
  ['gpt-5-mini', 400_000, 128_000],
  ['gpt-5-nano', 400_000, 128_000],
  ['gpt-5-pro', 400_000, 272_000],
  ['claude-3-haiku', 200_000, 4_096],
  ['claude-3-sonnet', 200_000, 4_096],
  ['claude-3-opus', 200_000, 4_096],
  ['claude-3-5-haiku', 200_000, 8_192],
  ['claude-3-5-sonnet', 200_000, 8_192],
  ['claude-3-7-sonnet', 200_000, 64_000],
  ['claude-sonnet-4', 1_000_000, 64_000],
  ['claude-opus-4', 200_000, 32_000],
  ['claude-opus-4-1', 200_000, 32_000],
  ['claude-sonnet-4-5', 1_000_000, 64_000],
  ['claude-haiku-4-5', 200_000, 64_000],
  ['claude-opus-4-5', 200_000, 64_000],
  ['gemini-1.5-pro', 2_097_152, 8_192],
  ['gemini-1.5-flash', 1_048_576, 8_192],
  ['gemini-1.5-flash-8b', 1_048_576, 8_192],
  ['gemini-2.0-flash', 1_048_576, 8_192],
  ['gemini-2.0-flash-lite', 1_048_576, 8_192],
  ['gemini-2.5-pro', 1_048_576, 65_536],
  ['gemini-2.5-flash', 1_048_576, 65_536],
  ['gemini-2.5-flash-lite', 1_048_576, 65_536],
  ['gemini-3-pro-preview', 1_048_576, 65_536],
  ['gemini-3-flash-preview', 1_048_576, 65_536],
  ['deepseek-chat', 131_072, 8_192],
  ['deepseek-reasoner', 131_072, 65_536],
];

export const DEFAULT_CONTEXT_WINDOWS: Readonly<Record<string, number>> = Object.fromEntries(LIMITS.map(([m, context]) => [m, context]));
export const DEFAULT_MAX_OUTPUT_TOKENS: Readonly<Record<string, number>> = Object.fromEntries(LIMITS.map(([m, , out]) => [m, out]));
