// Redemption codes: generate a batch (the codes are shown once, with CSV and TXT downloads made in the browser from
// that answer), list by status, disable or re-enable.
import { useState, type FormEvent } from 'react';
import { Button, Card, Group, Select, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { get, patch, post } from '../../api';
import { useFormat } from '../../format';
import { useSession } from '../../session';
import { useErrorText, useFormErrors } from '../../errors';
import { Async, FormError, PageTitle, Pager, StatusBadge } from '../../components/common';
import { SecretOnce } from '../../components/SecretOnce';
import * as v from '../../validation';
import type { Page, Redemption } from '../../types';

const FIELDS = ['name', 'count', 'quota'] as const;
const PAGE_SIZE = 50;

function download(filename: string, text: string, type: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export default function Redemptions() {
  const { t } = useTranslation();
  const { money } = useSession();
  const f = useFormat(money);
  const client = useQueryClient();
  const errorText = useErrorText();
  const [name, setName] = useState('');
  const [count, setCount] = useState('1');
  const [amount, setAmount] = useState('10');
  const [batch, setBatch] = useState<{ name: string; quota: number; codes: string[] } | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [page, setPage] = useState(1);
  const [error, setError] = useState<string>();
  const errors = useFormErrors(FIELDS);
  const list = useQuery({
    queryKey: ['redemptions', status, page],
    queryFn: ({ signal }) => get<Page<Redemption>>('/redemptions', { status, page, pageSize: PAGE_SIZE }, signal),
    placeholderData: keepPreviousData,
  });

  async function generate(event: FormEvent) {
    event.preventDefault();
    errors.clear();
    const problems = { name: v.required(name), count: v.integer(count, { min: 1, max: 1000 }), quota: v.usdAmount(amount, { min: 0.000002 }) };
    const found = Object.entries(problems).filter(([, p]) => p);
    if (found.length) return errors.setFieldErrors(Object.fromEntries(found.map(([k, p]) => [k, t(p!)])));
    const quota = v.usdToQuota(amount, money.quotaPerUsd);
    try {
      const { codes } = await post<{ codes: string[] }>('/redemptions', { name: name.trim(), count: Number(count), quota });
      setBatch({ name: name.trim(), quota, codes });
      await client.invalidateQueries({ queryKey: ['redemptions'] });
    } catch (err) {
      errors.fromServer(err);
    }
  }

  const csv = (b: NonNullable<typeof batch>) =>
    `code,quota,usd,name\r\n${b.codes.map((c) => `${c},${b.quota},${b.quota / money.quotaPerUsd},"${b.name.replace(/"/g, '""')}"`).join('\r\n')}\r\n`;

  return (
    <>
      <PageTitle>{t('adminNav.redemptions')}</PageTitle>
      <Card withBorder radius="md" mb="md">
        <Title order={4} mb="sm">
          {t('redemptions.generate')}
        </Title>
        <form onSubmit={generate} noValidate aria-label={t('redemptions.generate')}>
          <FormError message={errors.formError} />
          <div className="filters">
            <TextInput label={t('redemptions.name')} value={name} onChange={(e) => setName(e.currentTarget.value)} error={errors.fieldErrors.name} />
            <TextInput label={t('redemptions.count')} inputMode="numeric" value={count} onChange={(e) => setCount(e.currentTarget.value)} error={errors.fieldErrors.count} />
            <TextInput label={t('redemptions.valueUsd')} inputMode="decimal" value={amount} onChange={(e) => setAmount(e.currentTarget.value)} error={errors.fieldErrors.quota} />
            <Button type="submit">{t('redemptions.generateButton')}</Button>
          </div>
        </form>
      </Card>
      <FormError message={error} />
      <div className="filters">
        <Select
          label={t('redemptions.status')}
          clearable
          value={status}
          onChange={(s) => {
            setStatus(s);
            setPage(1);
          }}
          data={(['unused', 'redeemed', 'disabled'] as const).map((s) => ({ value: s, label: t(`status.${s}`) }))}
        />
      </div>
      <Async query={list}>
        {(data) => (
          <>
            <div className="table-wrap">
              <Table striped mt="md">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('redemptions.name')}</Table.Th>
                    <Table.Th>{t('redemptions.code')}</Table.Th>
                    <Table.Th>{t('redemptions.value')}</Table.Th>
                    <Table.Th>{t('redemptions.status')}</Table.Th>
                    <Table.Th>{t('redemptions.redeemedBy')}</Table.Th>
                    <Table.Th>{t('redemptions.created')}</Table.Th>
                    <Table.Th>{t('redemptions.usable')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.items.map((r) => (
                    <Table.Tr key={r.id}>
                      <Table.Td>{r.name}</Table.Td>
                      <Table.Td className="mono">{r.codePrefix}</Table.Td>
                      <Table.Td>{f.quotaUsd(r.quota)}</Table.Td>
                      <Table.Td>
                        <StatusBadge status={r.status} />
                      </Table.Td>
                      <Table.Td>{r.redeemedBy ?? ''}</Table.Td>
                      <Table.Td className="nowrap">{f.dateTime(r.createdAt)}</Table.Td>
                      <Table.Td>
                        {r.status !== 'redeemed' && (
                          <Switch
                            aria-label={t('redemptions.usable')}
                            checked={r.status === 'unused'}
                            onChange={(e) => {
                              setError(undefined);
                              void patch(`/redemptions/${r.id}`, { status: e.currentTarget.checked ? 'unused' : 'disabled' }).then(
                                () => client.invalidateQueries({ queryKey: ['redemptions'] }),
                                (err) => setError(errorText(err)),
                              );
                            }}
                          />
                        )}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </div>
            {data.items.length === 0 && <Text c="dimmed">{t('redemptions.none')}</Text>}
            <Pager page={page} pageSize={PAGE_SIZE} total={data.total} onChange={setPage} />
          </>
        )}
      </Async>
      <SecretOnce title={t('redemptions.generated', { count: batch?.codes.length ?? 0 })} secret={batch ? batch.codes.join('\n') : null} onClose={() => setBatch(null)}>
        {batch && (
          <Stack gap="xs">
            <Group>
              <Button variant="light" onClick={() => download(`codes-${batch.name}.csv`, `\ufeff${csv(batch)}`, 'text/csv')}>
                {t('redemptions.downloadCsv')}
              </Button>
              <Button variant="light" onClick={() => download(`codes-${batch.name}.txt`, `${batch.codes.join('\n')}\n`, 'text/plain')}>
                {t('redemptions.downloadTxt')}
              </Button>
            </Group>
          </Stack>
        )}
      </SecretOnce>
    </>
  );
}
