// What a ratio or a price is, wherever an admin sets one (group ratios; the options' model, completion, cache and
// per-request price maps; the default model ratio): a JSON number or a decimal string, from 0 to 1,000,000, with at
// most 9 decimal places, the precision prices are stored and computed with (billing/decimal.ts). Anything finer is
// refused, not rounded: 1e-10 would have become 0, a free model. Exponents are read from numbers (1e-7 is 0.0000001),
// not from strings ("1e-7" is refused), as JSON numbers and decimal strings are the two accepted spellings.
import { Type } from 'typebox';
import { RelayError } from '../errors.js';
import { DecimalError, formatDecimal, parseDecimal, RATIO_SCALE } from '../billing/decimal.js';

export const MAX_RATIO = 1_000_000;

/**
 * The shape of a ratio in every schema that takes one (options' maps, PATCH merges, groups): a number or a string.
 * Only the shape: normalizeRatio is the rule (range, places, spelling), so every route refuses the same values with
 * the same message.
 */
export const RatioSchema = Type.Union([Type.Number(), Type.String({ minLength: 1, maxLength: 40 })], {
  description: 'a number or a decimal string ("0.8"), from 0 to 1,000,000, at most 9 decimal places',
});

/** The value as its canonical exact decimal string ("01.50" → "1.5", 2 → "2"), or a 400 naming `param`. */
export function normalizeRatio(value: unknown, param: string, label = param): string {
  const refuse = (why: string) => new RelayError('invalid_request', `${label} ${why}`, 400, { param });
  if (typeof value !== 'number' && typeof value !== 'string') throw refuse('must be a number or a decimal string such as "0.8"');
  let scaled: bigint;
  try {
    scaled = parseDecimal(value);
  } catch (err) {
    if (err instanceof DecimalError) throw refuse(`must be a decimal from 0 to ${MAX_RATIO} with at most 9 decimal places: ${err.message}`);
    throw err;
  }
  if (scaled > BigInt(MAX_RATIO) * RATIO_SCALE) throw refuse(`must be at most ${MAX_RATIO}, got ${String(value)}`);
  return formatDecimal(scaled);
}
