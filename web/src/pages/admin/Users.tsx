import { useState, type FormEvent } from 'react';
import { Button, Group, Modal, PasswordInput, Select, Stack, Table, Text, TextInput } from '@mantine/core';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { del, get, patch, post } from '../../api';
import { useFormat } from '../../format';
import { useSession } from '../../session';
import { useErrorText, useFormErrors } from '../../errors';
import { Async, ConfirmButton, FormError, PageTitle, Pager, StatusBadge } from '../../components/common';
import * as v from '../../validation';
import type { Group as GroupT, Page, User } from '../../types';

const PAGE_SIZE = 50;
const FIELDS = ['username', 'password', 'role', 'group', 'status', 'quota', 'addQuota'] as const;
type Field = (typeof FIELDS)[number];

function UserForm({ user, groups, canGrantAdmin, onDone }: { user?: User; groups: string[]; canGrantAdmin: boolean; onDone(): void }) {
  const { t } = useTranslation();
  const { money } = useSession();
  const [username, setUsername] = useState(user?.username ?? '');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<string | null>(user?.role === 'root' ? 'admin' : (user?.role ?? 'user'));
  const [group, setGroup] = useState<string | null>(user?.group ?? 'default');
  const [status, setStatus] = useState<string | null>(user?.status ?? 'enabled');
  const [quota, setQuota] = useState(user ? '' : '0');
  const [topUp, setTopUp] = useState('');
  const [busy, setBusy] = useState(false);
  const errors = useFormErrors(FIELDS);

  async function submit(event: FormEvent) {
    event.preventDefault();
    errors.clear();
    const problems: Partial<Record<Field, v.Problem>> = {
      username: v.username(username),
      password: user && !password ? undefined : v.password(password),
      quota: quota ? v.usdAmount(quota) : undefined,
      addQuota: topUp ? v.decimal(topUp.replace(/^-/, ''), 6) : undefined,
    };
    const found = Object.entries(problems).filter(([, p]) => p);
    if (found.length) return errors.setFieldErrors(Object.fromEntries(found.map(([f, p]) => [f, t(p!)])));
    const body: Record<string, unknown> = {};
    if (!user || username !== user.username) body.username = username;
    if (password) body.password = password;
    if (user?.role !== 'root' && (!user || role !== user.role)) body.role = role;
    if (!user || group !== user.group) body.group = group;
    if (user && status !== user.status) body.status = status;
    if (quota) body.quota = v.usdToQuota(quota, money.quotaPerUsd);
    if (topUp) body.addQuota = Math.sign(Number(topUp)) * v.usdToQuota(topUp.replace(/^-/, ''), money.quotaPerUsd);
    setBusy(true);
    try {
      if (user) await patch(`/users/${user.id}`, body);
      else await post('/users', body);
      onDone();
    } catch (err) {
      errors.fromServer(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate aria-label={t('users.form')}>
      <Stack>
        <FormError message={errors.formError} />
        <TextInput label={t('auth.username')} value={username} onChange={(e) => setUsername(e.currentTarget.value)} error={errors.fieldErrors.username} />
        <PasswordInput
          label={user ? t('users.newPassword') : t('auth.password')}
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.currentTarget.value)}
          error={errors.fieldErrors.password}
        />
        <Group grow>
          <Select
            label={t('users.role')}
            value={role}
            onChange={setRole}
            disabled={user?.role === 'root'}
            data={[
              { value: 'user', label: t('roles.user') },
              { value: 'admin', label: t('roles.admin'), disabled: !canGrantAdmin },
            ]}
            error={errors.fieldErrors.role}
            allowDeselect={false}
          />
          <Select label={t('users.group')} value={group} onChange={setGroup} data={groups} error={errors.fieldErrors.group} allowDeselect={false} />
        </Group>
        {user && user.role !== 'root' && (
          <Select
            label={t('users.status')}
            value={status}
            onChange={setStatus}
            data={[
              { value: 'enabled', label: t('status.enabled') },
              { value: 'disabled', label: t('status.disabled') },
            ]}
            allowDeselect={false}
          />
        )}
        <Group grow>
          <TextInput label={user ? t('users.setQuota') : t('users.quota')} inputMode="decimal" value={quota} onChange={(e) => setQuota(e.currentTarget.value)} error={errors.fieldErrors.quota} />
          {user && (
            <TextInput label={t('users.topUp')} description={t('users.topUpHint')} inputMode="decimal" value={topUp} onChange={(e) => setTopUp(e.currentTarget.value)} error={errors.fieldErrors.addQuota} />
          )}
        </Group>
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={busy}>
            {user ? t('common.save') : t('common.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export default function Users() {
  const { t } = useTranslation();
  const { account, money } = useSession();
  const f = useFormat(money);
  const client = useQueryClient();
  const errorText = useErrorText();
  const [search, setSearch] = useState('');
  const [q, setQ] = useState('');
  const [page, setPage] = useState(1);
  const [editing, setEditing] = useState<User | 'new' | null>(null);
  const [error, setError] = useState<string>();
  const users = useQuery({
    queryKey: ['users', q, page],
    queryFn: ({ signal }) => get<Page<User>>('/users', { q, page, pageSize: PAGE_SIZE }, signal),
    placeholderData: keepPreviousData,
  });
  const groups = useQuery({ queryKey: ['groups', 'all'], queryFn: () => get<Page<GroupT>>('/groups', { pageSize: 200 }) });
  const refresh = () => client.invalidateQueries({ queryKey: ['users'] });

  return (
    <>
      <PageTitle actions={<Button onClick={() => setEditing('new')}>{t('users.create')}</Button>}>{t('adminNav.users')}</PageTitle>
      <FormError message={error} />
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setQ(search.trim());
          setPage(1);
        }}
      >
        <TextInput label={t('users.search')} value={search} onChange={(e) => setSearch(e.currentTarget.value)} />
        <Button type="submit">{t('logs.apply')}</Button>
      </form>
      <Async query={users}>
        {(data) => (
          <>
            <div className="table-wrap">
              <Table striped mt="md">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>ID</Table.Th>
                    <Table.Th>{t('auth.username')}</Table.Th>
                    <Table.Th>{t('users.role')}</Table.Th>
                    <Table.Th>{t('users.group')}</Table.Th>
                    <Table.Th>{t('users.quota')}</Table.Th>
                    <Table.Th>{t('users.used')}</Table.Th>
                    <Table.Th>{t('users.status')}</Table.Th>
                    <Table.Th />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.items.map((u) => (
                    <Table.Tr key={u.id}>
                      <Table.Td>{u.id}</Table.Td>
                      <Table.Td>{u.username}</Table.Td>
                      <Table.Td>{t(`roles.${u.role}`)}</Table.Td>
                      <Table.Td>{u.group}</Table.Td>
                      <Table.Td>{f.quotaUsd(u.quota)}</Table.Td>
                      <Table.Td>{f.quotaUsd(u.usedQuota)}</Table.Td>
                      <Table.Td>
                        <StatusBadge status={u.status} />
                      </Table.Td>
                      <Table.Td>
                        <Group gap={4} wrap="nowrap">
                          <Button size="xs" variant="light" onClick={() => setEditing(u)}>
                            {t('common.edit')}
                          </Button>
                          {u.role !== 'root' && (
                            <ConfirmButton
                              size="xs"
                              variant="subtle"
                              onConfirm={async () => {
                                setError(undefined);
                                await del(`/users/${u.id}`).then(refresh, (err) => setError(errorText(err)));
                              }}
                            >
                              {t('common.delete')}
                            </ConfirmButton>
                          )}
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </div>
            {data.items.length === 0 && <Text c="dimmed">{t('users.none')}</Text>}
            <Pager page={page} pageSize={PAGE_SIZE} total={data.total} onChange={setPage} />
          </>
        )}
      </Async>
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing === 'new' ? t('users.create') : t('users.edit')} size="lg">
        {editing !== null && (
          <UserForm
            user={editing === 'new' ? undefined : editing}
            groups={groups.data?.items.map((g) => g.name) ?? ['default']}
            canGrantAdmin={account?.role === 'root'}
            onDone={() => {
              setEditing(null);
              void refresh();
            }}
          />
        )}
      </Modal>
    </>
  );
}
