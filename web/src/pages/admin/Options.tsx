// Admin options: the price editor (merging one model at a time), then forms for the prohibited words, money
// (top-up link, currency, exchange rate), sign-up and the bots. Each form sends only its own options (PATCH).
import { useState, type FormEvent, type ReactNode } from 'react';
import { Button, Card, Group, NumberInput, Stack, Switch, Textarea, TextInput, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { get, patch } from '../../api';
import { useFormErrors } from '../../errors';
import { Async, FormError, PageTitle } from '../../components/common';
import { PriceEditor, type EffectivePrices, type PricePatch } from './PriceEditor';
import type { Options as OptionsT, Pricing } from '../../types';

type Key = keyof OptionsT;

function OptionsForm<K extends Key>({ title, options, keys, children }: {
  title: string;
  options: OptionsT;
  keys: readonly K[];
  children(value: Pick<OptionsT, K>, set: <F extends K>(key: F, v: OptionsT[F]) => void, error: (key: K) => string | undefined): ReactNode;
}) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [value, setValue] = useState(() => Object.fromEntries(keys.map((k) => [k, options[k]])) as Pick<OptionsT, K>);
  const [saved, setSaved] = useState(false);
  const errors = useFormErrors(keys);
  async function submit(event: FormEvent) {
    event.preventDefault();
    errors.clear();
    setSaved(false);
    try {
      const next = await patch<OptionsT>('/options', value);
      client.setQueryData(['options'], next);
      void client.invalidateQueries({ queryKey: ['site'] });
      setSaved(true);
    } catch (err) {
      errors.fromServer(err);
    }
  }
  return (
    <Card withBorder radius="md">
      <Title order={4} mb="sm">{title}</Title>
      <form onSubmit={submit} noValidate aria-label={title}>
        <Stack>
          <FormError message={errors.formError} />
          {children(value, (key, v) => setValue((old) => ({ ...old, [key]: v })), (key) => errors.fieldErrors[key])}
          <Group justify="flex-end">
            {saved && <span role="status">{t('common.saved')}</span>}
            <Button type="submit">{t('common.save')}</Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

const num = (v: string | number) => (typeof v === 'number' ? v : Number(v));

export default function Options() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const options = useQuery({ queryKey: ['options'], queryFn: ({ signal }) => get<OptionsT>('/options', {}, signal) });
  // The offered models' current prices (catalogue or options), as placeholders in the editor.
  const pricing = useQuery({ queryKey: ['pricing', 'admin'], queryFn: ({ signal }) => get<Pricing>('/pricing', { group: 'default' }, signal) });
  const effective: EffectivePrices = Object.fromEntries(
    (pricing.data?.models ?? []).map((m) => [
      m.model,
      { modelRatios: m.modelRatio ?? undefined, completionRatios: m.completionRatio ?? undefined, modelPrices: m.perRequestUsd ?? undefined },
    ]),
  );

  async function patchPrices(body: PricePatch) {
    client.setQueryData(['options'], await patch<OptionsT>('/options', body));
    void client.invalidateQueries({ queryKey: ['pricing'] });
  }

  return (
    <>
      <PageTitle>{t('adminNav.options')}</PageTitle>
      <Async query={options}>
        {(o) => (
          <Stack>
            <Card withBorder radius="md">
              <Title order={4} mb="sm">{t('options.prices')}</Title>
              <PriceEditor maps={o} effective={effective} onPatch={patchPrices} />
            </Card>
            <div className="grid-2">
              <OptionsForm title={t('options.money')} options={o} keys={['topUpLink', 'currency', 'exchangeRate'] as const}>
                {(v, set, err) => (
                  <>
                    <TextInput label={t('options.topUpLink')} value={v.topUpLink} onChange={(e) => set('topUpLink', e.currentTarget.value)} error={err('topUpLink')} />
                    <TextInput label={t('options.currency')} value={v.currency} onChange={(e) => set('currency', e.currentTarget.value)} error={err('currency')} />
                    <NumberInput label={t('options.exchangeRate')} value={v.exchangeRate} onChange={(x) => set('exchangeRate', num(x))} error={err('exchangeRate')} min={0} decimalScale={6} />
                  </>
                )}
              </OptionsForm>
              <OptionsForm title={t('options.filter')} options={o} keys={['prohibitedWords', 'checkCompletions'] as const}>
                {(v, set, err) => (
                  <>
                    <Textarea
                      label={t('options.prohibitedWords')}
                      description={t('options.oneper')}
                      autosize
                      minRows={4}
                      value={v.prohibitedWords.join('\n')}
                      onChange={(e) => set('prohibitedWords', e.currentTarget.value.split('\n').map((w) => w.trim()).filter(Boolean))}
                      error={err('prohibitedWords')}
                    />
                    <Switch label={t('options.checkCompletions')} checked={v.checkCompletions} onChange={(e) => set('checkCompletions', e.currentTarget.checked)} />
                  </>
                )}
              </OptionsForm>
              <OptionsForm title={t('options.accounts')} options={o} keys={['allowRegistration', 'defaultModelRatio'] as const}>
                {(v, set, err) => (
                  <>
                    <Switch label={t('options.allowRegistration')} checked={v.allowRegistration} onChange={(e) => set('allowRegistration', e.currentTarget.checked)} />
                    <NumberInput
                      label={t('options.defaultModelRatio')}
                      description={t('options.defaultModelRatioHint')}
                      value={v.defaultModelRatio ?? ''}
                      onChange={(x) => set('defaultModelRatio', x === '' ? null : num(x))}
                      error={err('defaultModelRatio')}
                      min={0}
                      decimalScale={9}
                    />
                  </>
                )}
              </OptionsForm>
              <OptionsForm
                title={t('options.bots')}
                options={o}
                keys={['publicUrl', 'telegramBotUsername', 'botRegistration', 'botNewUserQuota', 'botChatModel', 'botTitleModel', 'botVisionModel', 'botAutoTitle', 'botReceipts', 'botHistoryMessages'] as const}
              >
                {(v, set, err) => (
                  <>
                    <TextInput label={t('options.publicUrl')} value={v.publicUrl} onChange={(e) => set('publicUrl', e.currentTarget.value.trim().replace(/\/+$/, ''))} error={err('publicUrl')} placeholder="https://relay.example.com" />
                    <TextInput label={t('options.telegramBotUsername')} value={v.telegramBotUsername} onChange={(e) => set('telegramBotUsername', e.currentTarget.value.replace(/^@/, ''))} error={err('telegramBotUsername')} />
                    <Switch label={t('options.botRegistration')} checked={v.botRegistration} onChange={(e) => set('botRegistration', e.currentTarget.checked)} />
                    <NumberInput label={t('options.botNewUserQuota')} value={v.botNewUserQuota} onChange={(x) => set('botNewUserQuota', num(x))} error={err('botNewUserQuota')} min={0} allowDecimal={false} />
                    <TextInput label={t('options.botChatModel')} value={v.botChatModel} onChange={(e) => set('botChatModel', e.currentTarget.value)} error={err('botChatModel')} />
                    <TextInput label={t('options.botTitleModel')} value={v.botTitleModel} onChange={(e) => set('botTitleModel', e.currentTarget.value)} error={err('botTitleModel')} />
                    <TextInput label={t('options.botVisionModel')} value={v.botVisionModel} onChange={(e) => set('botVisionModel', e.currentTarget.value)} error={err('botVisionModel')} />
                    <Switch label={t('options.botAutoTitle')} checked={v.botAutoTitle} onChange={(e) => set('botAutoTitle', e.currentTarget.checked)} />
                    <Switch label={t('options.botReceipts')} checked={v.botReceipts} onChange={(e) => set('botReceipts', e.currentTarget.checked)} />
                    <NumberInput label={t('options.botHistoryMessages')} value={v.botHistoryMessages} onChange={(x) => set('botHistoryMessages', num(x))} error={err('botHistoryMessages')} min={1} max={200} allowDecimal={false} />
                  </>
                )}
              </OptionsForm>
              <OptionsForm title={t('options.routing')} options={o} keys={['retryCount', 'autoDisableChannels', 'channelRetestSeconds'] as const}>
                {(v, set, err) => (
                  <>
                    <NumberInput label={t('options.retryCount')} value={v.retryCount} onChange={(x) => set('retryCount', num(x))} error={err('retryCount')} min={0} max={10} allowDecimal={false} />
                    <Switch label={t('options.autoDisable')} checked={v.autoDisableChannels} onChange={(e) => set('autoDisableChannels', e.currentTarget.checked)} />
                    <NumberInput label={t('options.retestSeconds')} value={v.channelRetestSeconds} onChange={(x) => set('channelRetestSeconds', num(x))} error={err('channelRetestSeconds')} min={0} allowDecimal={false} />
                  </>
                )}
              </OptionsForm>
            </div>
          </Stack>
        )}
      </Async>
    </>
  );
}
