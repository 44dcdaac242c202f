// The top-up form: one of the operator's presets or another amount within the limits (checked here with the currency's
// decimals, then quoted by the server: the quota and bonus it buys), and how to pay when several ways are offered. The
// order itself is made by the caller (onOrder), which sends the browser to the checkout; the server fixes the amount's
// quota again when it creates the order, so nothing here decides what is credited.
import { useState, type FormEvent } from 'react';
import { Button, Group, Radio, Stack, Text, TextInput, UnstyledButton } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { useFormErrors } from '../errors';
import { useFormat, type Money } from '../format';
import { FormError } from '../components/common';
import { usePaidWith } from '../components/PaymentBits';
import { checkAmount, type Offer, type Quote } from '../payments';

const FIELDS = ['amount', 'provider', 'method'] as const;

export interface OrderInput {
  amount: number;
  provider: 'stripe' | 'epay';
  method?: string;
}

/** The ways to pay: Stripe once (its checkout offers its methods), each EPay type on its own. */
type Choice = { value: string; input: Omit<OrderInput, 'amount'> };
function choicesOf(offer: Offer): Choice[] {
  return offer.providers.flatMap<Choice>((p) =>
    p.id === 'stripe'
      ? [{ value: 'stripe', input: { provider: 'stripe' as const } }]
      : p.methods.map((m) => ({ value: `epay:${m}`, input: { provider: 'epay' as const, method: m } })),
  );
}

export function TopUpForm({
  offer,
  money,
  quote,
  onOrder,
}: {
  offer: Offer;
  /** The site's quota units per USD, to show what an amount buys. */
  money: Money;
  /** The server's quote for an amount that is not a preset. */
  quote(amount: number, signal?: AbortSignal): Promise<Quote>;
  /** Creates the order and leaves for its checkout. */
  onOrder(input: OrderInput): Promise<void>;
}) {
  const { t } = useTranslation();
  const f = useFormat(money);
  const { method: methodLabel } = usePaidWith();
  const choices = choicesOf(offer);
  const [preset, setPreset] = useState<number | null>(offer.presets[0]?.amount ?? null);
  const [custom, setCustom] = useState('');
  const [choice, setChoice] = useState<string | null>(choices[0]?.value ?? null);
  const [busy, setBusy] = useState(false);
  const errors = useFormErrors(FIELDS);
  const price = (amount: number) => f.minor(amount, offer.currency, offer.minorDigits);
  const limits = { min: price(offer.minAmount), max: price(offer.maxAmount) };

  const typed = custom.trim() ? checkAmount(custom, offer) : null;
  const typedAmount = typed && 'amount' in typed ? typed.amount : null;
  const [debounced] = useDebouncedValue(typedAmount, 300);
  const presetQuote = offer.presets.find((p) => p.amount === (typed ? typedAmount : preset));
  const quoted = useQuery({
    queryKey: ['payments', 'quote', debounced],
    queryFn: ({ signal }) => quote(debounced!, signal),
    enabled: debounced !== null && debounced === typedAmount && !presetQuote,
    staleTime: 60_000,
  });
  const amount = typed ? typedAmount : preset;
  const shown = presetQuote ?? (quoted.data?.amount === amount ? quoted.data : undefined);

  async function submit(event: FormEvent) {
    event.preventDefault();
    errors.clear();
    if (typed && 'problem' in typed) return errors.setFieldErrors({ amount: t(`payments.validation.${typed.problem}`, limits) });
    if (amount === null) return errors.setFieldErrors({ amount: t('payments.validation.amountRequired') });
    const how = choices.find((c) => c.value === choice);
    if (!how) return errors.setFieldErrors({ provider: t('payments.validation.providerRequired') });
    setBusy(true);
    try {
      await onOrder({ amount, ...how.input });
    } catch (err) {
      errors.fromServer(err);
      setBusy(false);
    }
    // On success the browser is on its way to the checkout: the button stays busy.
  }

  return (
    <form onSubmit={submit} noValidate aria-label={t('payments.topUp.form')}>
      <Stack gap="sm">
        <FormError message={errors.formError} />
        {offer.presets.length > 0 && (
          <div role="group" aria-label={t('payments.topUp.presets')} className="preset-grid">
            {offer.presets.map((p) => {
              const selected = !typed && preset === p.amount;
              return (
                <UnstyledButton
                  key={p.amount}
                  className="preset"
                  data-selected={selected || undefined}
                  aria-pressed={selected}
                  onClick={() => {
                    setPreset(p.amount);
                    setCustom('');
                    errors.clear();
                  }}
                >
                  <Text fw={700}>{price(p.amount)}</Text>
                  <Text size="xs" c="dimmed">
                    {f.quotaUsd(p.quota)}
                    {p.bonusQuota > 0 && ` · ${t('payments.topUp.bonusShort', { bonus: f.quotaUsd(p.bonusQuota) })}`}
                  </Text>
                </UnstyledButton>
              );
            })}
          </div>
        )}
        <TextInput
          label={t('payments.topUp.otherAmount', { currency: offer.currency })}
          description={t('payments.topUp.limits', limits)}
          inputMode="decimal"
          autoComplete="off"
          value={custom}
          onChange={(e) => {
            setCustom(e.currentTarget.value);
            errors.clear();
          }}
          error={errors.fieldErrors.amount}
        />
        <div role="status" aria-live="polite" data-testid="quote">
          {amount !== null && shown ? (
            <Text size="sm">
              {t('payments.topUp.youGet', { amount: price(shown.amount), usd: f.quotaUsd(shown.quota), units: f.integer(shown.quota) })}
              {shown.bonusQuota > 0 && ` ${t('payments.topUp.bonus', { bonus: f.quotaUsd(shown.bonusQuota) })}`}
            </Text>
          ) : (
            amount !== null && quoted.isFetching && <Text size="sm" c="dimmed">{t('common.loading')}</Text>
          )}
        </div>
        {offer.bonusTiers.length > 0 && (
          <Text size="xs" c="dimmed">
            {t('payments.topUp.tiers', {
              tiers: offer.bonusTiers.map((tier) => t('payments.topUp.tier', { amount: price(tier.minAmount), percent: tier.percent })).join(t('payments.topUp.tierSeparator')),
            })}
          </Text>
        )}
        {choices.length > 1 ? (
          <Radio.Group label={t('payments.topUp.payWith')} value={choice} onChange={setChoice} error={errors.fieldErrors.provider ?? errors.fieldErrors.method}>
            <Stack gap={6} mt={4}>
              {choices.map((c) => (
                <Radio
                  key={c.value}
                  value={c.value}
                  label={c.input.provider === 'stripe' ? t('payments.providers.stripe') : methodLabel(c.input.method!)}
                  description={
                    c.input.provider === 'stripe'
                      ? offer.providers.find((p) => p.id === 'stripe')!.methods.map(methodLabel).join(' · ')
                      : t('payments.providers.epayVia')
                  }
                />
              ))}
            </Stack>
          </Radio.Group>
        ) : (
          choices[0] && (
            <Text size="sm" c={errors.fieldErrors.provider ? 'red' : 'dimmed'}>
              {errors.fieldErrors.provider ??
                t('payments.topUp.payingWith', {
                  way:
                    choices[0].input.provider === 'stripe'
                      ? `${t('payments.providers.stripe')} (${offer.providers[0]!.methods.map(methodLabel).join(', ')})`
                      : methodLabel(choices[0].input.method!),
                })}
            </Text>
          )
        )}
        <Group justify="flex-end">
          <Button type="submit" loading={busy}>
            {amount !== null ? t('payments.topUp.pay', { amount: price(amount) }) : t('payments.topUp.payNoAmount')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
