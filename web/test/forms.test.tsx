// The console's forms: their own checks (same rules as the API) stop bad input before a round trip, and an API error
// is shown next to the field it names.
import { describe, expect, it, vi } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '../src/api';
import { TokenForm, type TokenInput } from '../src/pages/TokenForm';
import { ChannelForm } from '../src/pages/admin/ChannelForm';
import * as v from '../src/validation';
import { renderUi } from './render';

const QUOTA_PER_USD = 500_000;

function tokenForm(onSubmit = vi.fn(async (_input: TokenInput) => {})) {
  renderUi(<TokenForm groups={['default', 'vip']} models={['gpt-4o-mini']} quotaPerUsd={QUOTA_PER_USD} onSubmit={onSubmit} onCancel={() => {}} />);
  return onSubmit;
}

describe('token form', () => {
  it('refuses an empty name, a limit with too many decimals and an expiry in the past, naming each field', async () => {
    const user = userEvent.setup();
    const onSubmit = tokenForm();
    await user.click(screen.getByLabelText('Unlimited (spends from your balance)'));
    await user.type(screen.getByLabelText('Spending limit (USD)'), '1.2345678');
    await user.type(screen.getByLabelText('Expires'), '2001-01-01T10:00');
    await user.click(screen.getByRole('button', { name: 'Create' }));
    expect(await screen.findByText('Required.')).toBeTruthy();
    expect(screen.getByText('At most 6 decimal places.')).toBeTruthy();
    expect(screen.getByText('Must be in the future.')).toBeTruthy();
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it('sends the limit in quota units (or null for unlimited) and the expiry as an instant', async () => {
    const user = userEvent.setup();
    const onSubmit = tokenForm();
    await user.type(screen.getByLabelText(/^Name/), 'laptop');
    await user.click(screen.getByLabelText('Unlimited (spends from your balance)'));
    await user.type(screen.getByLabelText('Spending limit (USD)'), '2.5');
    await user.type(screen.getByLabelText('Expires'), '2099-06-01T12:30');
    await user.click(screen.getByRole('button', { name: 'Create' }));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    expect(onSubmit.mock.calls[0]![0]).toEqual({
      name: 'laptop',
      quota: 1_250_000,
      expiresAt: new Date('2099-06-01T12:30').toISOString(),
      models: [],
      allowIps: [],
      group: null,
      rpm: null,
      tpm: null,
      maxConcurrent: null,
    });
  });

  it('sends rate limits as whole numbers (empty = null) and refuses 0 or a fraction, naming the field', async () => {
    const user = userEvent.setup();
    const onSubmit = tokenForm();
    await user.type(screen.getByLabelText(/^Name/), 'script');
    await user.type(screen.getByLabelText('Requests per minute'), '0');
    await user.type(screen.getByLabelText('Calls at once'), '1.5');
    await user.click(screen.getByRole('button', { name: 'Create' }));
    expect(await screen.findByText('Out of range.')).toBeTruthy(); // rpm 0
    expect(screen.getByText('A whole number.')).toBeTruthy(); // 1.5 calls
    expect(onSubmit).not.toHaveBeenCalled();
    await user.clear(screen.getByLabelText('Requests per minute'));
    await user.type(screen.getByLabelText('Requests per minute'), '60');
    await user.clear(screen.getByLabelText('Calls at once'));
    await user.type(screen.getByLabelText('Tokens per minute'), '100000');
    await user.click(screen.getByRole('button', { name: 'Create' }));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    expect(onSubmit.mock.calls[0]![0]).toMatchObject({ rpm: 60, tpm: 100_000, maxConcurrent: null });
  });

  it('shows the API’s error next to the field it names, and one that names no field above the form', async () => {
    const user = userEvent.setup();
    const onSubmit = vi
      .fn(async (_input: TokenInput) => {})
      .mockRejectedValueOnce(new ApiError(400, 'invalid_request', 'name must be unique', 'name'))
      .mockRejectedValueOnce(new ApiError(403, 'account_disabled', 'this account is disabled', undefined));
    tokenForm(onSubmit);
    await user.type(screen.getByLabelText(/^Name/), 'laptop');
    await user.click(screen.getByRole('button', { name: 'Create' }));
    const nameError = await screen.findByText(/name must be unique/);
    expect(nameError.id).toBe(screen.getByLabelText(/^Name/).getAttribute('aria-describedby')?.split(' ').find((id) => id.includes('error')));
    await user.click(screen.getByRole('button', { name: 'Create' }));
    expect((await screen.findByRole('alert')).textContent).toContain('This account is disabled. Contact the operator.');
  });
});

describe('channel form', () => {
  const types = [
    { type: 'openai', label: 'OpenAI', defaultBaseUrl: 'https://api.openai.com', needsKey: true },
    { type: 'deepseek', label: 'DeepSeek', defaultBaseUrl: 'https://api.deepseek.com', needsKey: true },
    { type: 'ollama', label: 'Ollama', defaultBaseUrl: 'http://127.0.0.1:11434', needsKey: false },
  ];

  it('needs a key for keyed types and a valid mapping, and follows the type’s default base URL', async () => {
    const user = userEvent.setup();
    const onSubmit = vi.fn(async () => {});
    renderUi(<ChannelForm types={types} groups={['default']} onSubmit={onSubmit} onCancel={() => {}} />);
    const baseUrl = screen.getByLabelText('Base URL') as HTMLInputElement;
    expect(baseUrl.value).toBe('https://api.openai.com');
    await user.type(screen.getByLabelText(/^Name/), 'main');
    await user.type(screen.getByLabelText('Model mapping'), 'no equals sign');
    await user.click(screen.getByRole('button', { name: 'Create' }));
    expect(await screen.findByText('This channel type needs at least one key.')).toBeTruthy();
    expect(screen.getByText('Each line must be client-model=upstream-model.')).toBeTruthy();
    expect(screen.getAllByText('Required.').length).toBeGreaterThan(0); // no models
    expect(onSubmit).not.toHaveBeenCalled();
  });
});

describe('channel keys', () => {
  const channel = {
    id: 7,
    name: 'main',
    type: 'openai',
    baseUrl: 'https://api.openai.com',
    keys: [
      { id: 1, mask: 'sk-ab…wxyz', status: 'enabled' as const, disabledReason: null },
      { id: 2, mask: 'sk-cd…0000', status: 'auto_disabled' as const, disabledReason: 'upstream 401: invalid key' },
    ],
    models: ['gpt-4o-mini'],
    modelMapping: {},
    groups: ['default'],
    priority: 0,
    weight: 1,
    status: 'enabled' as const,
    disabledReason: null,
    testedAt: null,
    responseTimeMs: null,
  };

  it('lists stored keys masked with their state, and saving sends the new keys apart from the channel', async () => {
    const user = userEvent.setup();
    const onSubmit = vi.fn(async (_body: Record<string, unknown>, _added: string[]) => {});
    renderUi(<ChannelForm channel={channel} types={[{ type: 'openai', label: 'OpenAI', defaultBaseUrl: 'https://api.openai.com', needsKey: true }]} groups={['default']} onSubmit={onSubmit} onCancel={() => {}} />);
    expect(screen.getByText('sk-ab…wxyz')).toBeTruthy();
    expect(screen.getByText('Auto-disabled')).toBeTruthy();
    expect((screen.getByLabelText('Key sk-cd…0000 enabled') as HTMLInputElement).checked).toBe(false);
    await user.type(screen.getByLabelText('Add keys'), ' sk-new-1 {Enter}{Enter}sk-new-2');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    const [body, added] = onSubmit.mock.calls[0]!;
    expect(body).not.toHaveProperty('keys'); // a channel PATCH with keys would replace every stored key
    expect(added).toEqual(['sk-new-1', 'sk-new-2']);
  });
});

describe('validation rules', () => {
  it('match the API’s', () => {
    expect(v.decimal('0.123456789')).toBeUndefined();
    expect(v.decimal('0.1234567891')).toBe('validation.decimalPlaces9');
    expect(v.decimal('1.50000000000')).toBeUndefined(); // trailing zeros are not places
    expect(v.decimal('-1')).toBe('validation.decimal');
    expect(v.decimal('1e3')).toBe('validation.decimal');
    expect(v.ipList(['203.0.113.7', '10.0.0.0/8', '2001:db8::/32', '::1'])).toBeUndefined();
    expect(v.ipList(['256.1.1.1'])).toBe('validation.ip');
    expect(v.ipList(['10.0.0.0/33'])).toBe('validation.ip');
    expect(v.username('a')).toBe('validation.username');
    expect(v.username('alice.b@x')).toBeUndefined();
    expect(v.password('short')).toBe('validation.passwordShort');
    expect(v.httpUrl('ftp://x')).toBe('validation.url');
    expect(v.integer('1.5')).toBe('validation.integer');
    expect(v.usdToQuota('0.000002', QUOTA_PER_USD)).toBe(1);
  });
});
