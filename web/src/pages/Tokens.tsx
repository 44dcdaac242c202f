import { useState } from 'react';
import { Button, Group, Modal, Switch, Table, Text } from '@mantine/core';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { del, get, patch, post } from '../api';
import { useFormat } from '../format';
import { useSession } from '../session';
import { useErrorText } from '../errors';
import { Async, ConfirmButton, FormError, PageTitle, Pager } from '../components/common';
import { SecretOnce } from '../components/SecretOnce';
import { TokenForm, type TokenInput } from './TokenForm';
import type { Group as GroupT, Page, Pricing, Token } from '../types';

const PAGE_SIZE = 20;

export function Tokens() {
  const { t } = useTranslation();
  const { money } = useSession();
  const f = useFormat(money);
  const client = useQueryClient();
  const errorText = useErrorText();
  const [page, setPage] = useState(1);
  const [editing, setEditing] = useState<Token | 'new' | null>(null);
  // The new key is held here only while its dialog is open, then dropped.
  const [newKey, setNewKey] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string>();
  const tokens = useQuery({
    queryKey: ['tokens', page],
    queryFn: ({ signal }) => get<Page<Token>>('/tokens', { page, pageSize: PAGE_SIZE }, signal),
    placeholderData: keepPreviousData,
  });
  const groups = useQuery({ queryKey: ['groups'], queryFn: () => get<Page<GroupT>>('/groups', { pageSize: 200 }) });
  const pricing = useQuery({ queryKey: ['pricing'], queryFn: () => get<Pricing>('/pricing') });
  const refresh = () => client.invalidateQueries({ queryKey: ['tokens'] });

  async function save(input: TokenInput) {
    if (editing === 'new') {
      const created = await post<Token & { key: string }>('/tokens', input);
      setEditing(null);
      setNewKey(created.key);
    } else if (editing) {
      await patch(`/tokens/${editing.id}`, input);
      setEditing(null);
    }
    await refresh();
  }

  async function act(action: () => Promise<unknown>) {
    setActionError(undefined);
    try {
      await action();
      await refresh();
    } catch (err) {
      setActionError(errorText(err));
    }
  }

  return (
    <>
      <PageTitle actions={<Button onClick={() => setEditing('new')}>{t('tokens.create')}</Button>}>{t('nav.tokens')}</PageTitle>
      <FormError message={actionError} />
      <Async query={tokens}>
        {(data) =>
          data.items.length === 0 ? (
            <Text c="dimmed">{t('tokens.none')}</Text>
          ) : (
            <>
              <div className="table-wrap">
                <Table striped highlightOnHover>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>{t('tokens.name')}</Table.Th>
                      <Table.Th>{t('tokens.key')}</Table.Th>
                      <Table.Th>{t('tokens.remaining')}</Table.Th>
                      <Table.Th>{t('tokens.used')}</Table.Th>
                      <Table.Th>{t('tokens.expiresAt')}</Table.Th>
                      <Table.Th>{t('tokens.enabled')}</Table.Th>
                      <Table.Th />
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {data.items.map((token) => (
                      <Table.Tr key={token.id}>
                        <Table.Td>{token.name}</Table.Td>
                        <Table.Td className="mono">{token.keyPrefix}</Table.Td>
                        <Table.Td>{token.quota === null ? t('tokens.unlimitedShort') : f.quotaUsd(token.quota)}</Table.Td>
                        <Table.Td>{f.quotaUsd(token.usedQuota)}</Table.Td>
                        <Table.Td className="nowrap">{token.expiresAt ? f.dateTime(token.expiresAt) : t('tokens.never')}</Table.Td>
                        <Table.Td>
                          <Switch
                            aria-label={t('tokens.enabledFor', { name: token.name })}
                            checked={token.status === 'enabled'}
                            onChange={(e) => void act(() => patch(`/tokens/${token.id}`, { status: e.currentTarget.checked ? 'enabled' : 'disabled' }))}
                          />
                        </Table.Td>
                        <Table.Td>
                          <Group gap={4} wrap="nowrap">
                            <Button size="xs" variant="light" onClick={() => setEditing(token)}>
                              {t('common.edit')}
                            </Button>
                            <ConfirmButton size="xs" variant="subtle" onConfirm={() => act(() => del(`/tokens/${token.id}`))}>
                              {t('common.delete')}
                            </ConfirmButton>
                          </Group>
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
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing === 'new' ? t('tokens.create') : t('tokens.edit')} size="lg">
        {editing !== null && (
          <TokenForm
            token={editing === 'new' ? undefined : editing}
            groups={groups.data?.items.map((g) => g.name) ?? []}
            models={pricing.data?.models.filter((m) => m.available).map((m) => m.model) ?? []}
            quotaPerUsd={money.quotaPerUsd}
            onSubmit={save}
            onCancel={() => setEditing(null)}
          />
        )}
      </Modal>
      <SecretOnce title={t('tokens.created')} secret={newKey} onClose={() => setNewKey(null)}>
        <Text size="sm">{t('tokens.useIt', { base: `${window.location.origin}/v1` })}</Text>
      </SecretOnce>
    </>
  );
}
