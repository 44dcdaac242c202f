// Payment arithmetic and the EPay signature, without a database.
import { describe, expect, it } from 'vitest';
import { bonusFor, formatAmount, formatMoney, minorDigits, parseAmount, quote, quotaForAmount, reversedQuota } from '../../src/payments/money.js';
import { epayCheckoutUrl, epaySign, epayVerify } from '../../src/payments/epay.js';
import { gatewaySign } from '../fakes/epay-gateway.js';

describe('payment money', () => {
  it('knows the minor unit of each currency as Stripe counts it', () => {
    expect(minorDigits('CNY')).toBe(2);
    expect(minorDigits('usd')).toBe(2);
    expect(minorDigits('JPY')).toBe(0);
    expect(minorDigits('XTR')).toBe(0);
    expect(minorDigits('KWD')).toBe(3);
  });

  it('formats and parses amounts exactly', () => {
    expect(formatAmount(1234, 'CNY')).toBe('12.34');
    expect(formatAmount(5, 'CNY')).toBe('0.05');
    expect(formatAmount(500, 'JPY')).toBe('500');
    expect(formatMoney(100, 'XTR')).toBe('100 ⭐');
    expect(formatMoney(1000, 'CNY')).toBe('10.00 CNY');
    expect(parseAmount('12.3', 'CNY')).toBe(1230);
    expect(parseAmount('12.30', 'CNY')).toBe(1230);
    expect(parseAmount('10', 'CNY')).toBe(1000);
    expect(parseAmount('0.1', 'JPY')).toBeNull();
    expect(parseAmount('12.345', 'CNY')).toBeNull();
    expect(parseAmount('-1', 'CNY')).toBeNull();
    expect(parseAmount('1e3', 'CNY')).toBeNull();
    expect(parseAmount('500', 'JPY')).toBe(500);
  });

  it('converts an amount to quota at the exchange rate, exactly, rounding down once', () => {
    // 10.00 CNY at 7 CNY per USD = 1.428571… USD = 714,285.71… units → 714,285.
    expect(quotaForAmount(1000, 'CNY', 7)).toBe(714_285);
    // 7.00 CNY at 7 = exactly 1 USD.
    expect(quotaForAmount(700, 'CNY', 7)).toBe(500_000);
    // A binary float would make 0.1 × 3 ≠ 0.3; decimals do not: 0.30 USD at 1 → 150,000 units exactly.
    expect(quotaForAmount(30, 'USD', 1)).toBe(150_000);
    expect(quotaForAmount(1, 'USD', 0.1)).toBe(50_000);
    // 1,000 JPY at 150 JPY per USD = 6.666… USD → 3,333,333 units.
    expect(quotaForAmount(1000, 'JPY', 150)).toBe(3_333_333);
    expect(quotaForAmount(100_000_000_000, 'CNY', 7.3)).toBe(Math.floor((1e9 * 500_000) / 7.3));
    expect(() => quotaForAmount(100, 'CNY', 0)).toThrow(/above 0/);
  });

  it('adds the bonus of the highest tier reached', () => {
    const tiers = [
      { minAmount: 10_000, percent: 5 },
      { minAmount: 50_000, percent: 10 },
    ];
    expect(bonusFor(9_999, 1_000_000, tiers)).toBe(0);
    expect(bonusFor(10_000, 1_000_001, tiers)).toBe(50_000);
    expect(bonusFor(60_000, 1_000_000, tiers)).toBe(100_000);
    // 700.00 CNY at 7 = 100 USD = 50,000,000 units, +10%.
    expect(quote(70_000, 'CNY', 7, tiers)).toEqual({ amount: 70_000, currency: 'CNY', quota: 55_000_000, bonusQuota: 5_000_000 });
  });

  it('takes back a proportional share on a refund, everything on a full one', () => {
    expect(reversedQuota(714_285n, 1000n, 1000n)).toBe(714_285n);
    expect(reversedQuota(714_285n, 1000n, 2000n)).toBe(714_285n);
    expect(reversedQuota(714_285n, 1000n, 500n)).toBe(357_143n); // rounded up
    expect(reversedQuota(714_285n, 1000n, 0n)).toBe(0n);
  });
});

describe('EPay signature', () => {
  it('matches the documented example (sorted k=v&…, key appended, MD5)', () => {
    // From a gateway's published signing guide: uid=1000, timestamp=1548047628, key 58b31d465652be856d7ed80977aa4ce4.
    expect(epaySign({ uid: '1000', timestamp: '1548047628' }, '58b31d465652be856d7ed80977aa4ce4')).toBe('15540d3398e5ed2a37533e3fc032e1a0');
  });

  it('leaves out sign, sign_type and empty values, and agrees with an independent implementation', () => {
    const params = { pid: '1001', type: 'alipay', out_trade_no: 'RS1', money: '10.00', name: '充值 top-up', param: '', sign_type: 'MD5' };
    expect(epaySign(params, 'k3y')).toBe(gatewaySign(params, 'k3y'));
    expect(epaySign({ ...params, sign: 'whatever' }, 'k3y')).toBe(epaySign(params, 'k3y'));
    const signed = { ...params, sign: epaySign(params, 'k3y') };
    expect(epayVerify(signed, 'k3y')).toBe(true);
    expect(epayVerify({ ...signed, sign: signed.sign.toUpperCase() }, 'k3y')).toBe(true);
    expect(epayVerify({ ...signed, money: '100.00' }, 'k3y')).toBe(false);
    expect(epayVerify(signed, 'other-key')).toBe(false);
    expect(epayVerify({ ...signed, sign: 'not-hex' }, 'k3y')).toBe(false);
  });

  it('builds a submit.php link whose signature verifies', () => {
    const url = new URL(
      epayCheckoutUrl({
        gatewayUrl: 'https://pay.example/epay',
        pid: '1001',
        key: 'k3y',
        type: 'wxpay',
        tradeNo: 'RS2',
        money: '5.00',
        name: 'Relay top-up 5.00 CNY',
        notifyUrl: 'https://relay.example/api/payments/epay/notify',
        returnUrl: 'https://relay.example/api/payments/epay/return',
      }),
    );
    expect(url.origin + url.pathname).toBe('https://pay.example/epay/submit.php');
    const params = Object.fromEntries(url.searchParams);
    expect(params).toMatchObject({ pid: '1001', type: 'wxpay', out_trade_no: 'RS2', money: '5.00', sign_type: 'MD5' });
    expect(params.sign).toBe(gatewaySign(params, 'k3y'));
  });
});
