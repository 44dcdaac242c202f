// Payment settings (GET/PUT /api/payments/settings): the forms are PaymentSettingsForms; this page loads and saves.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { get, put } from '../../api';
import { Async, PageTitle } from '../../components/common';
import type { PaymentSettings } from '../../payments';
import { PaymentSettingsForms, type SettingsPatch } from './PaymentSettingsForm';

export default function Payments() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const settings = useQuery({ queryKey: ['payments', 'settings'], queryFn: ({ signal }) => get<PaymentSettings>('/payments/settings', {}, signal) });

  async function save(patch: SettingsPatch): Promise<PaymentSettings> {
    const next = await put<PaymentSettings>('/payments/settings', patch);
    client.setQueryData(['payments', 'settings'], next);
    void client.invalidateQueries({ queryKey: ['payments', 'offer'] });
    return next;
  }

  return (
    <>
      <PageTitle>{t('adminNav.payments')}</PageTitle>
      <Async query={settings}>{(s) => <PaymentSettingsForms settings={s} onSave={save} />}</Async>
    </>
  );
}
