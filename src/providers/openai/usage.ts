// OpenAI bills cached prompt tokens at a discount: prompt_tokens includes them, prompt_tokens_details.cached_tokens says
// how many. Reasoning tokens are inside completion_tokens and billed as output.
import type { OpenAIUsage, Usage } from '../types.js';
import { countOf, isRecord } from '../json.js';

/** Cache-hit tokens wherever an OpenAI-compatible provider reports them (OpenAI, DeepSeek, older Moonshot). */
function cachedTokensOf(usage: OpenAIUsage): number {
  const details = usage.prompt_tokens_details;
  return (
    (isRecord(details) ? countOf(details.cached_tokens) : undefined) ??
    countOf(usage.prompt_cache_hit_tokens) ??
    countOf(usage.cached_tokens) ??
    0
  );
}

export function openaiUsageOf(usage: OpenAIUsage | undefined | null): Usage | undefined {
  if (!isRecord(usage)) return undefined;
  const prompt = countOf(usage.prompt_tokens) ?? 0;
  const cached = Math.min(cachedTokensOf(usage), prompt);
  return {
    promptTokens: prompt - cached,
    completionTokens: countOf(usage.completion_tokens) ?? 0,
    cacheReadTokens: cached,
    cacheWriteTokens: 0,
  };
}

/** The `usage` member of a body or chunk, when it is an object (null and absent are both "none"). */
export function usageFieldOf(body: unknown): OpenAIUsage | undefined {
  return isRecord(body) && isRecord(body.usage) ? (body.usage as OpenAIUsage) : undefined;
}
