import { useState, type FormEvent } from 'react';
import { Button, Group, Modal, Stack, Switch, Table, Text, TextInput } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { del, get, patch, post } from '../../api';
import { useErrorText, useFormErrors } from '../../errors';
import { Async, ConfirmButton, FormError, PageTitle, Pager } from '../../components/common';
import * as v from '../../validation';
import type { Group as GroupT, Page } from '../../types';

const FIELDS = ['name', 'ratio', 'description', 'userSelectable', 'rpm', 'tpm'] as const;
const PAGE_SIZE = 50;

function GroupForm({ group, onDone }: { group?: GroupT; onDone(): void }) {
  const { t } = useTranslation();
  const [name, setName] = useState(group?.name ?? '');
  const [ratio, setRatio] = useState(group?.ratio ?? '1');
  const [description, setDescription] = useState(group?.description ?? '');
  const [userSelectable, setUserSelectable] = useState(group?.userSelectable ?? true);
  const [rpm, setRpm] = useState(group?.rpm == null ? '' : String(group.rpm));
  const [tpm, setTpm] = useState(group?.tpm == null ? '' : String(group.tpm));
  const errors = useFormErrors(FIELDS);

  async function submit(event: FormEvent) {
    event.preventDefault();
    errors.clear();
    const problems: Record<string, v.Problem> = { name: group || v.GROUP_NAME.test(name) ? undefined : 'validation.groupName', ratio: v.decimal(ratio, 6), rpm: v.rateLimit(rpm), tpm: v.rateLimit(tpm) };
    const found = Object.entries(problems).filter(([, p]) => p);
    if (found.length) return errors.setFieldErrors(Object.fromEntries(found.map(([f, p]) => [f, t(p as NonNullable<v.Problem>)])));
    try {
      const limits = { rpm: v.rateLimitValue(rpm), tpm: v.rateLimitValue(tpm) };
      if (group) await patch(`/groups/${encodeURIComponent(group.name)}`, { ratio, description, userSelectable, ...limits });
      else await post('/groups', { name, ratio, description, userSelectable, ...limits });
      onDone();
    } catch (err) {
      errors.fromServer(err);
    }
  }

  return (
    <form onSubmit={submit} noValidate aria-label={t('groups.form')}>
      <Stack>
        <FormError message={errors.formError} />
        <TextInput label={t('groups.name')} value={name} disabled={!!group} onChange={(e) => setName(e.currentTarget.value)} error={errors.fieldErrors.name} />
        <TextInput label={t('groups.ratio')} description={t('groups.ratioHint')} inputMode="decimal" value={ratio} onChange={(e) => setRatio(e.currentTarget.value)} error={errors.fieldErrors.ratio} />
        <TextInput label={t('groups.description')} value={description} onChange={(e) => setDescription(e.currentTarget.value)} error={errors.fieldErrors.description} />
        <Switch label={t('groups.selectable')} checked={userSelectable} onChange={(e) => setUserSelectable(e.currentTarget.checked)} />
        <Group grow align="flex-start">
          <TextInput label={t('groups.rpm')} inputMode="numeric" placeholder={t('tokens.noLimit')} value={rpm} onChange={(e) => setRpm(e.currentTarget.value)} error={errors.fieldErrors.rpm} />
          <TextInput label={t('groups.tpm')} inputMode="numeric" placeholder={t('tokens.noLimit')} value={tpm} onChange={(e) => setTpm(e.currentTarget.value)} error={errors.fieldErrors.tpm} />
        </Group>
        <Text size="xs" c="dimmed">
          {t('groups.rateLimitsHint')}
        </Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            {t('common.cancel')}
          </Button>
          <Button type="submit">{group ? t('common.save') : t('common.create')}</Button>
        </Group>
      </Stack>
    </form>
  );
}

export default function Groups() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const errorText = useErrorText();
  const [page, setPage] = useState(1);
  const [editing, setEditing] = useState<GroupT | 'new' | null>(null);
  const [error, setError] = useState<string>();
  const groups = useQuery({ queryKey: ['groups', 'admin', page], queryFn: ({ signal }) => get<Page<GroupT>>('/groups', { page, pageSize: PAGE_SIZE }, signal) });
  const refresh = () => client.invalidateQueries({ queryKey: ['groups'] });

  return (
    <>
      <PageTitle actions={<Button onClick={() => setEditing('new')}>{t('groups.create')}</Button>}>{t('adminNav.groups')}</PageTitle>
      <FormError message={error} />
      <Async query={groups}>
        {(data) => (
          <>
            <div className="table-wrap">
              <Table striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('groups.name')}</Table.Th>
                    <Table.Th>{t('groups.ratio')}</Table.Th>
                    <Table.Th>{t('groups.description')}</Table.Th>
                    <Table.Th>{t('groups.selectable')}</Table.Th>
                    <Table.Th>{t('groups.rateLimits')}</Table.Th>
                    <Table.Th />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.items.map((g) => (
                    <Table.Tr key={g.name}>
                      <Table.Td>{g.name}</Table.Td>
                      <Table.Td>×{g.ratio}</Table.Td>
                      <Table.Td>{g.description}</Table.Td>
                      <Table.Td>{g.userSelectable ? t('common.yes') : t('common.no')}</Table.Td>
                      <Table.Td>
                        {g.rpm === null && g.tpm === null
                          ? t('tokens.noLimit')
                          : [g.rpm !== null && t('groups.rpmShort', { n: g.rpm }), g.tpm !== null && t('groups.tpmShort', { n: g.tpm })].filter(Boolean).join(' · ')}
                      </Table.Td>
                      <Table.Td>
                        <Group gap={4} wrap="nowrap">
                          <Button size="xs" variant="light" onClick={() => setEditing(g)}>
                            {t('common.edit')}
                          </Button>
                          {g.name !== 'default' && (
                            <ConfirmButton
                              size="xs"
                              variant="subtle"
                              onConfirm={async () => {
                                setError(undefined);
                                await del(`/groups/${encodeURIComponent(g.name)}`).then(refresh, (err) => setError(errorText(err)));
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
            <Pager page={page} pageSize={PAGE_SIZE} total={data.total} onChange={setPage} />
          </>
        )}
      </Async>
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing === 'new' ? t('groups.create') : t('groups.edit')}>
        {editing !== null && (
          <GroupForm
            group={editing === 'new' ? undefined : editing}
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
