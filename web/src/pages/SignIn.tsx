import { useState, type FormEvent } from 'react';
import { useLocation, useNavigate, Link } from 'react-router';
import { Alert, Anchor, Button, Card, Group, PasswordInput, Stack, Tabs, TextInput, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useSession } from '../session';
import { useFormErrors } from '../errors';
import { FormError } from '../components/common';
import { LanguageSwitch } from '../components/Layout';
import * as v from '../validation';

const FIELDS = ['username', 'password'] as const;

export function SignIn() {
  const { t } = useTranslation();
  const { signIn, register, site } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from ?? '/';
  // A bot's one-time sign-in link (/web) that did not work lands here.
  const linkFailed = new URLSearchParams(location.search).get('link') === 'invalid';
  const [mode, setMode] = useState<'signin' | 'register'>('signin');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const errors = useFormErrors(FIELDS);

  async function submit(event: FormEvent) {
    event.preventDefault();
    errors.clear();
    if (mode === 'register') {
      const problems = { username: v.username(username), password: v.password(password) };
      if (problems.username || problems.password) {
        errors.setFieldErrors({
          username: problems.username && t(problems.username),
          password: problems.password && t(problems.password),
        });
        return;
      }
    }
    setBusy(true);
    try {
      await (mode === 'signin' ? signIn(username, password) : register(username, password));
      navigate(from === '/signin' ? '/' : from, { replace: true });
    } catch (err) {
      errors.fromServer(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="signin">
      <Group justify="space-between" mb="md">
        <Title order={2}>relay-station</Title>
        <LanguageSwitch />
      </Group>
      <Card withBorder padding="lg" radius="md">
        {site?.allowRegistration && (
          <Tabs value={mode} onChange={(m) => setMode((m as 'signin' | 'register') ?? 'signin')} mb="md">
            <Tabs.List grow>
              <Tabs.Tab value="signin">{t('auth.signIn')}</Tabs.Tab>
              <Tabs.Tab value="register">{t('auth.register')}</Tabs.Tab>
            </Tabs.List>
          </Tabs>
        )}
        <form onSubmit={submit} noValidate>
          <Stack>
            {linkFailed && (
              <Alert color="yellow" title={t('auth.linkFailed')}>
                {t('auth.linkFailedHint')}
              </Alert>
            )}
            <FormError message={errors.formError} />
            <TextInput
              label={t('auth.username')}
              autoComplete="username"
              value={username}
              onChange={(e) => setUsername(e.currentTarget.value)}
              error={errors.fieldErrors.username}
              required
              data-autofocus
            />
            <PasswordInput
              label={t('auth.password')}
              autoComplete={mode === 'signin' ? 'current-password' : 'new-password'}
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
              error={errors.fieldErrors.password}
              required
            />
            <Button type="submit" loading={busy}>
              {mode === 'signin' ? t('auth.signIn') : t('auth.createAccount')}
            </Button>
          </Stack>
        </form>
      </Card>
      <Anchor component={Link} to="/pricing" size="sm" mt="md" display="block" ta="center">
        {t('pricing.public')}
      </Anchor>
    </div>
  );
}
