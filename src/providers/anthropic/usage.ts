// Anthropic reports input_tokens WITHOUT the cached parts; cache reads and cache writes come as separate counts.
// The canonical (OpenAI) usage folds them into prompt_tokens, the way OpenAI counts cached tokens, and carries the
// cache writes in `cache_creation_input_tokens` so billing can still tell the three prompt rates apart.
import type { OpenAIUsage, Usage } from '../types.js';
import { isRecord, tokenCount } from '../json.js';

export function toOpenAIUsage(usage: unknown): OpenAIUsage {
  const u = isRecord(usage) ? usage : {};
  const cacheRead = tokenCount(u.cache_read_input_tokens);
  const cacheWrite = tokenCount(u.cache_creation_input_tokens);
  const prompt = tokenCount(u.input_tokens) + cacheRead + cacheWrite;
  const completion = tokenCount(u.output_tokens);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cacheRead },
    cache_creation_input_tokens: cacheWrite,
  };
}

/** Billing usage from a canonical usage: prompt tokens at the normal rate exclude cache reads and writes. */
export function billingUsageOf(usage: OpenAIUsage | undefined | null): Usage | undefined {
  if (!usage) return undefined;
  const cacheRead = tokenCount(usage.prompt_tokens_details?.cached_tokens);
  const cacheWrite = tokenCount(usage.cache_creation_input_tokens);
  return {
    promptTokens: Math.max(0, tokenCount(usage.prompt_tokens) - cacheRead - cacheWrite),
    completionTokens: tokenCount(usage.completion_tokens),
    cacheReadTokens: cacheRead,
    cacheWriteTokens: cacheWrite,
  };
}

const USAGE_FIELDS = ['input_tokens', 'output_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens'] as const;

/**
 * Usage across a stream: message_start carries the input side, message_delta the cumulative totals. Each field the
 * upstream reports overwrites the last value (the counts are totals, never increments), so a stream cut before
 * message_stop still yields what was reported so far.
 */
export class AnthropicUsageTracker {
  private readonly counts = new Map<(typeof USAGE_FIELDS)[number], number>();

  apply(usage: unknown): void {
    if (!isRecord(usage)) return;
    for (const field of USAGE_FIELDS) {
      if (typeof usage[field] === 'number') this.counts.set(field, tokenCount(usage[field]));
    }
  }

  openAI(): OpenAIUsage | undefined {
    return this.counts.size === 0 ? undefined : toOpenAIUsage(Object.fromEntries(this.counts));
  }

  billing(): Usage | undefined {
    return billingUsageOf(this.openAI());
  }
}
