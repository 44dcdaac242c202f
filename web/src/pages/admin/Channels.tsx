import { useState } from 'react';
import { Button, Group, Modal, Switch, Table, Text, Tooltip } from '@mantine/core';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { del, get, patch, post } from '../../api';
import { useFormat } from '../../format';
import { useErrorText } from '../../errors';
import { Async, ConfirmButton, FormError, PageTitle, Pager, StatusBadge } from '../../components/common';
import { ChannelForm } from './ChannelForm';
import type { Channel, ChannelHealth, ChannelTest, ChannelType, Group as GroupT, Health, Page } from '../../types';

/** The circuit breaker's state and the rolling window (success rate, p50 latency) of a channel. */
function HealthCell({ health }: { health: Health | undefined }) {
  const { t } = useTranslation();
  const f = useFormat();
  if (!health) return <>—</>;
  const color = health.state === 'closed' ? 'green' : health.state === 'open' ? 'red' : 'orange';
  return (
    <>
      <Text size="sm" c={color}>
        {t(`channels.healthStates.${health.state}`)}
        {health.state === 'open' && health.cooldownUntil ? ` ${t('channels.coolingUntil', { time: f.dateTime(health.cooldownUntil) })}` : ''}
      </Text>
      {health.requests > 0 && (
        <Text size="xs" c="dimmed">
          {t('channels.healthDetail', {
            rate: `${Math.round((health.successRate ?? 0) * 100)}%`,
            requests: f.integer(health.requests),
            p50: health.p50LatencyMs === null ? '—' : `${f.integer(health.p50LatencyMs)} ms`,
          })}
        </Text>
      )}
      {health.consecutiveFailures > 0 && (
        <Text size="xs" c="red">
          {t('channels.failuresInRow', { count: health.consecutiveFailures })}
        </Text>
      )}
    </>
  );
}

/** Why a channel is off, or else what went wrong last (within 24 hours), with when. */
export function ChannelProblem({ channel }: { channel: Pick<ChannelHealth, 'disabledReason' | 'lastError' | 'lastErrorAt'> | undefined }) {
  const f = useFormat();
  if (!channel) return null;
  if (channel.disabledReason) return <Text size="sm">{channel.disabledReason}</Text>;
  if (!channel.lastError) return null;
  return (
    <Text size="sm" c="red">
      {channel.lastError}{' '}
      <Text span size="xs" c="dimmed">
        {f.dateTime(channel.lastErrorAt)}
      </Text>
    </Text>
  );
}

const PAGE_SIZE = 50;

export default function Channels() {
  const { t } = useTranslation();
  const f = useFormat();
  const client = useQueryClient();
  const errorText = useErrorText();
  const [page, setPage] = useState(1);
  const [editing, setEditing] = useState<Channel | 'new' | null>(null);
  const [error, setError] = useState<string>();
  const [testing, setTesting] = useState<Set<number>>(new Set());
  const [results, setResults] = useState<Record<number, ChannelTest>>({});
  const [testingAll, setTestingAll] = useState(false);
  const [summary, setSummary] = useState<string>();
  const channels = useQuery({
    queryKey: ['channels', page],
    queryFn: ({ signal }) => get<Page<Channel>>('/channels', { page, pageSize: PAGE_SIZE }, signal),
    placeholderData: keepPreviousData,
  });
  const types = useQuery({ queryKey: ['channel-types'], queryFn: () => get<{ items: ChannelType[] }>('/channel-types'), staleTime: Infinity });
  const groups = useQuery({ queryKey: ['groups', 'all'], queryFn: () => get<Page<GroupT>>('/groups', { pageSize: 200 }) });
  const health = useQuery({ queryKey: ['channels', 'health'], queryFn: ({ signal }) => get<{ items: ChannelHealth[] }>('/channel-health', {}, signal) });
  const healthOf = (id: number) => health.data?.items.find((h) => h.id === id);
  const refresh = () => client.invalidateQueries({ queryKey: ['channels'] });

  async function act(action: () => Promise<unknown>) {
    setError(undefined);
    try {
      await action();
      await refresh();
    } catch (err) {
      setError(errorText(err));
    }
  }

  async function test(ids: number[]) {
    setTesting((s) => new Set([...s, ...ids]));
    // Two at a time: each test calls the upstream once per key.
    const queue = [...ids];
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        try {
          const result = await post<ChannelTest>(`/channels/${id}/test`);
          setResults((r) => ({ ...r, [id]: result }));
        } catch (err) {
          setError(errorText(err));
        } finally {
          setTesting((s) => new Set([...s].filter((x) => x !== id)));
        }
      }
    };
    await Promise.all([worker(), worker()]);
    await refresh();
  }

  /** Every channel (all pages), tested by the server a few at a time; each row shows its result. */
  async function testAll() {
    setError(undefined);
    setSummary(undefined);
    setTestingAll(true);
    try {
      const { items } = await post<{ items: (ChannelTest & { channelId: number })[] }>('/channels/test');
      setResults((r) => ({ ...r, ...Object.fromEntries(items.map((i) => [i.channelId, i])) }));
      const ok = items.filter((i) => i.ok).length;
      setSummary(t('channels.testedAll', { count: items.length, ok, failed: items.length - ok }));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setTestingAll(false);
      await refresh();
    }
  }

  async function save(body: Record<string, unknown>, addedKeys: string[]) {
    if (editing === 'new') {
      await post('/channels', { ...body, keys: addedKeys });
    } else if (editing) {
      await patch(`/channels/${editing.id}`, body);
      if (addedKeys.length) await post(`/channels/${editing.id}/keys`, { keys: addedKeys });
    }
    setEditing(null);
    await refresh();
  }

  return (
    <>
      <PageTitle
        actions={
          <>
            <Button variant="light" loading={testingAll} onClick={() => void testAll()}>
              {t('channels.testAll')}
            </Button>
            <Button onClick={() => setEditing('new')}>{t('channels.create')}</Button>
          </>
        }
      >
        {t('adminNav.channels')}
      </PageTitle>
      <FormError message={error} />
      {testingAll && <Text size="sm">{t('channels.testingAll')}</Text>}
      {summary && <Text size="sm">{summary}</Text>}
      <Async query={channels}>
        {(data) =>
          data.items.length === 0 ? (
            <Text c="dimmed">{t('channels.none')}</Text>
          ) : (
            <>
              <div className="table-wrap">
                <Table striped highlightOnHover>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>{t('channels.name')}</Table.Th>
                      <Table.Th>{t('channels.type')}</Table.Th>
                      <Table.Th>{t('channels.status')}</Table.Th>
                      <Table.Th>{t('channels.health')}</Table.Th>
                      <Table.Th>{t('channels.latency')}</Table.Th>
                      <Table.Th>{t('channels.tested')}</Table.Th>
                      <Table.Th>{t('channels.reason')}</Table.Th>
                      <Table.Th>{t('channels.enabled')}</Table.Th>
                      <Table.Th />
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {data.items.map((c) => {
                      const result = results[c.id];
                      return (
                        <Table.Tr key={c.id}>
                          <Table.Td>
                            {c.name}
                            <Text size="xs" c="dimmed">
                              {t('channels.modelCount', { count: c.models.length })} · {c.groups.join(', ')}
                            </Text>
                          </Table.Td>
                          <Table.Td>{types.data?.items.find((x) => x.type === c.type)?.label ?? c.type}</Table.Td>
                          <Table.Td>
                            <StatusBadge status={c.status} />
                            {result && (
                              <Tooltip label={result.keys.map((k) => `${k.mask}: ${k.ok ? t('status.ok') : k.message}`).join('\n') || '—'} multiline>
                                <Text size="xs" c={result.ok ? 'green' : 'red'}>
                                  {result.ok ? t('channels.testOk') : t('channels.testFailed')}
                                </Text>
                              </Tooltip>
                            )}
                          </Table.Td>
                          <Table.Td>
                            <HealthCell health={c.health} />
                          </Table.Td>
                          <Table.Td>{c.responseTimeMs === null ? '—' : `${f.integer(c.responseTimeMs)} ms`}</Table.Td>
                          <Table.Td className="nowrap">{f.dateTime(c.testedAt)}</Table.Td>
                          <Table.Td>
                            <ChannelProblem channel={{ ...healthOf(c.id), disabledReason: c.disabledReason, lastError: healthOf(c.id)?.lastError ?? null, lastErrorAt: healthOf(c.id)?.lastErrorAt ?? null }} />
                          </Table.Td>
                          <Table.Td>
                            <Switch
                              aria-label={t('channels.enabledFor', { name: c.name })}
                              checked={c.status === 'enabled'}
                              onChange={(e) => void act(() => patch(`/channels/${c.id}`, { status: e.currentTarget.checked ? 'enabled' : 'disabled' }))}
                            />
                          </Table.Td>
                          <Table.Td>
                            <Group gap={4} wrap="nowrap">
                              <Button size="xs" variant="light" loading={testing.has(c.id)} onClick={() => void test([c.id])}>
                                {t('channels.test')}
                              </Button>
                              <Button size="xs" variant="light" onClick={() => setEditing(c)}>
                                {t('common.edit')}
                              </Button>
                              <ConfirmButton size="xs" variant="subtle" onConfirm={() => act(() => del(`/channels/${c.id}`))}>
                                {t('common.delete')}
                              </ConfirmButton>
                            </Group>
                          </Table.Td>
                        </Table.Tr>
                      );
                    })}
                  </Table.Tbody>
                </Table>
              </div>
              <Pager page={page} pageSize={PAGE_SIZE} total={data.total} onChange={setPage} />
            </>
          )
        }
      </Async>
      <Modal
        opened={editing !== null}
        onClose={() => {
          setEditing(null);
          void refresh(); // key changes take effect at once, even when the form is not saved
        }}
        title={editing === 'new' ? t('channels.create') : t('channels.edit')}
        size="lg"
      >
        {editing !== null && types.data && (
          <ChannelForm
            channel={editing === 'new' ? undefined : editing}
            types={types.data.items}
            groups={groups.data?.items.map((g) => g.name) ?? ['default']}
            onSubmit={save}
            onCancel={() => setEditing(null)}
          />
        )}
      </Modal>
    </>
  );
}
