// Shows a secret the server returns only once (a new relay token's key, new redemption codes) with a copy button. The
// secret lives only in the caller's component state and is dropped when the dialog closes: no store, no cache.
import { Alert, Button, CopyButton, Group, Modal, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

export function SecretOnce({ title, secret, onClose, children }: { title: string; secret: string | null; onClose(): void; children?: ReactNode }) {
  const { t } = useTranslation();
  return (
    <Modal opened={secret !== null} onClose={onClose} title={title} size="lg">
      <Stack>
        <Alert color="yellow">{t('common.shownOnce')}</Alert>
        <Text className="mono" data-testid="secret" p="sm" bg="gray.1">
          {secret}
        </Text>
        {children}
        <Group justify="flex-end">
          <CopyButton value={secret ?? ''}>
            {({ copied, copy }) => (
              <Button variant="light" onClick={copy}>
                {copied ? t('common.copied') : t('common.copy')}
              </Button>
            )}
          </CopyButton>
          <Button onClick={onClose}>{t('common.done')}</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
