// The price table: one row per model with its ratio (1 = 2 USD per 1M prompt tokens), completion ratio and fixed price
// per request. Saving a row sends only that model to PATCH /api/options (the server merges it into the stored maps, so
// two admins editing different models never overwrite each other); removing a row sends null for it.
import { useMemo, useState } from 'react';
import { Button, Group, Table, Text, TextInput } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../api';
import { useErrorText } from '../../errors';
import * as v from '../../validation';
import type { PriceMap } from '../../types';

export const PRICE_MAPS = ['modelRatios', 'completionRatios', 'modelPrices'] as const;
type MapKey = (typeof PRICE_MAPS)[number];
export type PriceMaps = Record<MapKey, PriceMap>;
/** Values go as the decimal strings typed (exact: the server's one number rule, services/ratios.ts, reads them). */
export type PricePatch = Partial<Record<MapKey, Record<string, string | null>>>;

type Row = Record<MapKey, string>;
const rowOf = (maps: PriceMaps, model: string): Row => ({
  modelRatios: maps.modelRatios[model]?.toString() ?? '',
  completionRatios: maps.completionRatios[model]?.toString() ?? '',
  modelPrices: maps.modelPrices[model]?.toString() ?? '',
});

/** The merge patch that turns `before` into `after` for one model: changed values set, cleared ones null. */
export function rowPatch(model: string, before: Row, after: Row): PricePatch {
  const out: PricePatch = {};
  for (const key of PRICE_MAPS) {
    const value = after[key].trim();
    if (value === before[key]) continue;
    out[key] = { [model]: value === '' ? null : value };
  }
  return out;
}

/** What a model costs when no option overrides it (the built-in catalogue), shown as the empty field's placeholder. */
export type EffectivePrices = Record<string, Partial<Record<MapKey, string>>>;

export function PriceEditor({
  maps,
  effective = {},
  onPatch,
}: {
  maps: PriceMaps;
  /** Models the channels offer, with their current prices: listed too, so an admin can override them. */
  effective?: EffectivePrices;
  onPatch(patch: PricePatch): Promise<void>;
}) {
  const { t } = useTranslation();
  const errorText = useErrorText();
  const models = useMemo(
    () => [...new Set([...PRICE_MAPS.flatMap((k) => Object.keys(maps[k])), ...Object.keys(effective)])].sort(),
    [maps, effective],
  );
  const [edits, setEdits] = useState<Record<string, Row>>({});
  const [rowErrors, setRowErrors] = useState<Record<string, string>>({});
  const [filter, setFilter] = useState('');
  const [newModel, setNewModel] = useState('');
  const [added, setAdded] = useState<string[]>([]);
  const [busy, setBusy] = useState<string>();

  const all = [...added.filter((m) => !models.includes(m)), ...models].filter((m) => m.toLowerCase().includes(filter.trim().toLowerCase()));
  const current = (model: string) => edits[model] ?? rowOf(maps, model);

  async function send(model: string, patch: PricePatch) {
    setBusy(model);
    try {
      await onPatch(patch);
      setEdits(({ [model]: _, ...rest }) => rest);
      setRowErrors(({ [model]: _, ...rest }) => rest);
      setAdded((a) => a.filter((m) => m !== model));
    } catch (err) {
      setRowErrors((e) => ({ ...e, [model]: err instanceof ApiError && err.param ? errorText(err) : errorText(err) }));
    } finally {
      setBusy(undefined);
    }
  }

  function save(model: string) {
    const row = current(model);
    for (const key of PRICE_MAPS) {
      const problem = row[key].trim() === '' ? undefined : v.decimal(row[key]);
      if (problem) return setRowErrors((e) => ({ ...e, [model]: `${t(`prices.${key}`)}: ${t(problem)}` }));
    }
    const patch = rowPatch(model, rowOf(maps, model), row);
    if (Object.keys(patch).length === 0) return;
    void send(model, patch);
  }

  function remove(model: string) {
    const patch: PricePatch = {};
    for (const key of PRICE_MAPS) if (maps[key][model] !== undefined) patch[key] = { [model]: null };
    // A model that only the channels offer has nothing stored to remove.
    if (Object.keys(patch).length === 0) return setAdded((a) => a.filter((m) => m !== model));
    void send(model, patch);
  }

  const cell = (model: string, key: MapKey) => (
    <TextInput
      size="xs"
      inputMode="decimal"
      aria-label={`${model} ${t(`prices.${key}`)}`}
      placeholder={effective[model]?.[key] ?? ''}
      value={current(model)[key]}
      onChange={(e) => {
        const value = e.currentTarget.value;
        setEdits((all) => ({ ...all, [model]: { ...current(model), [key]: value } }));
      }}
    />
  );

  return (
    <>
      <div className="filters">
        <TextInput label={t('prices.filter')} value={filter} onChange={(e) => setFilter(e.currentTarget.value)} />
        <TextInput label={t('prices.newModel')} value={newModel} onChange={(e) => setNewModel(e.currentTarget.value)} />
        <Button
          variant="light"
          disabled={!newModel.trim()}
          onClick={() => {
            const model = newModel.trim();
            setAdded((a) => (a.includes(model) ? a : [model, ...a]));
            setEdits((e) => ({ ...e, [model]: current(model) }));
            setNewModel('');
          }}
        >
          {t('prices.add')}
        </Button>
      </div>
      <Text size="xs" c="dimmed" mt="xs">
        {t('prices.hint')}
      </Text>
      <div className="table-wrap">
        <Table mt="sm" data-testid="price-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('prices.model')}</Table.Th>
              <Table.Th>{t('prices.modelRatios')}</Table.Th>
              <Table.Th>{t('prices.completionRatios')}</Table.Th>
              <Table.Th>{t('prices.modelPrices')}</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {all.map((model) => (
              <Table.Tr key={model}>
                <Table.Td>
                  {model}
                  {rowErrors[model] && (
                    <Text size="xs" c="red" role="alert">
                      {rowErrors[model]}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>{cell(model, 'modelRatios')}</Table.Td>
                <Table.Td>{cell(model, 'completionRatios')}</Table.Td>
                <Table.Td>{cell(model, 'modelPrices')}</Table.Td>
                <Table.Td>
                  <Group gap={4} wrap="nowrap">
                    <Button size="xs" loading={busy === model} onClick={() => save(model)} aria-label={`${t('common.save')} ${model}`}>
                      {t('common.save')}
                    </Button>
                    <Button size="xs" variant="subtle" color="red" onClick={() => remove(model)} aria-label={`${t('common.delete')} ${model}`}>
                      {t('common.delete')}
                    </Button>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </div>
      {all.length === 0 && <Text c="dimmed">{t('prices.none')}</Text>}
    </>
  );
}
