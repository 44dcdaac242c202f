// Create or edit a channel. The type presets come from the relay's own registry (/api/channel-types): choosing a type
// fills its default base URL. Keys are handled by ChannelKeys (stored keys masked and changed one by one; new keys
// typed in full and handed to onSubmit separately, since a channel PATCH with keys would replace all of them).
import { useState, type FormEvent } from 'react';
import { Button, Group, MultiSelect, NumberInput, Select, Stack, TagsInput, Textarea, TextInput } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useFormErrors } from '../../errors';
import { FormError } from '../../components/common';
import { ChannelKeys, newKeys } from '../../components/ChannelKeys';
import * as v from '../../validation';
import type { Channel, ChannelType } from '../../types';

const FIELDS = ['name', 'type', 'baseUrl', 'keys', 'models', 'modelMapping', 'groups', 'priority', 'weight'] as const;
type Field = (typeof FIELDS)[number];

/** "client=upstream" lines ⇄ the modelMapping object. */
export const mappingToText = (m: Record<string, string>) => Object.entries(m).map(([a, b]) => `${a}=${b}`).join('\n');
export function textToMapping(text: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const [from, to, ...rest] = line.split('=').map((p) => p.trim());
    if (!from || !to || rest.length) return undefined;
    out[from] = to;
  }
  return out;
}

export function ChannelForm({
  channel,
  types,
  groups,
  onSubmit,
  onCancel,
}: {
  channel?: Channel;
  types: ChannelType[];
  groups: string[];
  /** `body` never has keys; `addedKeys` are the new ones (the channel's keys on create, added to them on edit). */
  onSubmit(body: Record<string, unknown>, addedKeys: string[]): Promise<void>;
  onCancel(): void;
}) {
  const { t } = useTranslation();
  const [name, setName] = useState(channel?.name ?? '');
  const [type, setType] = useState<string | null>(channel?.type ?? 'openai');
  const [baseUrl, setBaseUrl] = useState(channel?.baseUrl ?? types.find((x) => x.type === 'openai')?.defaultBaseUrl ?? '');
  const [stored, setStored] = useState<Channel | undefined>(channel);
  const [added, setAdded] = useState('');
  const [models, setModels] = useState<string[]>(channel?.models ?? []);
  const [mapping, setMapping] = useState(mappingToText(channel?.modelMapping ?? {}));
  const [channelGroups, setChannelGroups] = useState<string[]>(channel?.groups ?? ['default']);
  const [priority, setPriority] = useState<number | string>(channel?.priority ?? 0);
  const [weight, setWeight] = useState<number | string>(channel?.weight ?? 1);
  const [busy, setBusy] = useState(false);
  const errors = useFormErrors(FIELDS);

  function chooseType(next: string | null) {
    const before = types.find((x) => x.type === type);
    const after = types.find((x) => x.type === next);
    // A base URL that was the old type's default follows the type; one the admin typed stays.
    if (!baseUrl || baseUrl === before?.defaultBaseUrl) setBaseUrl(after?.defaultBaseUrl ?? '');
    setType(next);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    errors.clear();
    const modelMapping = textToMapping(mapping);
    const needsKey = types.find((x) => x.type === type)?.needsKey ?? true;
    const problems: Partial<Record<Field, v.Problem>> = {
      name: v.required(name),
      type: type ? undefined : 'validation.required',
      baseUrl: v.httpUrl(baseUrl, { optional: true }),
      keys: needsKey && newKeys(added).length === 0 && !stored?.keys.length ? 'validation.keyRequired' : undefined,
      models: models.length ? undefined : 'validation.required',
      modelMapping: modelMapping ? undefined : 'validation.mapping',
      groups: channelGroups.length ? undefined : 'validation.required',
      priority: v.integer(priority, { min: -1_000_000, max: 1_000_000 }),
      weight: v.integer(weight, { min: 0, max: 1000 }),
    };
    const found = Object.entries(problems).filter(([, p]) => p);
    if (found.length) {
      errors.setFieldErrors(Object.fromEntries(found.map(([field, p]) => [field, t(p!)])));
      return;
    }
    setBusy(true);
    try {
      const body = {
        name: name.trim(),
        type,
        ...(baseUrl.trim() ? { baseUrl: baseUrl.trim() } : {}),
        models,
        modelMapping,
        groups: channelGroups,
        priority: Number(priority),
        weight: Number(weight),
      };
      await onSubmit(body, newKeys(added));
    } catch (err) {
      errors.fromServer(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate aria-label={t('channels.form')}>
      <Stack>
        <FormError message={errors.formError} />
        <TextInput label={t('channels.name')} value={name} onChange={(e) => setName(e.currentTarget.value)} error={errors.fieldErrors.name} required />
        <Select
          label={t('channels.type')}
          data={types.map((x) => ({ value: x.type, label: x.label }))}
          value={type}
          onChange={chooseType}
          error={errors.fieldErrors.type}
          searchable
          allowDeselect={false}
        />
        <TextInput label={t('channels.baseUrl')} value={baseUrl} onChange={(e) => setBaseUrl(e.currentTarget.value)} error={errors.fieldErrors.baseUrl} />
        <ChannelKeys channel={stored} added={added} onAddedChange={setAdded} onChannel={setStored} error={errors.fieldErrors.keys} />
        <TagsInput label={t('channels.models')} description={t('channels.modelsHint')} value={models} onChange={setModels} error={errors.fieldErrors.models} />
        <Textarea
          label={t('channels.mapping')}
          description={t('channels.mappingHint')}
          autosize
          minRows={2}
          value={mapping}
          onChange={(e) => setMapping(e.currentTarget.value)}
          error={errors.fieldErrors.modelMapping}
        />
        <MultiSelect label={t('channels.groups')} data={groups} value={channelGroups} onChange={setChannelGroups} error={errors.fieldErrors.groups} searchable />
        <Group grow>
          <NumberInput label={t('channels.priority')} value={priority} onChange={setPriority} error={errors.fieldErrors.priority} allowDecimal={false} />
          <NumberInput label={t('channels.weight')} value={weight} onChange={setWeight} error={errors.fieldErrors.weight} allowDecimal={false} min={0} />
        </Group>
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={busy}>
            {channel ? t('common.save') : t('common.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
