// Numbers, money and dates for the reader's language, all through Intl. Quota is the API's integer unit
// (quotaPerUsd units = 1 USD); the operator's currency is USD × exchangeRate.
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';

export const localeOf = (language: string) => (language.startsWith('zh') ? 'zh-CN' : 'en-US');

export interface Money {
  quotaPerUsd: number;
  exchangeRate: number;
  currency: string;
}

export const DEFAULT_MONEY: Money = { quotaPerUsd: 500_000, exchangeRate: 1, currency: 'USD' };

function currencyFormat(locale: string, currency: string, digits: number, minDigits = Math.min(2, digits)): Intl.NumberFormat | undefined {
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: minDigits, maximumFractionDigits: digits });
  } catch {
    return undefined; // not an ISO 4217 code: shown as a number and the code
  }
}

/** Telegram Stars (not an ISO currency): shown as "100 ⭐". */
const STARS = 'XTR';

export function makeFormat(language: string, money: Money = DEFAULT_MONEY) {
  const locale = localeOf(language);
  const integer = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const compact = new Intl.NumberFormat(locale, { notation: 'compact', maximumFractionDigits: 1 });
  const decimal = new Intl.NumberFormat(locale, { maximumFractionDigits: 6 });
  const usdFormat = currencyFormat(locale, 'USD', 6)!;
  const localFormat = currencyFormat(locale, money.currency, 6);
  const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
  const dateOnly = new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric', timeZone: 'UTC' });
  const percent = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 });
  const minorFormats = new Map<string, Intl.NumberFormat | undefined>();
  const usdOf = (quota: number) => quota / money.quotaPerUsd;
  const local = (amount: number) => (localFormat ? localFormat.format(amount) : `${decimal.format(amount)} ${money.currency}`);
  return {
    locale,
    money,
    integer: (n: number) => integer.format(n),
    compact: (n: number) => compact.format(n),
    decimal: (n: number) => decimal.format(n),
    percent: (n: number) => percent.format(n),
    usd: (amount: number) => usdFormat.format(amount),
    /** An amount in the operator's currency. */
    local,
    /** Quota units as USD. */
    quotaUsd: (quota: number) => usdFormat.format(usdOf(quota)),
    /** Quota units in the operator's currency. */
    quotaLocal: (quota: number) => local(usdOf(quota) * money.exchangeRate),
    /** A payment amount in the currency's minor unit (1234 CNY with 2 digits → "¥12.34"; Stars → "100 ⭐"). */
    minor: (amount: number, currency: string, digits: number) => {
      if (currency === STARS) return `${integer.format(amount)} ⭐`;
      const key = `${currency}:${digits}`;
      if (!minorFormats.has(key)) minorFormats.set(key, currencyFormat(locale, currency, digits, digits));
      const format = minorFormats.get(key);
      const value = amount / 10 ** digits;
      return format ? format.format(value) : `${value.toFixed(digits)} ${currency}`;
    },
    dateTime: (iso: string | null | undefined) => (iso ? dateTime.format(new Date(iso)) : '—'),
    /** A UTC day key (YYYY-MM-DD) as a short date. */
    day: (key: string) => dateOnly.format(new Date(`${key}T00:00:00Z`)),
  };
}

export type Format = ReturnType<typeof makeFormat>;

/** A date input's "YYYY-MM-DD" as the instant its local day starts (plusDays later: 1 = the end of that day). */
export function dayStart(text: string, plusDays = 0): string | undefined {
  if (!text) return undefined;
  const d = new Date(`${text}T00:00:00`);
  d.setDate(d.getDate() + plusDays);
  return d.toISOString();
}

export function useFormat(money?: Money): Format {
  const { i18n } = useTranslation();
  return useMemo(() => makeFormat(i18n.language, money), [i18n.language, money]);
}
