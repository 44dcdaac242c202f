// The payment settings forms: secrets are write-only (the mask is shown, a new value is typed only after "Replace" and
// is gone from the page once saved, "Remove" sends null, and a save that does not touch a secret does not send it);
// each form sends only its own part; amounts are typed in the currency and sent in minor units; the API's error shows
// next to the field it names.
import { describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '../src/api';
import { PaymentSettingsForms, type SettingsPatch } from '../src/pages/admin/PaymentSettingsForm';
import type { PaymentSettings } from '../src/payments';
import { renderUi } from './render';

const SETTINGS: PaymentSettings = {
  currency: 'CNY',
  exchangeRate: 7,
  minorDigits: 2,
  general: { presets: [1000, 5000], minAmount: 100, maxAmount: 500_000, bonusTiers: [], orderTtlMinutes: 60, publicUrl: 'https://relay.example.com', returnUrl: '' },
  stripe: { enabled: true, active: true, problem: null, methods: ['card'], secretKey: 'sk_li…abcd', webhookSecret: 'whsec…wxyz' },
  epay: { enabled: false, active: false, problem: 'epay.gatewayUrl is not set', gatewayUrl: '', pid: '', types: ['alipay', 'wxpay'], key: null },
  telegramStars: { enabled: false, active: false, problem: null, quotaPerStar: 6500, presets: [100, 500] },
  webhookUrls: {
    stripe: 'https://relay.example.com/api/payments/stripe/webhook',
    epayNotify: 'https://relay.example.com/api/payments/epay/notify',
    epayReturn: 'https://relay.example.com/api/payments/epay/return',
  },
};

/** The server: applies a patch's secrets the way the API answers (masked, never the value). */
function server(settings = SETTINGS) {
  let current = structuredClone(settings);
  const onSave = vi.fn(async (patch: SettingsPatch): Promise<PaymentSettings> => {
    const stripe = patch.stripe as { secretKey?: string | null; webhookSecret?: string | null } | undefined;
    const mask = (secret: string | null) => (secret === null ? null : `${secret.slice(0, 5)}…${secret.slice(-4)}`);
    current = structuredClone(current);
    if (stripe?.secretKey !== undefined) current.stripe.secretKey = mask(stripe.secretKey);
    if (stripe?.webhookSecret !== undefined) current.stripe.webhookSecret = mask(stripe.webhookSecret);
    return current;
  });
  renderUi(<PaymentSettingsForms settings={settings} onSave={onSave} />);
  return onSave;
}

const stripeForm = () => screen.getByRole('form', { name: 'Stripe' });

describe('payment settings', () => {
  it('shows secrets only masked, and a save that does not touch them sends none', async () => {
    const user = userEvent.setup();
    const onSave = server();
    const form = stripeForm();
    expect(within(form).getAllByTestId('secret-mask').map((m) => m.textContent)).toEqual(['sk_li…abcd', 'whsec…wxyz']);
    // No field holds a secret, masked or not: there is no secret input until "Replace".
    expect(within(form).queryByLabelText(/New Secret key/)).toBeNull();
    for (const input of form.querySelectorAll('input')) expect(input.value).not.toContain('…');
    expect(within(form).getByText('Taking payments')).toBeTruthy();
    await user.click(within(form).getByLabelText('Alipay'));
    await user.click(within(form).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onSave).toHaveBeenCalledTimes(1));
    expect(onSave.mock.calls[0]![0]).toEqual({ stripe: { enabled: true, methods: ['card', 'alipay'] } });
  });

  it('replaces a secret with one typed after “Replace”, then forgets it; “Remove” sends null', async () => {
    const user = userEvent.setup();
    const onSave = server();
    const form = stripeForm();
    await user.click(within(form).getByRole('button', { name: 'Replace Secret key (sk_… or restricted rk_…)' }));
    const secret = 'sk_live_51NewSecretValue0000';
    await user.type(within(form).getByLabelText('New Secret key (sk_… or restricted rk_…)'), secret);
    await user.click(within(form).getByRole('button', { name: 'Remove Webhook signing secret (whsec_…)' }));
    expect(within(form).getByText('Removed when you save.')).toBeTruthy();
    await user.click(within(form).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onSave).toHaveBeenCalledTimes(1));
    expect(onSave.mock.calls[0]![0]).toEqual({ stripe: { enabled: true, methods: ['card'], secretKey: secret, webhookSecret: null } });
    // Saved: the new mask from the server, and the typed secret nowhere in the page.
    await within(form).findByText('sk_li…0000');
    expect(within(form).queryByLabelText(/New Secret key/)).toBeNull();
    expect(document.body.innerHTML).not.toContain(secret);
    expect(within(form).getByText('Not set')).toBeTruthy();
  });

  it('shows the API’s error next to the secret it names', async () => {
    const user = userEvent.setup();
    const onSave = vi.fn(async (_patch: SettingsPatch): Promise<PaymentSettings> => {
      throw new ApiError(400, 'invalid_request', 'stripe.secretKey must be a Stripe secret key (sk_live_… / sk_test_…) or restricted key (rk_…)', 'stripe.secretKey');
    });
    renderUi(<PaymentSettingsForms settings={SETTINGS} onSave={onSave} />);
    const form = stripeForm();
    await user.click(within(form).getByRole('button', { name: 'Replace Secret key (sk_… or restricted rk_…)' }));
    const input = within(form).getByLabelText('New Secret key (sk_… or restricted rk_…)');
    await user.type(input, 'not-a-key');
    await user.click(within(form).getByRole('button', { name: 'Save' }));
    const error = await within(form).findByText(/must be a Stripe secret key/);
    expect(input.getAttribute('aria-describedby')).toContain(error.id);
  });

  it('sends amounts in minor units, checks them first, and says what a provider still needs', async () => {
    const user = userEvent.setup();
    const onSave = server();
    const amounts = screen.getByRole('form', { name: 'Amounts' });
    const min = within(amounts).getByLabelText('Smallest amount (CNY)') as HTMLInputElement;
    expect(min.value).toBe('1.00');
    await user.clear(min);
    await user.type(min, '0.005');
    await user.click(within(amounts).getByRole('button', { name: 'Add a tier' }));
    await user.type(within(amounts).getByLabelText('From (CNY)'), '100');
    await user.type(within(amounts).getByLabelText('Bonus %'), '5');
    await user.click(within(amounts).getByRole('button', { name: 'Save' }));
    expect(await within(amounts).findByText('An amount like 10 or 10.50.')).toBeTruthy();
    expect(onSave).not.toHaveBeenCalled();
    await user.clear(min);
    await user.type(min, '2.5');
    await user.click(within(amounts).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onSave).toHaveBeenCalledTimes(1));
    expect(onSave.mock.calls[0]![0]).toEqual({
      general: { presets: [1000, 5000], minAmount: 250, maxAmount: 500_000, bonusTiers: [{ minAmount: 10_000, percent: 5 }], orderTtlMinutes: 60 },
    });
    const epay = screen.getByRole('form', { name: 'EPay' });
    expect(within(epay).getByTestId('provider-problem').textContent).toBe('Cannot take payments yet: epay.gatewayUrl is not set');
    expect(screen.getByTestId('webhook-stripe').textContent).toBe('https://relay.example.com/api/payments/stripe/webhook');
  });
});
