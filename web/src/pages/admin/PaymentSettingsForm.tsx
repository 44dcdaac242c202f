// The payment settings as forms, one per part, each saving only its own fields (PUT /api/payments/settings is partial):
// amounts (presets, limits, bonus tiers, order lifetime), addresses, and each provider with its switch, its state from
// the server (active, or what is missing) and its secrets. Secrets are write-only: the form shows the server's mask and
// offers "replace" (a new value, typed here and sent once) or "remove" (null); a stored secret is never in the form,
// and a typed one is dropped as soon as it is saved.
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import {
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Checkbox,
  CopyButton,
  Group,
  NumberInput,
  PasswordInput,
  Stack,
  Switch,
  TagsInput,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useFormErrors } from '../../errors';
import { useFormat } from '../../format';
import { FormError } from '../../components/common';
import * as v from '../../validation';
import { checkAmount, minorToText, STRIPE_METHODS, type PaymentSettings, type SecretChange } from '../../payments';
import { usePaidWith } from '../../components/PaymentBits';

/** What a form sends: one part of the settings, partially. */
export type SettingsPatch = Record<string, Record<string, unknown>>;
type Save = (patch: SettingsPatch) => Promise<PaymentSettings>;
type Problems<F extends string> = Partial<Record<F, string>>;

/**
 * One part's form: its own copy of the values (`from` the server's view), checked and turned into a patch on save, and
 * read again from the server's answer afterwards (so a secret typed in is gone once it is stored).
 */
function Section<S, F extends string>({
  title,
  settings,
  fields,
  from,
  toPatch,
  onSave,
  badge,
  children,
}: {
  title: string;
  settings: PaymentSettings;
  /** The API's names of this form's fields (errors naming them show next to them). */
  fields: readonly F[];
  from(settings: PaymentSettings): S;
  /** The patch, or the problems found before sending anything. */
  toPatch(value: S): { patch: SettingsPatch } | { problems: Problems<F> };
  onSave: Save;
  badge?: ReactNode;
  children(value: S, set: (change: Partial<S>) => void, error: (field: F) => string | undefined): ReactNode;
}) {
  const { t } = useTranslation();
  const [value, setValue] = useState(() => from(settings));
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const errors = useFormErrors(fields);
  async function submit(event: FormEvent) {
    event.preventDefault();
    errors.clear();
    setSaved(false);
    const patch = toPatch(value);
    if ('problems' in patch) return errors.setFieldErrors(patch.problems as Problems<F>);
    setBusy(true);
    try {
      setValue(from(await onSave(patch.patch)));
      setSaved(true);
    } catch (err) {
      errors.fromServer(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Card withBorder radius="md">
      <form onSubmit={submit} noValidate aria-label={title}>
        <Group justify="space-between" mb="sm" wrap="wrap">
          <Title order={4}>{title}</Title>
          {badge}
        </Group>
        <Stack>
          <FormError message={errors.formError} />
          {children(value, (change) => setValue((old) => ({ ...old, ...change })), (field) => errors.fieldErrors[field])}
          <Group justify="flex-end">
            {saved && <span role="status">{t('common.saved')}</span>}
            <Button type="submit" loading={busy}>
              {t('common.save')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

/** A write-only secret: the mask (or "not set"), then Replace / Remove; a new value is typed only after Replace. */
export function SecretField({
  label,
  mask,
  value,
  onChange,
  error,
}: {
  label: string;
  mask: string | null;
  value: SecretChange;
  onChange(change: SecretChange): void;
  error?: string;
}) {
  const { t } = useTranslation();
  const errorLine = error && (
    <Text size="sm" c="red" role="alert">
      {error}
    </Text>
  );
  if (typeof value === 'string') {
    return (
      <Group align="flex-end" gap="xs" wrap="nowrap">
        <PasswordInput
          className="grow"
          label={t('payments.settings.newSecret', { name: label })}
          autoComplete="new-password"
          spellCheck={false}
          value={value}
          onChange={(e) => onChange(e.currentTarget.value)}
          error={error}
          autoFocus
        />
        <Button variant="default" onClick={() => onChange(undefined)}>
          {t('common.cancel')}
        </Button>
      </Group>
    );
  }
  return (
    <Stack gap={4}>
      <Text size="sm" fw={500}>
        {label}
      </Text>
      <Group gap="xs" wrap="wrap">
        {value === null ? (
          <Text size="sm" c="red">
            {t('payments.settings.willRemove')}
          </Text>
        ) : mask ? (
          <Text size="sm" className="mono" data-testid="secret-mask">
            {mask}
          </Text>
        ) : (
          <Text size="sm" c="dimmed">
            {t('payments.settings.notSet')}
          </Text>
        )}
        {value === null ? (
          <Button size="xs" variant="default" onClick={() => onChange(undefined)}>
            {t('payments.settings.undo')}
          </Button>
        ) : (
          <>
            <Button size="xs" variant="light" onClick={() => onChange('')} aria-label={t(mask ? 'payments.settings.replaceNamed' : 'payments.settings.setNamed', { name: label })}>
              {mask ? t('payments.settings.replace') : t('payments.settings.set')}
            </Button>
            {mask && (
              <Button size="xs" variant="subtle" color="red" onClick={() => onChange(null)} aria-label={t('payments.settings.removeNamed', { name: label })}>
                {t('payments.settings.remove')}
              </Button>
            )}
          </>
        )}
      </Group>
      {errorLine}
    </Stack>
  );
}

/** A provider's state as the server sees it: taking payments, switched on but missing something, or off. */
function ProviderState({ state }: { state: { enabled: boolean; active: boolean; problem: string | null } }) {
  const { t } = useTranslation();
  if (state.active) return <Badge color="green" variant="light">{t('payments.settings.active')}</Badge>;
  return (
    <Badge color={state.enabled ? 'red' : 'gray'} variant="light">
      {state.enabled ? t('payments.settings.problem') : t('payments.settings.off')}
    </Badge>
  );
}

function ProblemNote({ problem }: { problem: string | null }) {
  const { t } = useTranslation();
  if (!problem) return null;
  return (
    <Alert color="yellow" data-testid="provider-problem">
      {t('payments.settings.cannotYet', { problem })}
    </Alert>
  );
}

/** Secrets in a patch: only those replaced (a non-empty new value) or removed (null). */
function secretPatch(secrets: Record<string, SecretChange>): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [name, change] of Object.entries(secrets)) {
    if (change === null) out[name] = null;
    else if (change?.trim()) out[name] = change.trim();
  }
  return out;
}

const only = <F extends string>(problems: Partial<Record<F, v.Problem | string>>) =>
  Object.fromEntries(Object.entries(problems).filter(([, p]) => p)) as Problems<F>;

const GENERAL_FIELDS = ['general.presets', 'general.minAmount', 'general.maxAmount', 'general.bonusTiers', 'general.orderTtlMinutes'] as const;
const ADDRESS_FIELDS = ['general.publicUrl', 'general.returnUrl'] as const;
const STRIPE_FIELDS = ['stripe.enabled', 'stripe.methods', 'stripe.secretKey', 'stripe.webhookSecret'] as const;
const EPAY_FIELDS = ['epay.enabled', 'epay.gatewayUrl', 'epay.pid', 'epay.types', 'epay.key'] as const;
const STARS_FIELDS = ['telegramStars.enabled', 'telegramStars.quotaPerStar', 'telegramStars.presets'] as const;
const EPAY_TYPE = /^[a-z0-9_]{1,20}$/;

export function PaymentSettingsForms({ settings: given, onSave: save }: { settings: PaymentSettings; onSave: Save }) {
  const { t } = useTranslation();
  // The server's latest answer: one form's save can change what another shows (a public URL makes Stripe active).
  const [settings, setSettings] = useState(given);
  useEffect(() => setSettings(given), [given]);
  const onSave: Save = async (patch) => {
    const next = await save(patch);
    setSettings(next);
    return next;
  };
  const f = useFormat();
  const paidWith = usePaidWith();
  const digits = settings.minorDigits;
  const text = (minor: number) => minorToText(minor, digits);
  const amountProblem = (value: string) => {
    const checked = checkAmount(value, { minorDigits: digits });
    return 'problem' in checked ? t(`payments.validation.${checked.problem}`) : undefined;
  };
  const amountOf = (value: string) => checkAmount(value, { minorDigits: digits }) as { amount: number };
  const w = settings.webhookUrls;

  return (
    <Stack>
      <Text size="sm" c="dimmed">
        {t('payments.settings.currency', { currency: settings.currency, rate: f.decimal(settings.exchangeRate) })}{' '}
        <Anchor component={Link} to="/admin/options" size="sm">
          {t('adminNav.options')}
        </Anchor>
      </Text>
      <div className="grid-2">
        <Section
          title={t('payments.settings.amounts')}
          settings={settings}
          fields={GENERAL_FIELDS}
          onSave={onSave}
          from={(s) => ({
            presets: s.general.presets.map(text),
            minAmount: text(s.general.minAmount),
            maxAmount: text(s.general.maxAmount),
            tiers: s.general.bonusTiers.map((tier) => ({ minAmount: text(tier.minAmount), percent: String(tier.percent) })),
            ttl: s.general.orderTtlMinutes as number | string,
          })}
          toPatch={(s) => {
            const tierProblem = s.tiers.find((tier) => amountProblem(tier.minAmount) || v.integer(tier.percent, { min: 1, max: 1000 }));
            const problems = only<(typeof GENERAL_FIELDS)[number]>({
              'general.presets': s.presets.map(amountProblem).find(Boolean) ?? (s.presets.length > 8 ? t('payments.validation.tooMany', { max: 8 }) : undefined),
              'general.minAmount': amountProblem(s.minAmount),
              'general.maxAmount': amountProblem(s.maxAmount),
              'general.bonusTiers': tierProblem ? t('payments.validation.tier') : undefined,
              'general.orderTtlMinutes': v.integer(s.ttl, { min: 30, max: 1440 }) && t('payments.validation.ttl'),
            });
            if (!problems['general.minAmount'] && !problems['general.maxAmount'] && amountOf(s.minAmount).amount > amountOf(s.maxAmount).amount) {
              problems['general.maxAmount'] = t('payments.validation.maxBelowMin');
            }
            if (Object.keys(problems).length) return { problems };
            return {
              patch: {
                general: {
                  presets: s.presets.map((p) => amountOf(p).amount),
                  minAmount: amountOf(s.minAmount).amount,
                  maxAmount: amountOf(s.maxAmount).amount,
                  bonusTiers: s.tiers.map((tier) => ({ minAmount: amountOf(tier.minAmount).amount, percent: Number(tier.percent) })),
                  orderTtlMinutes: Number(s.ttl),
                },
              },
            };
          }}
        >
          {(s, set, err) => (
            <>
              <TagsInput
                label={t('payments.settings.presets', { currency: settings.currency })}
                description={t('payments.settings.presetsHint')}
                value={s.presets}
                onChange={(presets) => set({ presets })}
                error={err('general.presets')}
                clearable
              />
              <Group grow align="flex-start">
                <TextInput label={t('payments.settings.minAmount', { currency: settings.currency })} inputMode="decimal" value={s.minAmount} onChange={(e) => set({ minAmount: e.currentTarget.value })} error={err('general.minAmount')} />
                <TextInput label={t('payments.settings.maxAmount', { currency: settings.currency })} inputMode="decimal" value={s.maxAmount} onChange={(e) => set({ maxAmount: e.currentTarget.value })} error={err('general.maxAmount')} />
              </Group>
              <Stack gap={4}>
                <Text size="sm" fw={500}>
                  {t('payments.settings.bonusTiers')}
                </Text>
                <Text size="xs" c="dimmed">
                  {t('payments.settings.bonusHint')}
                </Text>
                {s.tiers.map((tier, i) => (
                  <Group key={i} gap="xs" wrap="nowrap" align="flex-end">
                    <TextInput
                      className="grow"
                      label={t('payments.settings.tierFrom', { currency: settings.currency })}
                      inputMode="decimal"
                      value={tier.minAmount}
                      onChange={(e) => set({ tiers: s.tiers.map((x, j) => (j === i ? { ...x, minAmount: e.currentTarget.value } : x)) })}
                    />
                    <TextInput
                      className="grow"
                      label={t('payments.settings.tierPercent')}
                      inputMode="numeric"
                      value={tier.percent}
                      onChange={(e) => set({ tiers: s.tiers.map((x, j) => (j === i ? { ...x, percent: e.currentTarget.value } : x)) })}
                    />
                    <Button variant="subtle" color="red" onClick={() => set({ tiers: s.tiers.filter((_, j) => j !== i) })} aria-label={t('payments.settings.removeTier', { n: i + 1 })}>
                      ×
                    </Button>
                  </Group>
                ))}
                {err('general.bonusTiers') && (
                  <Text size="sm" c="red" role="alert">
                    {err('general.bonusTiers')}
                  </Text>
                )}
                <Group>
                  <Button size="xs" variant="light" disabled={s.tiers.length >= 20} onClick={() => set({ tiers: [...s.tiers, { minAmount: '', percent: '' }] })}>
                    {t('payments.settings.addTier')}
                  </Button>
                </Group>
              </Stack>
              <NumberInput
                label={t('payments.settings.ttl')}
                description={t('payments.settings.ttlHint')}
                value={s.ttl}
                onChange={(ttl) => set({ ttl })}
                error={err('general.orderTtlMinutes')}
                min={30}
                max={1440}
                allowDecimal={false}
              />
            </>
          )}
        </Section>

        <Stack>
          <Section
            title={t('payments.settings.addresses')}
            settings={settings}
            fields={ADDRESS_FIELDS}
            onSave={onSave}
            from={(s) => ({ publicUrl: s.general.publicUrl, returnUrl: s.general.returnUrl })}
            toPatch={(s) => {
              const problems = only<(typeof ADDRESS_FIELDS)[number]>({
                'general.publicUrl': v.httpUrl(s.publicUrl, { optional: true }) && t('validation.url'),
                'general.returnUrl': v.httpUrl(s.returnUrl, { optional: true }) && t('validation.url'),
              });
              return Object.keys(problems).length ? { problems } : { patch: { general: { publicUrl: s.publicUrl.trim(), returnUrl: s.returnUrl.trim() } } };
            }}
          >
            {(s, set, err) => (
              <>
                <TextInput label={t('payments.settings.publicUrl')} description={t('payments.settings.publicUrlHint')} placeholder="https://relay.example.com" value={s.publicUrl} onChange={(e) => set({ publicUrl: e.currentTarget.value })} error={err('general.publicUrl')} />
                <TextInput label={t('payments.settings.returnUrl')} description={t('payments.settings.returnUrlHint')} value={s.returnUrl} onChange={(e) => set({ returnUrl: e.currentTarget.value })} error={err('general.returnUrl')} />
              </>
            )}
          </Section>

          <Card withBorder radius="md">
            <Title order={4} mb="xs">
              {t('payments.settings.webhooks')}
            </Title>
            {w.stripe ? (
              <Stack gap="xs">
                {(
                  [
                    ['stripe', t('payments.settings.webhookStripe')],
                    ['epayNotify', t('payments.settings.webhookEpayNotify')],
                    ['epayReturn', t('payments.settings.webhookEpayReturn')],
                  ] as const
                ).map(([key, label]) => (
                  <div key={key}>
                    <Text size="sm" fw={500}>
                      {label}
                    </Text>
                    <Group gap="xs" wrap="nowrap">
                      <Text size="sm" className="mono" data-testid={`webhook-${key}`}>
                        {w[key]}
                      </Text>
                      <CopyButton value={w[key]}>
                        {({ copied, copy }) => (
                          <Button size="xs" variant="light" onClick={copy} aria-label={t('payments.settings.copyNamed', { name: label })}>
                            {copied ? t('common.copied') : t('common.copy')}
                          </Button>
                        )}
                      </CopyButton>
                    </Group>
                  </div>
                ))}
                <Text size="xs" c="dimmed">
                  {t('payments.settings.webhookStripeEvents')}
                </Text>
              </Stack>
            ) : (
              <Text size="sm" c="dimmed">
                {t('payments.settings.webhooksNeedUrl')}
              </Text>
            )}
          </Card>
        </Stack>

        <Section
          title={t('payments.providers.stripe')}
          settings={settings}
          fields={STRIPE_FIELDS}
          onSave={onSave}
          badge={<ProviderState state={settings.stripe} />}
          from={(s) => ({ enabled: s.stripe.enabled, methods: s.stripe.methods as string[], secretKey: undefined as SecretChange, webhookSecret: undefined as SecretChange })}
          toPatch={(s) =>
            s.methods.length === 0
              ? { problems: { 'stripe.methods': t('validation.required') } }
              : { patch: { stripe: { enabled: s.enabled, methods: s.methods, ...secretPatch({ secretKey: s.secretKey, webhookSecret: s.webhookSecret }) } } }
          }
        >
          {(s, set, err) => (
            <>
              <ProblemNote problem={settings.stripe.problem} />
              <Switch label={t('payments.settings.enabled')} checked={s.enabled} onChange={(e) => set({ enabled: e.currentTarget.checked })} error={err('stripe.enabled')} />
              <Checkbox.Group label={t('payments.settings.stripeMethods')} description={t('payments.settings.stripeMethodsHint')} value={s.methods} onChange={(methods) => set({ methods })} error={err('stripe.methods')}>
                <Group mt={4}>
                  {STRIPE_METHODS.map((m) => (
                    <Checkbox key={m} value={m} label={paidWith.method(m)} />
                  ))}
                </Group>
              </Checkbox.Group>
              <SecretField label={t('payments.settings.stripeSecretKey')} mask={settings.stripe.secretKey} value={s.secretKey} onChange={(secretKey) => set({ secretKey })} error={err('stripe.secretKey')} />
              <SecretField label={t('payments.settings.stripeWebhookSecret')} mask={settings.stripe.webhookSecret} value={s.webhookSecret} onChange={(webhookSecret) => set({ webhookSecret })} error={err('stripe.webhookSecret')} />
            </>
          )}
        </Section>

        <Section
          title={t('payments.providers.epay')}
          settings={settings}
          fields={EPAY_FIELDS}
          onSave={onSave}
          badge={<ProviderState state={settings.epay} />}
          from={(s) => ({ enabled: s.epay.enabled, gatewayUrl: s.epay.gatewayUrl, pid: s.epay.pid, types: s.epay.types, key: undefined as SecretChange })}
          toPatch={(s) => {
            const problems = only<(typeof EPAY_FIELDS)[number]>({
              'epay.gatewayUrl': v.httpUrl(s.gatewayUrl, { optional: true }) && t('validation.url'),
              'epay.types': s.types.every((type) => EPAY_TYPE.test(type)) ? (s.types.length > 8 ? t('payments.validation.tooMany', { max: 8 }) : undefined) : t('payments.validation.epayType'),
            });
            if (Object.keys(problems).length) return { problems };
            return { patch: { epay: { enabled: s.enabled, gatewayUrl: s.gatewayUrl.trim(), pid: s.pid.trim(), types: s.types, ...secretPatch({ key: s.key }) } } };
          }}
        >
          {(s, set, err) => (
            <>
              <ProblemNote problem={settings.epay.problem} />
              <Switch label={t('payments.settings.enabled')} checked={s.enabled} onChange={(e) => set({ enabled: e.currentTarget.checked })} error={err('epay.enabled')} />
              <TextInput label={t('payments.settings.epayGateway')} placeholder="https://pay.example.net" value={s.gatewayUrl} onChange={(e) => set({ gatewayUrl: e.currentTarget.value })} error={err('epay.gatewayUrl')} />
              <TextInput label={t('payments.settings.epayPid')} value={s.pid} onChange={(e) => set({ pid: e.currentTarget.value })} error={err('epay.pid')} autoComplete="off" />
              <TagsInput label={t('payments.settings.epayTypes')} description={t('payments.settings.epayTypesHint')} value={s.types} onChange={(types) => set({ types })} error={err('epay.types')} />
              <SecretField label={t('payments.settings.epayKey')} mask={settings.epay.key} value={s.key} onChange={(key) => set({ key })} error={err('epay.key')} />
              <Text size="xs" c="dimmed">
                {t('payments.settings.epayHint')}
              </Text>
            </>
          )}
        </Section>

        <Section
          title={t('payments.providers.telegram_stars')}
          settings={settings}
          fields={STARS_FIELDS}
          onSave={onSave}
          badge={<ProviderState state={settings.telegramStars} />}
          from={(s) => ({ enabled: s.telegramStars.enabled, quotaPerStar: s.telegramStars.quotaPerStar as number | string, presets: s.telegramStars.presets.map(String) })}
          toPatch={(s) => {
            const problems = only<(typeof STARS_FIELDS)[number]>({
              'telegramStars.quotaPerStar': v.integer(s.quotaPerStar, { min: 1, max: 100_000_000 }) && t('payments.validation.quotaPerStar'),
              'telegramStars.presets': s.presets.every((p) => !v.integer(p, { min: 1, max: 10_000 }))
                ? s.presets.length > 8
                  ? t('payments.validation.tooMany', { max: 8 })
                  : undefined
                : t('payments.validation.stars'),
            });
            if (Object.keys(problems).length) return { problems };
            return { patch: { telegramStars: { enabled: s.enabled, quotaPerStar: Number(s.quotaPerStar), presets: s.presets.map(Number) } } };
          }}
        >
          {(s, set, err) => (
            <>
              <ProblemNote problem={settings.telegramStars.problem} />
              <Text size="sm" c="dimmed">
                {t('payments.settings.starsHint')}
              </Text>
              <Switch label={t('payments.settings.enabled')} checked={s.enabled} onChange={(e) => set({ enabled: e.currentTarget.checked })} error={err('telegramStars.enabled')} />
              <NumberInput
                label={t('payments.settings.quotaPerStar')}
                description={t('payments.settings.quotaPerStarHint', { usd: f.quotaUsd(Number(s.quotaPerStar) || 0) })}
                value={s.quotaPerStar}
                onChange={(quotaPerStar) => set({ quotaPerStar })}
                error={err('telegramStars.quotaPerStar')}
                min={1}
                allowDecimal={false}
              />
              <TagsInput label={t('payments.settings.starPresets')} value={s.presets} onChange={(presets) => set({ presets })} error={err('telegramStars.presets')} />
            </>
          )}
        </Section>
      </div>
    </Stack>
  );
}
