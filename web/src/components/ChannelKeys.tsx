// A channel's upstream keys, in one component (the key API may grow; only this file knows it). Stored keys are shown
// masked with their state; each can be enabled, disabled or removed at once through its own route
// (PATCH/DELETE /api/channels/:id/keys/:keyId). New keys are typed in full, one per line, and sent with the form:
// with the channel when it is created, or added (POST /api/channels/:id/keys) when it is saved; they are never shown
// again. The channel's own PATCH never carries keys, because there they would replace every stored key.
import { useState } from 'react';
import { ActionIcon, Badge, Group, Stack, Switch, Text, Textarea, Tooltip } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { del, patch } from '../api';
import { useErrorText } from '../errors';
import type { Channel, ChannelKey } from '../types';

/** The new keys typed into the box. */
export const newKeys = (text: string): string[] =>
  text
    .split('\n')
    .map((k) => k.trim())
    .filter(Boolean);

const KEY_COLORS: Record<ChannelKey['status'], string> = { enabled: 'green', disabled: 'gray', auto_disabled: 'red' };

function StoredKey({ channelId, item, onChannel, onError }: { channelId: number; item: ChannelKey; onChannel(c: Channel): void; onError(e: unknown): void }) {
  const { t } = useTranslation();
  const [busy, setBusy] = useState(false);
  const act = async (action: () => Promise<Channel>) => {
    setBusy(true);
    try {
      onChannel(await action());
    } catch (err) {
      onError(err);
    } finally {
      setBusy(false);
    }
  };
  const badge = (
    <Badge color={KEY_COLORS[item.status]} variant="light">
      {t(`status.${item.status}`)}
    </Badge>
  );
  return (
    <Group gap="xs" wrap="nowrap">
      <Text size="sm" className="mono">
        {item.mask}
      </Text>
      {item.disabledReason ? <Tooltip label={item.disabledReason}>{badge}</Tooltip> : badge}
      <Switch
        size="xs"
        disabled={busy}
        aria-label={t('channels.keyEnabled', { key: item.mask })}
        checked={item.status === 'enabled'}
        onChange={(e) => {
          const status = e.currentTarget.checked ? 'enabled' : 'disabled';
          void act(() => patch<Channel>(`/channels/${channelId}/keys/${item.id}`, { status }));
        }}
      />
      <ActionIcon
        variant="subtle"
        color="red"
        disabled={busy}
        aria-label={t('channels.removeKey', { key: item.mask })}
        onClick={() => void act(() => del<Channel>(`/channels/${channelId}/keys/${item.id}`))}
      >
        ×
      </ActionIcon>
    </Group>
  );
}

export function ChannelKeys({
  channel,
  added,
  onAddedChange,
  onChannel,
  error,
}: {
  /** The stored channel when editing (its keys are listed); undefined when creating. */
  channel?: Channel;
  added: string;
  onAddedChange(text: string): void;
  /** The channel as a key route answered it. */
  onChannel(channel: Channel): void;
  error?: string;
}) {
  const { t } = useTranslation();
  const errorText = useErrorText();
  const [keyError, setKeyError] = useState<string>();
  return (
    <Stack gap={4}>
      <Text size="sm" fw={500}>
        {t('channels.keys')}
      </Text>
      {channel?.keys.map((item) => (
        <StoredKey
          key={item.id}
          channelId={channel.id}
          item={item}
          onChannel={(c) => {
            setKeyError(undefined);
            onChannel(c);
          }}
          onError={(err) => setKeyError(errorText(err))}
        />
      ))}
      {keyError && (
        <Text size="sm" c="red" role="alert">
          {keyError}
        </Text>
      )}
      <Textarea
        label={t('channels.addKeys')}
        description={t('channels.addKeysHint')}
        autosize
        minRows={2}
        value={added}
        onChange={(e) => onAddedChange(e.currentTarget.value)}
        error={error}
        spellCheck={false}
        autoComplete="off"
      />
    </Stack>
  );
}
