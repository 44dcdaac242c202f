// Link a chat account: a one-time code (10 minutes) with the Telegram deep link and the exact /link command for
// Discord and QQ; the linked accounts with an unlink button.
import { useState } from 'react';
import { Anchor, Button, Card, Code, CopyButton, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { del, get, post } from '../api';
import { useFormat } from '../format';
import { useSession } from '../session';
import { useErrorText } from '../errors';
import { Async, ConfirmButton, FormError, PageTitle } from '../components/common';
import type { LinkedAccount } from '../types';

export const telegramDeepLink = (bot: string, code: string) => `https://t.me/${encodeURIComponent(bot)}?start=${encodeURIComponent(code)}`;

export function ChatAccounts() {
  const { t } = useTranslation();
  const { site } = useSession();
  const f = useFormat();
  const client = useQueryClient();
  const errorText = useErrorText();
  const [code, setCode] = useState<{ code: string; expiresAt: string } | null>(null);
  const [error, setError] = useState<string>();
  const links = useQuery({ queryKey: ['links'], queryFn: ({ signal }) => get<{ items: LinkedAccount[] }>('/links', {}, signal) });

  async function newCode() {
    setError(undefined);
    try {
      setCode(await post<{ code: string; expiresAt: string }>('/links/code'));
    } catch (err) {
      setError(errorText(err));
    }
  }

  const command = code ? `/link ${code.code}` : '';
  const bot = site?.telegramBotUsername;
  return (
    <>
      <PageTitle>{t('nav.chatAccounts')}</PageTitle>
      <FormError message={error} />
      <Card withBorder radius="md" mb="md">
        <Title order={4}>{t('links.title')}</Title>
        <Text size="sm" c="dimmed" mb="sm">
          {t('links.explain')}
        </Text>
        {code ? (
          <Stack gap="xs">
            <Text>
              {t('links.code')} <Code data-testid="link-code">{code.code}</Code>{' '}
              <Text span size="sm" c="dimmed">
                {t('links.expires', { time: f.dateTime(code.expiresAt) })}
              </Text>
            </Text>
            <Text fw={500}>Telegram</Text>
            {bot ? (
              <Anchor href={telegramDeepLink(bot, code.code)} target="_blank" rel="noopener noreferrer" data-testid="telegram-link">
                {telegramDeepLink(bot, code.code)}
              </Anchor>
            ) : (
              <Text size="sm">{t('links.telegramNoBot', { command })}</Text>
            )}
            <Text fw={500}>{t('links.discordQq')}</Text>
            <Group gap="xs">
              <Code data-testid="link-command">{command}</Code>
              <CopyButton value={command}>
                {({ copied, copy }) => (
                  <Button size="xs" variant="light" onClick={copy}>
                    {copied ? t('common.copied') : t('common.copy')}
                  </Button>
                )}
              </CopyButton>
            </Group>
            <Text size="sm" c="dimmed">
              {t('links.privateOnly')}
            </Text>
          </Stack>
        ) : null}
        <Group mt="md">
          <Button onClick={() => void newCode()}>{code ? t('links.another') : t('links.getCode')}</Button>
          {code && (
            <Button variant="default" onClick={() => void client.invalidateQueries({ queryKey: ['links'] })}>
              {t('links.refresh')}
            </Button>
          )}
        </Group>
      </Card>
      <Title order={4} mb="xs">
        {t('links.linked')}
      </Title>
      <Async query={links}>
        {(data) =>
          data.items.length === 0 ? (
            <Text c="dimmed">{t('links.none')}</Text>
          ) : (
            <div className="table-wrap">
              <Table>
                <Table.Tbody>
                  {data.items.map((link) => (
                    <Table.Tr key={link.id}>
                      <Table.Td>{link.platform}</Table.Td>
                      <Table.Td className="mono">{link.platformUserId}</Table.Td>
                      <Table.Td>{f.dateTime(link.createdAt)}</Table.Td>
                      <Table.Td>
                        <ConfirmButton
                          size="xs"
                          variant="subtle"
                          onConfirm={async () => {
                            try {
                              await del(`/links/${link.id}`);
                              await client.invalidateQueries({ queryKey: ['links'] });
                            } catch (err) {
                              setError(errorText(err));
                            }
                          }}
                        >
                          {t('links.unlink')}
                        </ConfirmButton>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </div>
          )
        }
      </Async>
    </>
  );
}
