// The key list of a channel form, in one component so that the channel-key model can change in one place.
// The API shows stored keys masked ("sk-ab…wxyz"); sending a masked value back keeps that stored key, leaving it out
// removes it, and new keys are added in full. Disabled keys show why.
import { ActionIcon, Badge, Group, Stack, Text, Textarea, Tooltip } from '@mantine/core';
import { useTranslation } from 'react-i18next';

export interface KeyListValue {
  /** Masked stored keys that stay. */
  kept: string[];
  /** Keys typed in, one per line. */
  added: string;
}

/** The `keys` field for the API: kept masked keys plus the new ones. */
export const keysForApi = (value: KeyListValue): string[] => [
  ...value.kept,
  ...value.added
    .split('\n')
    .map((k) => k.trim())
    .filter(Boolean),
];

export function ChannelKeys({
  value,
  onChange,
  disabledKeys = {},
  stored = [],
  error,
}: {
  value: KeyListValue;
  onChange(value: KeyListValue): void;
  disabledKeys?: Record<string, string>;
  /** The channel's masked keys as loaded (indexes match disabledKeys). */
  stored?: string[];
  error?: string;
}) {
  const { t } = useTranslation();
  return (
    <Stack gap={4}>
      <Text size="sm" fw={500}>
        {t('channels.keys')}
      </Text>
      {stored.map((masked, index) =>
        value.kept.includes(masked) ? (
          <Group key={`${masked}-${index}`} gap="xs" wrap="nowrap">
            <Text size="sm" className="mono">
              {masked}
            </Text>
            {disabledKeys[String(index)] && (
              <Tooltip label={disabledKeys[String(index)]}>
                <Badge color="red" variant="light">
                  {t('status.disabled')}
                </Badge>
              </Tooltip>
            )}
            <ActionIcon
              variant="subtle"
              color="red"
              aria-label={t('channels.removeKey', { key: masked })}
              onClick={() => onChange({ ...value, kept: value.kept.filter((k) => k !== masked) })}
            >
              ×
            </ActionIcon>
          </Group>
        ) : null,
      )}
      <Textarea
        label={t('channels.addKeys')}
        description={t('channels.addKeysHint')}
        autosize
        minRows={2}
        value={value.added}
        onChange={(e) => onChange({ ...value, added: e.currentTarget.value })}
        error={error}
        spellCheck={false}
        autoComplete="off"
      />
    </Stack>
  );
}
