// Small pieces every page uses: a page title, a server-paginated table footer, the form-level error, a loading/error
// wrapper for queries, a status badge and a confirm-then-act button.
import { useState, type ReactNode } from 'react';
import { Alert, Badge, Button, Center, Group, Loader, Pagination, Text, Title, type ButtonProps } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useErrorText } from '../errors';

export function PageTitle({ children, actions }: { children: ReactNode; actions?: ReactNode }) {
  return (
    <Group justify="space-between" mb="md" wrap="wrap">
      <Title order={2}>{children}</Title>
      {actions && <Group gap="xs">{actions}</Group>}
    </Group>
  );
}

export function FormError({ message }: { message: string | undefined }) {
  if (!message) return null;
  return (
    <Alert color="red" role="alert" mb="sm">
      {message}
    </Alert>
  );
}

export function Pager({ page, pageSize, total, onChange }: { page: number; pageSize: number; total: number; onChange(page: number): void }) {
  const { t } = useTranslation();
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return (
    <Group justify="space-between" mt="sm" wrap="wrap">
      <Text size="sm" c="dimmed">
        {t('common.total', { count: total })}
      </Text>
      {pages > 1 && <Pagination size="sm" total={pages} value={page} onChange={onChange} siblings={1} />}
    </Group>
  );
}

export function Loading() {
  const { t } = useTranslation();
  return (
    <Center h={120}>
      <Loader size="sm" aria-label={t('common.loading')} />
    </Center>
  );
}

/** Shows a query's loading and error states, and its content once there. */
export function Async<T>({ query, children }: { query: { data?: T; error: unknown; isPending: boolean }; children(data: T): ReactNode }) {
  const errorText = useErrorText();
  if (query.error) return <FormError message={errorText(query.error)} />;
  if (query.isPending || query.data === undefined) return <Loading />;
  return <>{children(query.data)}</>;
}

const STATUS_COLORS: Record<string, string> = {
  enabled: 'green',
  ok: 'green',
  unused: 'blue',
  redeemed: 'gray',
  disabled: 'gray',
  auto_disabled: 'red',
  error: 'red',
};

export function StatusBadge({ status }: { status: string }) {
  const { t } = useTranslation();
  const known = ['enabled', 'disabled', 'auto_disabled', 'ok', 'error', 'unused', 'redeemed'] as const;
  const label = (known as readonly string[]).includes(status) ? t(`status.${status as (typeof known)[number]}`) : status;
  return (
    <Badge color={STATUS_COLORS[status] ?? 'gray'} variant="light">
      {label}
    </Badge>
  );
}

/** A button that asks "are you sure?" inline (a second click within a few seconds) before it acts. */
export function ConfirmButton({ onConfirm, children, ...props }: ButtonProps & { onConfirm(): void | Promise<void>; children: ReactNode }) {
  const { t } = useTranslation();
  const [armed, setArmed] = useState(false);
  const [busy, setBusy] = useState(false);
  return (
    <Button
      {...props}
      loading={busy}
      color={armed ? 'red' : props.color}
      onBlur={() => setArmed(false)}
      onClick={async () => {
        if (!armed) {
          setArmed(true);
          return;
        }
        setBusy(true);
        try {
          await onConfirm();
        } finally {
          setBusy(false);
          setArmed(false);
        }
      }}
    >
      {armed ? t('common.confirm') : children}
    </Button>
  );
}
