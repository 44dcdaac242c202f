// Money in payments: amounts are integers in the currency's minor unit (fen, cents; whole yen; whole Telegram Stars),
// exactly as Stripe and Telegram count them, and every conversion to quota is exact integer arithmetic.
//
//   quota = floor( amount ÷ 10^minorDigits ÷ exchangeRate × 500,000 )       (exchangeRate: currency per 1 USD)
//   bonus = floor( quota × percent ÷ 100 )                                   (the highest tier the amount reaches)
//
// Rounded down once, at the end: a buyer never receives more than was paid for, and at most 1 unit ($0.000002) less.
import { DecimalError, parseDecimal, QUOTA_PER_USD, RATIO_SCALE } from '../billing/decimal.js';

/** Telegram Stars, as Telegram's Bot API names them. */
export const STARS = 'XTR';

// Stripe's lists (docs "Zero-decimal currencies" / "Three-decimal currencies"); every other currency has 2 decimals.
const ZERO_DECIMAL = new Set(['BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF', STARS]);
const THREE_DECIMAL = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);

/** Digits after the decimal point of the currency's minor unit: 2 for CNY/USD, 0 for JPY and Stars. */
export function minorDigits(currency: string): number {
  const code = currency.toUpperCase();
  if (ZERO_DECIMAL.has(code)) return 0;
  if (THREE_DECIMAL.has(code)) return 3;
  return 2;
}

/** 1234 CNY minor units → "12.34"; 500 JPY → "500". */
export function formatAmount(amount: number | bigint, currency: string): string {
  const digits = minorDigits(currency);
  const value = BigInt(amount);
  if (digits === 0) return value.toString();
  const scale = 10n ** BigInt(digits);
  return `${value / scale}.${(value % scale).toString().padStart(digits, '0')}`;
}

/** "12.34 CNY", "500 JPY", "100 ⭐". */
export function formatMoney(amount: number | bigint, currency: string): string {
  return currency === STARS ? `${BigInt(amount)} ⭐` : `${formatAmount(amount, currency)} ${currency.toUpperCase()}`;
}

/** "12.3" (or "12.30") in CNY → 1230; null when it is not an amount or has more decimals than the currency. */
export function parseAmount(text: string, currency: string): number | null {
  const match = /^(\d{1,12})(?:\.(\d{1,6}))?$/.exec(text.trim());
  const digits = minorDigits(currency);
  const frac = (match?.[2] ?? '').replace(/0+$/, '');
  if (!match || frac.length > digits) return null;
  const minor = Number(match[1]) * 10 ** digits + Number(frac.padEnd(digits, '0') || '0');
  return Number.isSafeInteger(minor) ? minor : null;
}

export interface BonusTier {
  /** Orders of at least this amount (minor units) get the bonus. */
  minAmount: number;
  /** Extra quota, in percent of the order's quota. */
  percent: number;
}

export interface Quote {
  amount: number;
  currency: string;
  /** Units credited, bonus included. */
  quota: number;
  bonusQuota: number;
}

/**
 * The quota an amount buys at `exchangeRate` (the option: what 1 USD of quota costs in this currency), exactly.
 * Throws DecimalError for a rate that is not a positive decimal with at most 9 places.
 */
export function quotaForAmount(amount: number, currency: string, exchangeRate: number): number {
  const rate = parseDecimal(exchangeRate);
  if (rate <= 0n) throw new DecimalError('the exchange rate must be above 0');
  const numerator = BigInt(amount) * BigInt(QUOTA_PER_USD) * RATIO_SCALE;
  const denominator = 10n ** BigInt(minorDigits(currency)) * rate;
  return Number(numerator / denominator);
}

/** The bonus of the highest tier the amount reaches (0 when none does). */
export function bonusFor(amount: number, quota: number, tiers: readonly BonusTier[]): number {
  let percent = 0;
  for (const tier of tiers) if (amount >= tier.minAmount && tier.percent > percent) percent = tier.percent;
  return Number((BigInt(quota) * BigInt(percent)) / 100n);
}

export function quote(amount: number, currency: string, exchangeRate: number, tiers: readonly BonusTier[]): Quote {
  const base = quotaForAmount(amount, currency, exchangeRate);
  const bonusQuota = bonusFor(amount, base, tiers);
  return { amount, currency, quota: base + bonusQuota, bonusQuota };
}

/**
 * The part of an order's quota that a refund or chargeback of `reversed` (minor units, cumulative) takes back:
 * proportional, rounded up so a full reversal takes back exactly everything.
 */
export function reversedQuota(orderQuota: bigint, orderAmount: bigint, reversed: bigint): bigint {
  if (orderAmount <= 0n || reversed <= 0n) return 0n;
  const part = reversed >= orderAmount ? orderAmount : reversed;
  return (orderQuota * part + orderAmount - 1n) / orderAmount;
}
