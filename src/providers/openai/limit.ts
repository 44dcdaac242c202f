// The output limit in OpenAI's chat format, where the relay has to set one (billing/allowance.ts decides when). Two
// fields mean it: `max_completion_tokens`, which OpenAI's reasoning models require (they refuse `max_tokens`), and
// `max_tokens`, which most OpenAI-compatible providers know. A limit the client wrote is lowered in the field it used;
// otherwise the channel's preferred field carries it.
export type LimitField = 'max_tokens' | 'max_completion_tokens';

/** o-series and gpt-5 models: reasoning models, which take only max_completion_tokens. */
export function isReasoningModel(model: string): boolean {
  const bare = model.toLowerCase().slice(model.lastIndexOf('/') + 1);
  return /^(?:o\d|gpt-5)(?![a-z0-9])/.test(bare);
}

/** OpenAI and Azure: max_completion_tokens for reasoning models, max_tokens (understood everywhere) for the rest. */
export function openaiLimitField(model: string): LimitField {
  return isReasoningModel(model) ? 'max_completion_tokens' : 'max_tokens';
}

/** `body` with its output limit set to `tokens`: in the field(s) the client used, else in `preferred`. */
export function withOutputLimit<T extends Record<string, unknown>>(body: T, tokens: number, preferred: LimitField): T {
  const used = (['max_completion_tokens', 'max_tokens'] as const).filter((f) => body[f] !== undefined && body[f] !== null);
  const fields = used.length > 0 ? used : [preferred];
  return { ...body, ...Object.fromEntries(fields.map((f) => [f, tokens])) };
}

/**
 * A translated request (its limit, if any, came in as max_tokens) in the channel's preferred field: a reasoning model
 * behind an OpenAI channel refuses max_tokens.
 */
export function inPreferredField<T extends Record<string, unknown>>(body: T, preferred: LimitField): T {
  if (preferred === 'max_tokens' || body.max_tokens === undefined || body.max_tokens === null || body.max_completion_tokens != null) return body;
  const { max_tokens, ...rest } = body;
  return { ...rest, max_completion_tokens: max_tokens } as unknown as T;
}
