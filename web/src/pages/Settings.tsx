import { useState, type FormEvent } from 'react';
import { Button, Card, Group, PasswordInput, Select, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { get, patch } from '../api';
import { useAccount, useSession } from '../session';
import { useFormErrors } from '../errors';
import { FormError, PageTitle } from '../components/common';
import { LanguageSwitch } from '../components/Layout';
import * as v from '../validation';
import type { Group as GroupT, Page } from '../types';

const PASSWORD_FIELDS = ['password', 'currentPassword'] as const;
const GROUP_FIELDS = ['group'] as const;

export function Settings() {
  const { t } = useTranslation();
  const account = useAccount();
  const { refresh } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [saved, setSaved] = useState<string>();
  const [group, setGroup] = useState<string | null>(account.group);
  const pw = useFormErrors(PASSWORD_FIELDS);
  const gr = useFormErrors(GROUP_FIELDS);
  const groups = useQuery({ queryKey: ['groups'], queryFn: () => get<Page<GroupT>>('/groups', { pageSize: 200 }) });

  async function changePassword(event: FormEvent) {
    event.preventDefault();
    pw.clear();
    setSaved(undefined);
    const problem = v.password(next);
    if (problem) return pw.setFieldErrors({ password: t(problem) });
    try {
      await patch('/me', { password: next, currentPassword: current });
      setCurrent('');
      setNext('');
      setSaved(t('settings.passwordChanged'));
    } catch (err) {
      pw.fromServer(err);
    }
  }

  async function switchGroup(event: FormEvent) {
    event.preventDefault();
    gr.clear();
    setSaved(undefined);
    try {
      await patch('/me', { group });
      await refresh();
      setSaved(t('settings.groupChanged', { group }));
    } catch (err) {
      gr.fromServer(err);
    }
  }

  const selectable = groups.data?.items.filter((g) => g.userSelectable || g.name === account.group) ?? [];
  return (
    <>
      <PageTitle>{t('nav.settings')}</PageTitle>
      {saved && (
        <Text c="green" role="status" mb="sm">
          {saved}
        </Text>
      )}
      <div className="grid-2">
        <Card withBorder radius="md">
          <Title order={4} mb="sm">
            {t('settings.password')}
          </Title>
          <form onSubmit={changePassword} noValidate>
            <Stack>
              <FormError message={pw.formError} />
              <PasswordInput label={t('settings.currentPassword')} autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.currentTarget.value)} error={pw.fieldErrors.currentPassword} />
              <PasswordInput label={t('settings.newPassword')} autoComplete="new-password" value={next} onChange={(e) => setNext(e.currentTarget.value)} error={pw.fieldErrors.password} />
              <Group justify="flex-end">
                <Button type="submit">{t('settings.changePassword')}</Button>
              </Group>
            </Stack>
          </form>
        </Card>
        <Card withBorder radius="md">
          <Title order={4} mb="sm">
            {t('settings.group')}
          </Title>
          <form onSubmit={switchGroup} noValidate>
            <Stack>
              <FormError message={gr.formError} />
              <Select
                label={t('settings.groupLabel')}
                data={selectable.map((g) => ({ value: g.name, label: `${g.name} ×${g.ratio}${g.description ? ` — ${g.description}` : ''}` }))}
                value={group}
                onChange={setGroup}
                error={gr.fieldErrors.group}
                allowDeselect={false}
              />
              <Group justify="flex-end">
                <Button type="submit" disabled={!group || group === account.group}>
                  {t('settings.switchGroup')}
                </Button>
              </Group>
            </Stack>
          </form>
          <Title order={4} mt="lg" mb="sm">
            {t('common.language')}
          </Title>
          <LanguageSwitch />
        </Card>
      </div>
    </>
  );
}
