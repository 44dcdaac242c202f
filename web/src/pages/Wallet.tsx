import { useState, type FormEvent } from 'react';
import { Anchor, Button, Card, Group, Stack, Text, TextInput, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { post } from '../api';
import { useFormat } from '../format';
import { useAccount, useSession } from '../session';
import { useFormErrors } from '../errors';
import { FormError, PageTitle } from '../components/common';
import * as v from '../validation';

const FIELDS = ['code'] as const;

export function Wallet() {
  const { t } = useTranslation();
  const account = useAccount();
  const { site, money, refresh } = useSession();
  const f = useFormat(money);
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string>();
  const errors = useFormErrors(FIELDS);

  async function redeem(event: FormEvent) {
    event.preventDefault();
    errors.clear();
    setDone(undefined);
    const problem = v.required(code);
    if (problem) return errors.setFieldErrors({ code: t(problem) });
    setBusy(true);
    try {
      const result = await post<{ quota: number; balance: number }>('/redeem', { code: code.trim() });
      setCode('');
      setDone(t('wallet.redeemed', { amount: f.quotaLocal(result.quota), balance: f.quotaLocal(result.balance) }));
      await refresh();
    } catch (err) {
      errors.fromServer(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <PageTitle>{t('nav.wallet')}</PageTitle>
      <div className="grid-2">
        <Card withBorder radius="md">
          <Title order={4}>{t('wallet.balance')}</Title>
          <Text size="xl" fw={700} data-testid="balance">
            {f.quotaLocal(account.quota)}
          </Text>
          <Text size="sm" c="dimmed">
            {f.quotaUsd(account.quota)} · {f.integer(account.quota)} {t('common.units')}
          </Text>
          <form onSubmit={redeem} noValidate>
            <Stack mt="md">
              <FormError message={errors.formError} />
              <TextInput
                label={t('wallet.code')}
                value={code}
                onChange={(e) => setCode(e.currentTarget.value)}
                error={errors.fieldErrors.code}
                autoComplete="off"
                spellCheck={false}
              />
              {done && (
                <Text c="green" role="status">
                  {done}
                </Text>
              )}
              <Group justify="flex-end">
                <Button type="submit" loading={busy}>
                  {t('wallet.redeem')}
                </Button>
              </Group>
            </Stack>
          </form>
        </Card>
        <Card withBorder radius="md">
          <Title order={4}>{t('wallet.topUp')}</Title>
          <Text mt="xs">{t('wallet.price', { usd: f.usd(1), local: f.local(money.exchangeRate) })}</Text>
          <Text size="sm" c="dimmed" mt="xs">
            {t('wallet.units', { units: f.integer(money.quotaPerUsd) })}
          </Text>
          {site?.topUpLink ? (
            <Button component="a" href={site.topUpLink} target="_blank" rel="noopener noreferrer" mt="md">
              {t('wallet.buyCodes')}
            </Button>
          ) : (
            <Text c="dimmed" mt="md">
              {t('wallet.noLink')}
            </Text>
          )}
          <Text size="sm" mt="md">
            <Anchor component={Link} to="/pricing">{t('wallet.seePrices')}</Anchor>
          </Text>
        </Card>
      </div>
    </>
  );
}
