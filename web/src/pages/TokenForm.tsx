// Create or edit a relay token: name, limit (or unlimited), expiry, allowed models, allowed IPs, group, rate limits. Checked here
// first (same rules as the API), then the API's own error appears next to the field it names.
import { useState, type FormEvent } from 'react';
import { Button, Group, Select, Stack, Switch, TagsInput, Text, TextInput } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useFormErrors } from '../errors';
import { FormError } from '../components/common';
import * as v from '../validation';
import type { Token } from '../types';

const FIELDS = ['name', 'quota', 'expiresAt', 'models', 'allowIps', 'group', 'rpm', 'tpm', 'maxConcurrent'] as const;
type Field = (typeof FIELDS)[number];

export interface TokenInput {
  name: string;
  quota: number | null;
  expiresAt: string | null;
  models: string[];
  allowIps: string[];
  group: string | null;
  rpm: number | null;
  tpm: number | null;
  maxConcurrent: number | null;
}

const limitText = (n: number | null | undefined) => (n == null ? '' : String(n));

/** "2026-01-31T12:00" in local time for <input type="datetime-local">. */
const toLocalInput = (iso: string | null) => {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
};

export function TokenForm({
  token,
  groups,
  models,
  quotaPerUsd,
  onSubmit,
  onCancel,
}: {
  token?: Token;
  groups: string[];
  models: string[];
  quotaPerUsd: number;
  onSubmit(input: TokenInput): Promise<void>;
  onCancel(): void;
}) {
  const { t } = useTranslation();
  const [name, setName] = useState(token?.name ?? '');
  const [unlimited, setUnlimited] = useState(token ? token.quota === null : true);
  const [quotaUsd, setQuotaUsd] = useState(token?.quota != null ? String(token.quota / quotaPerUsd) : '');
  const [expiresAt, setExpiresAt] = useState(toLocalInput(token?.expiresAt ?? null));
  const [allowedModels, setAllowedModels] = useState<string[]>(token?.models ?? []);
  const [allowIps, setAllowIps] = useState<string[]>(token?.allowIps ?? []);
  const [group, setGroup] = useState<string | null>(token?.group ?? null);
  const [rpm, setRpm] = useState(limitText(token?.rpm));
  const [tpm, setTpm] = useState(limitText(token?.tpm));
  const [maxConcurrent, setMaxConcurrent] = useState(limitText(token?.maxConcurrent));
  const [busy, setBusy] = useState(false);
  const errors = useFormErrors(FIELDS);

  function check(): Partial<Record<Field, string>> {
    const problems: Partial<Record<Field, v.Problem>> = {
      name: v.required(name) ?? (name.length > 64 ? 'validation.tooLong' : undefined),
      quota: unlimited ? undefined : v.usdAmount(quotaUsd),
      expiresAt: v.futureTime(expiresAt),
      allowIps: v.ipList(allowIps),
      rpm: v.rateLimit(rpm),
      tpm: v.rateLimit(tpm),
      maxConcurrent: v.rateLimit(maxConcurrent),
    };
    const out: Partial<Record<Field, string>> = {};
    for (const [field, problem] of Object.entries(problems)) if (problem) out[field as Field] = t(problem);
    return out;
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    errors.clear();
    const problems = check();
    if (Object.keys(problems).length > 0) {
      errors.setFieldErrors(problems);
      return;
    }
    setBusy(true);
    try {
      await onSubmit({
        name: name.trim(),
        quota: unlimited ? null : v.usdToQuota(quotaUsd, quotaPerUsd),
        expiresAt: expiresAt ? new Date(expiresAt).toISOString() : null,
        models: allowedModels,
        allowIps,
        group,
        rpm: v.rateLimitValue(rpm),
        tpm: v.rateLimitValue(tpm),
        maxConcurrent: v.rateLimitValue(maxConcurrent),
      });
    } catch (err) {
      errors.fromServer(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate aria-label={t('tokens.form')}>
      <Stack>
        <FormError message={errors.formError} />
        <TextInput label={t('tokens.name')} value={name} onChange={(e) => setName(e.currentTarget.value)} error={errors.fieldErrors.name} required />
        <Switch label={t('tokens.unlimited')} checked={unlimited} onChange={(e) => setUnlimited(e.currentTarget.checked)} />
        {!unlimited && (
          <TextInput
            label={t('tokens.limitUsd')}
            description={t('tokens.limitHint')}
            inputMode="decimal"
            value={quotaUsd}
            onChange={(e) => setQuotaUsd(e.currentTarget.value)}
            error={errors.fieldErrors.quota}
          />
        )}
        <TextInput
          type="datetime-local"
          label={t('tokens.expiresAt')}
          description={t('tokens.expiresHint')}
          value={expiresAt}
          onChange={(e) => setExpiresAt(e.currentTarget.value)}
          error={errors.fieldErrors.expiresAt}
        />
        <TagsInput
          label={t('tokens.models')}
          description={t('tokens.modelsHint')}
          data={models}
          value={allowedModels}
          onChange={setAllowedModels}
          error={errors.fieldErrors.models}
          clearable
        />
        <TagsInput
          label={t('tokens.allowIps')}
          description={t('tokens.allowIpsHint')}
          value={allowIps}
          onChange={setAllowIps}
          error={errors.fieldErrors.allowIps}
          clearable
        />
        <Select
          label={t('tokens.group')}
          placeholder={t('tokens.ownGroup')}
          data={groups}
          value={group}
          onChange={setGroup}
          error={errors.fieldErrors.group}
          clearable
        />
        <Group grow align="flex-start">
          <TextInput label={t('tokens.rpm')} inputMode="numeric" placeholder={t('tokens.noLimit')} value={rpm} onChange={(e) => setRpm(e.currentTarget.value)} error={errors.fieldErrors.rpm} />
          <TextInput label={t('tokens.tpm')} inputMode="numeric" placeholder={t('tokens.noLimit')} value={tpm} onChange={(e) => setTpm(e.currentTarget.value)} error={errors.fieldErrors.tpm} />
          <TextInput
            label={t('tokens.maxConcurrent')}
            inputMode="numeric"
            placeholder={t('tokens.noLimit')}
            value={maxConcurrent}
            onChange={(e) => setMaxConcurrent(e.currentTarget.value)}
            error={errors.fieldErrors.maxConcurrent}
          />
        </Group>
        <Text size="xs" c="dimmed">
          {t('tokens.rateLimitsHint')}
        </Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={busy}>
            {token ? t('common.save') : t('common.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
