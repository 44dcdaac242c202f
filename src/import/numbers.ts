// Ratios arrive as JSON numbers written by Go (shortest round-trip form, "1e-07" for tiny ones). relay-station keeps
// exact decimals: at most 9 places for prices (src/billing/decimal.ts), 6 for group ratios (src/services/groups.ts).
// A value that does not fit is never rounded silently: the caller reports it, and rounds it up only when asked.

/** The exact decimal digits of a JS number's shortest form: 1e-7 → "0.0000001", 1.5e21 → "1500000000000000000000". */
export function plainDecimal(n: number): string {
  const text = String(n);
  const m = /^(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!m) return text;
  const digits = m[1]! + (m[2] ?? '');
  const point = m[1]!.length + Number(m[3]);
  if (point <= 0) return `0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return digits + '0'.repeat(point - digits.length);
  return `${digits.slice(0, point)}.${digits.slice(point)}`;
}

export type Fit =
  | { kind: 'exact'; value: string }
  | { kind: 'inexact'; roundedUp: string }
  | { kind: 'invalid'; reason: string };

/** Whether `n` is a non-negative decimal with at most `places` decimals; if not, the nearest value above it that is. */
export function fitDecimal(n: unknown, places: number): Fit {
  if (typeof n !== 'number' || !Number.isFinite(n)) return { kind: 'invalid', reason: 'not a number' };
  if (n < 0) return { kind: 'invalid', reason: 'negative' };
  const text = plainDecimal(n);
  const [whole = '0', frac = ''] = text.split('.');
  const trimmed = frac.replace(/0+$/, '');
  if (trimmed.length <= places) return { kind: 'exact', value: trimmed ? `${whole}.${trimmed}` : whole };
  // Round up at the last kept place, exactly, in integers.
  const scaled = BigInt(whole + trimmed.slice(0, places)) + 1n;
  const s = scaled.toString().padStart(places + 1, '0');
  const up = `${s.slice(0, s.length - places)}.${s.slice(s.length - places)}`.replace(/\.?0+$/, '');
  return { kind: 'inexact', roundedUp: up };
}
