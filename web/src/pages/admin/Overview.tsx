import { useMemo } from 'react';
import { Card, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { get } from '../../api';
import { useFormat } from '../../format';
import { useSession } from '../../session';
import { Async, PageTitle, StatusBadge } from '../../components/common';
import { Chart } from '../../components/Chart';
import { StatCard } from '../Dashboard';
import { ChannelProblem } from './Channels';
import type { Overview as OverviewT, Ranked } from '../../types';

export default function Overview() {
  const { t } = useTranslation();
  const { money } = useSession();
  const f = useFormat(money);
  const overview = useQuery({ queryKey: ['admin-overview'], queryFn: ({ signal }) => get<OverviewT>('/admin/overview', {}, signal) });
  const data = overview.data;
  const labels = useMemo(() => data?.days.map((d) => f.day(d.day)) ?? [], [data, f]);
  const traffic = useMemo(
    () => (data ? [
      { label: t('overview.requests'), data: data.days.map((d) => d.requests) },
      { label: t('overview.errors'), data: data.days.map((d) => d.errors) },
      { label: t('overview.writeOffs'), data: data.days.map((d) => d.writeOffs) },
    ] : []),
    [data, t],
  );
  const spend = useMemo(() => (data ? [{ label: t('overview.quota'), data: data.days.map((d) => d.quota / money.quotaPerUsd) }] : []), [data, t, money]);
  const sum = (key: 'requests' | 'quota' | 'errors' | 'writeOffs' | 'writeOffQuota') => data?.days.reduce((s, d) => s + d[key], 0) ?? 0;

  const ranking = (title: string, rows: Ranked[]) => (
    <Card withBorder radius="md">
      <Title order={4} mb="sm">{title}</Title>
      <Table>
        <Table.Tbody>
          {rows.map((r) => (
            <Table.Tr key={r.key}>
              <Table.Td>{r.label}</Table.Td>
              <Table.Td>{f.integer(r.requests)}</Table.Td>
              <Table.Td>{f.quotaUsd(r.quota)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {rows.length === 0 && <Text c="dimmed">{t('overview.nothing')}</Text>}
    </Card>
  );

  return (
    <>
      <PageTitle>{t('adminNav.overview')}</PageTitle>
      <Async query={overview}>
        {(o) => (
          <>
            <div className="grid-cards">
              <StatCard label={t('overview.requests30')} value={f.integer(sum('requests'))} />
              <StatCard label={t('overview.quota30')} value={f.quotaLocal(sum('quota'))} hint={f.quotaUsd(sum('quota'))} />
              <StatCard label={t('overview.errors30')} value={f.integer(sum('errors'))} hint={sum('requests') ? f.percent(sum('errors') / sum('requests')) : undefined} />
              <StatCard
                label={t('overview.writeOffs30')}
                value={f.quotaLocal(sum('writeOffQuota'))}
                hint={t('overview.writeOffCalls', { count: sum('writeOffs') })}
              />
            </div>
            <div className="grid-2" style={{ marginTop: 16 }}>
              <Card withBorder radius="md">
                <Title order={4} mb="sm">{t('overview.traffic')}</Title>
                <Chart type="line" labels={labels} series={traffic} label={t('overview.traffic')} />
              </Card>
              <Card withBorder radius="md">
                <Title order={4} mb="sm">{t('overview.spend')}</Title>
                <Chart type="bar" labels={labels} series={spend} label={t('overview.spend')} formatValue={f.usd} />
              </Card>
              {ranking(t('overview.topModels'), o.topModels)}
              {ranking(t('overview.topUsers'), o.topUsers)}
            </div>
            <Card withBorder radius="md" mt="md">
              <Title order={4} mb="sm">{t('overview.health')}</Title>
              <div className="table-wrap">
                <Table striped>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>{t('channels.name')}</Table.Th>
                      <Table.Th>{t('channels.status')}</Table.Th>
                      <Table.Th>{t('channels.latency')}</Table.Th>
                      <Table.Th>{t('overview.requests24h')}</Table.Th>
                      <Table.Th>{t('overview.errorRate')}</Table.Th>
                      <Table.Th>{t('channels.reason')}</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {o.channels.map((c) => (
                      <Table.Tr key={c.id}>
                        <Table.Td>{c.name} <Text span size="xs" c="dimmed">{c.type}</Text></Table.Td>
                        <Table.Td><StatusBadge status={c.status} /></Table.Td>
                        <Table.Td>{c.responseTimeMs === null ? '—' : `${f.integer(c.responseTimeMs)} ms`}</Table.Td>
                        <Table.Td>{f.integer(c.requests24h)}</Table.Td>
                        <Table.Td>{c.requests24h ? f.percent(c.errors24h / c.requests24h) : '—'}</Table.Td>
                        <Table.Td>
                          <ChannelProblem channel={c} />
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </div>
            </Card>
          </>
        )}
      </Async>
    </>
  );
}
