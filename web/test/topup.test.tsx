// The top-up form: amounts are checked with the currency's decimals and the operator's limits before anything is sent,
// a typed amount is quoted by the server (quota and bonus shown), presets carry their own quote, the way to pay is a
// choice only when there are several, and the API's error lands next to the field it names.
import { describe, expect, it, vi } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '../src/api';
import { DEFAULT_MONEY } from '../src/format';
import { TopUpForm, type OrderInput } from '../src/pages/TopUpForm';
import { checkAmount, minorToText, parseMinor, type Offer, type Quote } from '../src/payments';
import { renderUi } from './render';

// 7 CNY per USD: 10.00 CNY buys 714,285 units; 5% bonus from 100.00 CNY.
const quoteOf = (amount: number): Quote => {
  const base = Math.floor((amount * 500_000) / 700);
  const bonusQuota = amount >= 10_000 ? Math.floor((base * 5) / 100) : 0;
  return { amount, amountText: `${minorToText(amount, 2)} CNY`, currency: 'CNY', quota: base + bonusQuota, bonusQuota };
};

const OFFER: Offer = {
  currency: 'CNY',
  minorDigits: 2,
  exchangeRate: 7,
  minAmount: 100,
  maxAmount: 500_000,
  presets: [1000, 5000].map(quoteOf),
  bonusTiers: [{ minAmount: 10_000, percent: 5 }],
  providers: [
    { id: 'stripe', methods: ['card', 'alipay'] },
    { id: 'epay', methods: ['alipay', 'wxpay'] },
  ],
  stars: null,
};

function form(offer: Offer = OFFER, onOrder = vi.fn(async (_input: OrderInput) => {})) {
  const quote = vi.fn(async (amount: number) => quoteOf(amount));
  renderUi(<TopUpForm offer={offer} money={DEFAULT_MONEY} quote={quote} onOrder={onOrder} />);
  return { quote, onOrder };
}

const amountBox = () => screen.getByLabelText('Another amount (CNY)');

describe('top-up form', () => {
  it('refuses amounts with too many decimals or outside the limits, and orders nothing', async () => {
    const user = userEvent.setup();
    const { onOrder, quote } = form();
    await user.type(amountBox(), '12.345');
    await user.click(screen.getByRole('button', { name: /^Pay/ }));
    expect(await screen.findByText('An amount like 10 or 10.50.')).toBeTruthy();
    await user.clear(amountBox());
    await user.type(amountBox(), '0.50');
    await user.click(screen.getByRole('button', { name: /^Pay/ }));
    expect(await screen.findByText('From CN¥1.00 to CN¥5,000.00.', { selector: '.mantine-TextInput-error, [id$="-error"]' })).toBeTruthy();
    await user.clear(amountBox());
    await user.type(amountBox(), '5000.01');
    await user.click(screen.getByRole('button', { name: /^Pay/ }));
    expect(screen.getByLabelText('Another amount (CNY)').getAttribute('aria-invalid')).toBe('true');
    expect(onOrder).not.toHaveBeenCalled();
    // Nothing invalid was ever sent to be quoted.
    expect(quote).not.toHaveBeenCalled();
  });

  it('shows the server’s quote for a typed amount, bonus included, and a preset’s own quote without asking', async () => {
    const user = userEvent.setup();
    const { quote } = form();
    // The first preset is chosen to begin with; its quote came with the offer.
    expect(screen.getByRole('button', { name: /^CN¥10\.00/ }).getAttribute('aria-pressed')).toBe('true');
    expect(screen.getByTestId('quote').textContent).toBe('CN¥10.00 buys $1.42857 of quota (714,285 units).');
    await user.type(amountBox(), '100');
    await waitFor(() => expect(screen.getByTestId('quote').textContent).toContain('CN¥100.00 buys'));
    expect(quote).toHaveBeenLastCalledWith(10_000, expect.anything());
    expect(screen.getByTestId('quote').textContent).toBe('CN¥100.00 buys $14.999998 of quota (7,499,999 units). A bonus of $0.714284 is included.');
    expect(screen.getByRole('button', { name: 'Pay CN¥100.00' })).toBeTruthy();
    expect(screen.getByRole('button', { name: /^CN¥10\.00/ }).getAttribute('aria-pressed')).toBe('false');
  });

  it('orders a preset with the chosen way to pay', async () => {
    const user = userEvent.setup();
    const { onOrder } = form();
    await user.click(screen.getByRole('button', { name: /^CN¥50\.00/ }));
    // Stripe is one choice (its checkout offers its methods); each EPay type is one.
    const ways = screen.getAllByRole('radio').map((r) => (r as HTMLInputElement).value);
    expect(ways).toEqual(['stripe', 'epay:alipay', 'epay:wxpay']);
    await user.click(screen.getByRole('radio', { name: /WeChat Pay/ }));
    await user.click(screen.getByRole('button', { name: 'Pay CN¥50.00' }));
    await waitFor(() => expect(onOrder).toHaveBeenCalledWith({ amount: 5000, provider: 'epay', method: 'wxpay' }));
  });

  it('offers no choice when there is one way to pay, and shows the API’s error next to the amount', async () => {
    const user = userEvent.setup();
    const onOrder = vi.fn(async (_input: OrderInput) => {}).mockRejectedValueOnce(new ApiError(400, 'invalid_request', 'amount must be 1.00 CNY to 100.00 CNY', 'amount'));
    form({ ...OFFER, providers: [{ id: 'stripe', methods: ['card'] }] }, onOrder);
    expect(screen.queryByRole('radio')).toBeNull();
    expect(screen.getByText('You pay with Stripe (Card).')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Pay CN¥10.00' }));
    const error = await screen.findByText(/amount must be 1\.00 CNY to 100\.00 CNY/);
    expect(amountBox().getAttribute('aria-describedby')).toContain(error.id);
    expect(onOrder).toHaveBeenCalledWith({ amount: 1000, provider: 'stripe' });
  });
});

describe('typed amounts', () => {
  it('become exact minor units', () => {
    expect(parseMinor('12.3', 2)).toBe(1230);
    expect(parseMinor('12.30', 2)).toBe(1230);
    expect(parseMinor('0.07', 2)).toBe(7);
    expect(parseMinor('12,5', 2)).toBe(1250);
    expect(parseMinor('12.345', 2)).toBeNull();
    expect(parseMinor('12.0', 0)).toBe(12);
    expect(parseMinor('12.5', 0)).toBeNull();
    expect(parseMinor('-1', 2)).toBeNull();
    expect(parseMinor('1e3', 2)).toBeNull();
    expect(minorToText(7, 2)).toBe('0.07');
    expect(minorToText(123456, 2)).toBe('1234.56');
    expect(minorToText(500, 0)).toBe('500');
    expect(checkAmount('0', { minorDigits: 2 })).toEqual({ problem: 'amountPositive' });
    expect(checkAmount('', { minorDigits: 2 })).toEqual({ problem: 'amountRequired' });
    expect(checkAmount('3', { minorDigits: 2, minAmount: 100, maxAmount: 200 })).toEqual({ problem: 'amountRange' });
  });
});
