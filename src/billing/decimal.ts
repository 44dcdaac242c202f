// Exact decimal arithmetic for prices. Ratios are decimal strings ("0.1", "1.33", "2.5e-3" is refused) held as
// integers scaled by 10^9, and every quota is computed in BigInt and rounded up once, at the end. So ratio 0.1 × 30
// tokens is exactly 3 units, never 4 from a binary-float error. What a call costs is decided in cost.ts, on top of this.
import type { Usage } from '../providers/types.js';

export const RATIO_SCALE = 1_000_000_000n; // 9 decimal places
const SCALE_DIGITS = 9;

/** 500,000 quota units = 1 USD (one-api's convention, which operators know). */
export const QUOTA_PER_USD = 500_000;

/** A non-negative decimal, as an integer count of 10^-9. */
export type Scaled = bigint;

export class DecimalError extends Error {
  override name = 'DecimalError';
}

/**
 * Parses "1", "0.1", "1.33", or a JS number (via its shortest round-trip string, so 0.1 → "0.1") into a Scaled.
 * More than 9 decimals, negatives, exponents and garbage are refused.
 */
export function parseDecimal(value: string | number): Scaled {
  let text = typeof value === 'number' ? numberToPlain(value) : value.trim();
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) throw new DecimalError(`"${String(value)}" is not a non-negative decimal number`);
  const whole = match[1]!;
  let frac = match[2] ?? '';
  frac = frac.replace(/0+$/, '');
  if (frac.length > SCALE_DIGITS) {
    const tiny = /^0+$/.test(whole) && /^0+$/.test(frac.slice(0, SCALE_DIGITS));
    throw new DecimalError(
      tiny
        ? `"${String(value)}" is below 0.000000001, the smallest step a price can take (${SCALE_DIGITS} decimal places; use 0 for free)`
        : `"${String(value)}" has more than ${SCALE_DIGITS} decimal places`,
    );
  }
  text = whole + frac.padEnd(SCALE_DIGITS, '0');
  return BigInt(text);
}

/**
 * A number's shortest round-trip decimal, without an exponent, digit for digit: 1e-10 → "0.0000000001" (then refused
 * for its 10 places, where toFixed(9) used to make it 0: a free model), 1.5e21 → "1500000000000000000000".
 */
function numberToPlain(n: number): string {
  if (!Number.isFinite(n) || n < 0) throw new DecimalError(`${n} is not a non-negative finite number`);
  const s = String(n);
  const exp = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!exp) return s;
  const digits = exp[1]! + (exp[2] ?? '');
  const point = 1 + Number(exp[3]); // where the decimal point falls within `digits`
  if (point <= 0) return `0.${'0'.repeat(-point)}${digits}`;
  return point >= digits.length ? digits + '0'.repeat(point - digits.length) : `${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** Back to the shortest decimal string ("1.330000000" → "1.33"). */
export function formatDecimal(value: Scaled): string {
  const whole = value / RATIO_SCALE;
  const frac = (value % RATIO_SCALE).toString().padStart(SCALE_DIGITS, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : whole.toString();
}

/** ceil(a / b) for non-negative BigInts. */
export function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

export interface PriceRatios {
  group: Scaled;
  model: Scaled;
  completion: Scaled;
  cacheRead: Scaled;
  cacheWrite: Scaled;
  /** USD per request for models priced by call; when set, token ratios are not used. */
  perRequestUsd?: Scaled | undefined;
}

/**
 * quota = group × model × (prompt + completion × completionRatio + cacheRead × cacheReadRatio + cacheWrite × cacheWriteRatio)
 * or, for per-request models, group × USD price × 500,000; rounded up; at least 1 for a billable call.
 */
const SCALE_CUBED = RATIO_SCALE * RATIO_SCALE * RATIO_SCALE;
const MAX_QUOTA = BigInt(Number.MAX_SAFE_INTEGER);

function checkCount(name: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new DecimalError(`token count ${name}=${n} is not a non-negative integer`);
}

export function computeQuota(ratios: PriceRatios, tokens: Usage): number {
  checkCount('prompt', tokens.promptTokens);
  checkCount('completion', tokens.completionTokens);
  checkCount('cacheRead', tokens.cacheReadTokens);
  checkCount('cacheWrite', tokens.cacheWriteTokens);
  let scaledTotal: bigint; // scaled by RATIO_SCALE^3
  if (ratios.perRequestUsd !== undefined) {
    scaledTotal = ratios.group * ratios.perRequestUsd * BigInt(QUOTA_PER_USD) * RATIO_SCALE;
  } else {
    const weighted =
      BigInt(tokens.promptTokens) * RATIO_SCALE +
      BigInt(tokens.completionTokens) * ratios.completion +
      BigInt(tokens.cacheReadTokens) * ratios.cacheRead +
      BigInt(tokens.cacheWriteTokens) * ratios.cacheWrite;
    scaledTotal = ratios.group * ratios.model * weighted;
  }
  const quota = ceilDiv(scaledTotal, SCALE_CUBED);
  const billable = scaledTotal > 0n;
  const result = billable && quota < 1n ? 1n : quota;
  if (result > MAX_QUOTA) throw new DecimalError('quota overflow');
  return Number(result);
}

/** Quota units → USD with 6 decimals, for display. */
export function quotaToUsd(quota: number): string {
  const micro = (BigInt(quota) * 1_000_000n) / BigInt(QUOTA_PER_USD);
  const whole = micro / 1_000_000n;
  const frac = (micro % 1_000_000n).toString().padStart(6, '0');
  return `${whole}.${frac}`;
}
