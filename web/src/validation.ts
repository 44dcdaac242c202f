// Client-side checks of the console's forms, the same rules the API applies (so most mistakes are caught before a
// round trip; the API's own error is still shown next to its field). Each returns a translation key or undefined.
import type { en } from './locales/en';

export type Problem = `validation.${keyof typeof en.validation}` | undefined;

export const USERNAME = /^[A-Za-z0-9_.@-]{2,64}$/;
export const GROUP_NAME = /^[A-Za-z0-9_.-]{1,32}$/;

export function required(value: string): Problem {
  return value.trim() ? undefined : 'validation.required';
}

export function username(value: string): Problem {
  return USERNAME.test(value) ? undefined : 'validation.username';
}

export function password(value: string): Problem {
  if (value.length < 8) return 'validation.passwordShort';
  if (value.length > 128) return 'validation.passwordLong';
  return undefined;
}

/** A non-negative decimal with at most `places` decimals (prices: 9, like the billing arithmetic; group ratios: 6). */
export function decimal(value: string, places = 9): Problem {
  const text = value.trim();
  if (!text) return 'validation.required';
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) return 'validation.decimal';
  if ((match[2] ?? '').replace(/0+$/, '').length > places) return places === 9 ? 'validation.decimalPlaces9' : 'validation.decimalPlaces6';
  return undefined;
}

/** An amount of money in USD (converted to whole quota units). */
export function usdAmount(value: string, { min = 0 } = {}): Problem {
  const problem = decimal(value, 6);
  if (problem) return problem;
  return Number(value) < min ? 'validation.positive' : undefined;
}

export function futureTime(value: string, now = Date.now()): Problem {
  if (!value) return undefined;
  const time = new Date(value).getTime();
  if (Number.isNaN(time)) return 'validation.dateTime';
  return time > now ? undefined : 'validation.future';
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}(\/([12]?\d|3[0-2]))?$/;
const IPV6 = /^[0-9a-f:]*:[0-9a-f:.]*(\/(\d|[1-9]\d|1[01]\d|12[0-8]))?$/i;

/** IP addresses or CIDR subnets, IPv4 or IPv6. */
export function ipList(values: string[]): Problem {
  return values.every((v) => IPV4.test(v) || IPV6.test(v)) ? undefined : 'validation.ip';
}

export function httpUrl(value: string, { optional = false } = {}): Problem {
  if (!value.trim()) return optional ? undefined : 'validation.required';
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? undefined : 'validation.url';
  } catch {
    return 'validation.url';
  }
}

export function integer(value: string | number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): Problem {
  const n = typeof value === 'number' ? value : Number(String(value).trim() || NaN);
  if (!Number.isInteger(n)) return 'validation.integer';
  if (n < min || n > max) return 'validation.range';
  return undefined;
}

/** Units from a USD amount the user typed (at most 6 decimals, so this is exact enough for 500,000 units per USD). */
export const usdToQuota = (usd: string, quotaPerUsd: number) => Math.round(Number(usd) * quotaPerUsd);

/** A rate limit as typed: empty = no limit, else a whole number from 1 to 1,000,000,000 (the API's range). */
export const RATE_LIMIT_MAX = 1_000_000_000;
export const rateLimit = (value: string): Problem => (value.trim() === '' ? undefined : integer(value, { min: 1, max: RATE_LIMIT_MAX }));
export const rateLimitValue = (value: string): number | null => (value.trim() === '' ? null : Number(value.trim()));
