import { useEffect, useMemo } from 'react';
import { Card, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { get } from '../api';
import { useFormat } from '../format';
import { useAccount, useSession } from '../session';
import { Async, PageTitle, StatusBadge } from '../components/common';
import { Chart } from '../components/Chart';
import type { Page, UsageLog, UsageSeries } from '../types';

export function StatCard({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <Card withBorder padding="md" radius="md">
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text size="xl" fw={700} data-testid={`stat-${label}`}>
        {value}
      </Text>
      {hint && (
        <Text size="xs" c="dimmed">
          {hint}
        </Text>
      )}
    </Card>
  );
}

export function Dashboard() {
  const { t } = useTranslation();
  const account = useAccount();
  const { money, refresh } = useSession();
  const f = useFormat(money);
  // The balance and counters move with every call: read them afresh whenever the dashboard opens.
  useEffect(() => void refresh(), [refresh]);
  const series = useQuery({ queryKey: ['usage-series'], queryFn: ({ signal }) => get<UsageSeries>('/usage/series', {}, signal) });
  const recent = useQuery({ queryKey: ['logs', 'recent'], queryFn: ({ signal }) => get<Page<UsageLog>>('/logs', { pageSize: 8, type: 'consume' }, signal) });

  const labels = useMemo(() => series.data?.days.map(f.day) ?? [], [series.data, f]);
  const byModel = useMemo(
    () => series.data?.models.map((m) => ({ label: m.model === 'other' ? t('dashboard.otherModels') : m.model, data: m.quota.map((q) => q / money.quotaPerUsd) })) ?? [],
    [series.data, money.quotaPerUsd, t],
  );
  const requests = useMemo(
    () => series.data ? [{ label: t('dashboard.requests'), data: series.data.days.map((_, i) => series.data!.models.reduce((s, m) => s + m.requests[i]!, 0)) }] : [],
    [series.data, t],
  );

  return (
    <>
      <PageTitle>{t('nav.dashboard')}</PageTitle>
      <div className="grid-cards">
        <StatCard label={t('dashboard.balance')} value={f.quotaLocal(account.quota)} hint={`${f.quotaUsd(account.quota)} · ${f.integer(account.quota)} ${t('common.units')}`} />
        <StatCard label={t('dashboard.used')} value={f.quotaLocal(account.usedQuota)} hint={f.quotaUsd(account.usedQuota)} />
        <StatCard label={t('dashboard.requests')} value={f.integer(account.requestCount)} />
        <StatCard label={t('dashboard.group')} value={account.group} />
      </div>
      <div className="grid-2" style={{ marginTop: 16 }}>
        <Card withBorder radius="md">
          <Title order={4} mb="sm">
            {t('dashboard.spendByModel')}
          </Title>
          <Async query={series}>
            {() => <Chart type="bar" stacked labels={labels} series={byModel} label={t('dashboard.spendByModel')} formatValue={f.usd} />}
          </Async>
        </Card>
        <Card withBorder radius="md">
          <Title order={4} mb="sm">
            {t('dashboard.requestsByDay')}
          </Title>
          <Async query={series}>
            {(data) => (
              <>
                <Chart type="line" labels={labels} series={requests} label={t('dashboard.requestsByDay')} />
                <Text size="sm" c="dimmed" mt="xs">
                  {t('dashboard.last30', { requests: f.integer(data.total.requests), cost: f.quotaUsd(data.total.quota) })}
                </Text>
              </>
            )}
          </Async>
        </Card>
      </div>
      <Card withBorder radius="md" mt="md">
        <Title order={4} mb="sm">
          {t('dashboard.recent')}
        </Title>
        <Async query={recent}>
          {(page) =>
            page.items.length === 0 ? (
              <Text c="dimmed">{t('dashboard.noCalls')}</Text>
            ) : (
              <div className="table-wrap">
                <Table striped>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>{t('logs.time')}</Table.Th>
                      <Table.Th>{t('logs.model')}</Table.Th>
                      <Table.Th>{t('logs.tokens')}</Table.Th>
                      <Table.Th>{t('logs.cost')}</Table.Th>
                      <Table.Th>{t('logs.status')}</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {page.items.map((log) => (
                      <Table.Tr key={log.id}>
                        <Table.Td className="nowrap">{f.dateTime(log.createdAt)}</Table.Td>
                        <Table.Td>{log.model}</Table.Td>
                        <Table.Td>{f.integer(log.promptTokens + log.completionTokens)}</Table.Td>
                        <Table.Td>{f.quotaUsd(log.quota)}</Table.Td>
                        <Table.Td>
                          <StatusBadge status={log.status} />
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </div>
            )
          }
        </Async>
      </Card>
    </>
  );
}
