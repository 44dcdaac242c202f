// Usage logs with server-side filters and pagination, and a CSV export of exactly the filtered rows (the browser
// downloads the server's stream; nothing is assembled here). Admins see everyone's and can filter by user.
import { useState } from 'react';
import { Anchor, Button, Select, Table, Text, TextInput, Tooltip } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { downloadUrl, get } from '../api';
import { dayStart, useFormat } from '../format';
import { useSession } from '../session';
import { Async, PageTitle, Pager, StatusBadge } from '../components/common';
import type { Page, UsageLog } from '../types';

const PAGE_SIZE = 50;
const TYPES = ['consume', 'error', 'topup', 'redeem', 'manage'] as const;

interface Filters {
  from: string;
  to: string;
  model: string;
  tokenName: string;
  userId: string;
  type: string | null;
  status: string | null;
}
const EMPTY: Filters = { from: '', to: '', model: '', tokenName: '', userId: '', type: null, status: null };

/** The API's query for these filters: dates are whole local days, sent as instants. */
export function logQuery(filters: Filters, admin: boolean) {
  return {
    from: dayStart(filters.from),
    to: dayStart(filters.to, 1),
    model: filters.model.trim() || undefined,
    tokenName: filters.tokenName.trim() || undefined,
    userId: admin && /^\d+$/.test(filters.userId.trim()) ? Number(filters.userId.trim()) : undefined,
    type: filters.type ?? undefined,
    status: filters.status ?? undefined,
  };
}

export function Logs({ admin = false }: { admin?: boolean }) {
  const { t } = useTranslation();
  const { money } = useSession();
  const f = useFormat(money);
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [page, setPage] = useState(1);
  const query = logQuery(filters, admin);
  const logs = useQuery({
    queryKey: ['logs', admin, query, page],
    queryFn: ({ signal }) => get<Page<UsageLog>>('/logs', { ...query, page, pageSize: PAGE_SIZE }, signal),
    placeholderData: keepPreviousData,
  });
  const set = (key: keyof Filters) => (value: string | null) => setDraft((d) => ({ ...d, [key]: value ?? '' }));

  return (
    <>
      <PageTitle
        actions={
          <Button component="a" href={downloadUrl('/logs/export', query)} download variant="light">
            {t('logs.export')}
          </Button>
        }
      >
        {admin ? t('adminNav.logs') : t('nav.logs')}
      </PageTitle>
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters(draft);
          setPage(1);
        }}
      >
        <TextInput type="date" label={t('logs.from')} value={draft.from} onChange={(e) => set('from')(e.currentTarget.value)} />
        <TextInput type="date" label={t('logs.to')} value={draft.to} onChange={(e) => set('to')(e.currentTarget.value)} />
        <TextInput label={t('logs.model')} value={draft.model} onChange={(e) => set('model')(e.currentTarget.value)} />
        {admin ? (
          <TextInput label={t('logs.userId')} inputMode="numeric" value={draft.userId} onChange={(e) => set('userId')(e.currentTarget.value)} />
        ) : (
          <TextInput label={t('logs.token')} value={draft.tokenName} onChange={(e) => set('tokenName')(e.currentTarget.value)} />
        )}
        <Select
          label={t('logs.type')}
          clearable
          value={draft.type}
          onChange={(value) => setDraft((d) => ({ ...d, type: value }))}
          data={TYPES.map((type) => ({ value: type, label: t(`logs.types.${type}`) }))}
        />
        <Select
          label={t('logs.status')}
          clearable
          value={draft.status}
          onChange={(value) => setDraft((d) => ({ ...d, status: value }))}
          data={[
            { value: 'ok', label: t('status.ok') },
            { value: 'error', label: t('status.error') },
          ]}
        />
        <Button type="submit">{t('logs.apply')}</Button>
      </form>
      <Async query={logs}>
        {(data) =>
          data.items.length === 0 ? (
            <Text c="dimmed" mt="md">
              {t('logs.none')}
            </Text>
          ) : (
            <>
              <div className="table-wrap">
                <Table striped mt="md" data-testid="logs-table">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>{t('logs.time')}</Table.Th>
                      {admin && <Table.Th>{t('logs.userId')}</Table.Th>}
                      <Table.Th>{t('logs.type')}</Table.Th>
                      <Table.Th>{t('logs.token')}</Table.Th>
                      <Table.Th>{t('logs.model')}</Table.Th>
                      <Table.Th>{t('logs.promptTokens')}</Table.Th>
                      <Table.Th>{t('logs.completionTokens')}</Table.Th>
                      <Table.Th>{t('logs.cost')}</Table.Th>
                      <Table.Th>{t('logs.latency')}</Table.Th>
                      <Table.Th>{t('logs.status')}</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {data.items.map((log) => (
                      <Table.Tr key={log.id}>
                        <Table.Td className="nowrap">{f.dateTime(log.createdAt)}</Table.Td>
                        {admin && <Table.Td>{log.userId}</Table.Td>}
                        <Table.Td>{(TYPES as readonly string[]).includes(log.type) ? t(`logs.types.${log.type as (typeof TYPES)[number]}`) : log.type}</Table.Td>
                        <Table.Td>{log.tokenName}</Table.Td>
                        <Table.Td>{log.model}</Table.Td>
                        <Table.Td>{f.integer(log.promptTokens)}</Table.Td>
                        <Table.Td>{f.integer(log.completionTokens)}</Table.Td>
                        <Table.Td>{f.quotaUsd(log.quota)}</Table.Td>
                        <Table.Td>{log.latencyMs ? `${f.integer(log.latencyMs)} ms` : ''}</Table.Td>
                        <Table.Td>
                          {log.attempts && log.attempts.length > 1 && (
                            <Tooltip
                              multiline
                              w={360}
                              label={log.attempts
                                .map((a) => t('logs.attempt', { channel: a.channelId, key: a.keyId ?? '—', status: a.status, code: a.fault ?? a.code, ms: a.ms }))
                                .join('\n')}
                            >
                              <Text size="xs" c="orange" data-testid="log-attempts">
                                {t('logs.attempts', { count: log.attempts.length })}
                              </Text>
                            </Tooltip>
                          )}
                          {log.content ? (
                            <Tooltip label={log.content} multiline w={300}>
                              <span>
                                <StatusBadge status={log.status} />
                              </span>
                            </Tooltip>
                          ) : (
                            <StatusBadge status={log.status} />
                          )}
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </div>
              <Pager page={page} pageSize={PAGE_SIZE} total={data.total} onChange={setPage} />
            </>
          )
        }
      </Async>
      <Text size="xs" c="dimmed" mt="xs">
        {t('logs.exportHint')}{' '}
        <Anchor size="xs" href={downloadUrl('/logs/export', query)} download>
          CSV
        </Anchor>
      </Text>
    </>
  );
}
