// Payments in the console: the API's payment resources (src/routes/api/payment-schemas.ts is the source of truth) and
// amounts typed by people. Money is an integer in the currency's minor unit everywhere (1000 = 10.00 CNY); a typed
// "10.5" becomes 1050 by string arithmetic, never through a float, and the server checks it again.
import type { en } from './locales/en';

export type OrderStatus = 'pending' | 'paid' | 'expired' | 'failed' | 'refunded' | 'partially_refunded' | 'disputed';
export type Provider = 'stripe' | 'epay' | 'telegram_stars';
export const ORDER_STATUSES: readonly OrderStatus[] = ['pending', 'paid', 'expired', 'failed', 'refunded', 'partially_refunded', 'disputed'];
export const PROVIDERS: readonly Provider[] = ['stripe', 'epay', 'telegram_stars'];

export interface Quote {
  amount: number;
  amountText: string;
  currency: string;
  /** Units credited, bonus included. */
  quota: number;
  bonusQuota: number;
}

export interface Offer {
  currency: string;
  minorDigits: number;
  exchangeRate: number;
  minAmount: number;
  maxAmount: number;
  presets: Quote[];
  bonusTiers: BonusTier[];
  providers: { id: 'stripe' | 'epay'; methods: string[] }[];
  stars: { quotaPerStar: number; presets: Quote[]; max: number } | null;
}

export interface BonusTier {
  minAmount: number;
  percent: number;
}

export interface PaymentOrder {
  id: number;
  tradeNo: string;
  userId: number;
  username?: string | null;
  provider: Provider;
  method: string;
  currency: string;
  minorDigits: number;
  amount: number;
  amountText: string;
  quota: number;
  bonusQuota: number;
  status: OrderStatus;
  providerRef: string | null;
  checkoutUrl: string | null;
  source: string;
  refundedAmount: number;
  disputedAmount: number;
  quotaReclaimed: number;
  quotaUnrecovered: number;
  paidBy: number | null;
  note: string;
  createdAt: string;
  expiresAt: string;
  paidAt: string | null;
  refundedAt: string | null;
}

export interface OrderDetail {
  order: PaymentOrder;
  events: { id: number; provider: Provider; eventId: string; type: string; outcome: string; createdAt: string }[];
  /** How the order can be refunded now; null when it cannot. */
  refund: { left: number; throughProvider: 'any_amount' | 'whole_only' | 'none' } | null;
}

export interface RefundResult {
  order: PaymentOrder;
  outcome: 'reversed' | 'unchanged' | 'duplicate';
  quotaReclaimed: number;
  quotaUnrecovered: number;
}

export interface GeneralSettings {
  presets: number[];
  minAmount: number;
  maxAmount: number;
  bonusTiers: BonusTier[];
  orderTtlMinutes: number;
  publicUrl: string;
  returnUrl: string;
}
interface ProviderState {
  enabled: boolean;
  /** Enabled and able to take payments now. */
  active: boolean;
  /** What is missing before it can take payments. */
  problem: string | null;
}
export interface PaymentSettings {
  currency: string;
  exchangeRate: number;
  minorDigits: number;
  general: GeneralSettings;
  stripe: ProviderState & { methods: StripeMethod[]; secretKey: string | null; webhookSecret: string | null };
  epay: ProviderState & { gatewayUrl: string; pid: string; types: string[]; key: string | null };
  telegramStars: ProviderState & { quotaPerStar: number; presets: number[] };
  webhookUrls: { stripe: string; epayNotify: string; epayReturn: string };
}
export const STRIPE_METHODS = ['card', 'alipay', 'wechat_pay'] as const;
export type StripeMethod = (typeof STRIPE_METHODS)[number];

/** A secret in a settings change: undefined keeps the stored one, a string replaces it, null removes it. */
export type SecretChange = string | null | undefined;

/* ------------------------------------------------------------------ typed amounts */

/** "12.3" with 2 digits → 1230; null when it is not a plain amount or has more decimals than the currency. */
export function parseMinor(text: string, digits: number): number | null {
  const match = /^(\d{1,12})(?:[.,](\d+))?$/.exec(text.trim());
  if (!match) return null;
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > digits) return null;
  const minor = Number(match[1]) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
  return Number.isSafeInteger(minor) ? minor : null;
}

/** 1230 with 2 digits → "12.30" (for an input field; display goes through Intl). */
export function minorToText(amount: number, digits: number): string {
  if (digits === 0) return String(amount);
  const text = String(amount).padStart(digits + 1, '0');
  return `${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

type PaymentKey = keyof typeof en.payments.validation;

/** Why a typed amount cannot be ordered (a key of payments.validation), or the amount in minor units. */
export function checkAmount(text: string, limits: { minorDigits: number; minAmount?: number; maxAmount?: number }): { amount: number } | { problem: PaymentKey } {
  if (!text.trim()) return { problem: 'amountRequired' };
  const amount = parseMinor(text, limits.minorDigits);
  if (amount === null) return { problem: limits.minorDigits ? 'amountFormat' : 'amountWhole' };
  if (amount < 1) return { problem: 'amountPositive' };
  if (amount < (limits.minAmount ?? 1) || amount > (limits.maxAmount ?? Number.MAX_SAFE_INTEGER)) return { problem: 'amountRange' };
  return { amount };
}

/* ------------------------------------------------------------------ names people read */

const METHOD_KEYS = { card: 'card', alipay: 'alipay', wechat_pay: 'wechat', wxpay: 'wechat', qqpay: 'qq' } as const;
export type MethodKey = (typeof METHOD_KEYS)[keyof typeof METHOD_KEYS];

/** A payment method's translation key (payments.methods.*), or undefined for a gateway's own type shown as it is. */
export const methodKey = (method: string): MethodKey | undefined => METHOD_KEYS[method as keyof typeof METHOD_KEYS];
