// Model prices per 1M tokens (or per request) in USD and the operator's currency. Signed in: the caller's group, with
// the models it can use; signed out (public page): the default group, or the one chosen.
import { useState } from 'react';
import { Badge, Card, Select, Table, Text, TextInput } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { get } from '../api';
import { useFormat } from '../format';
import { useSession } from '../session';
import { Async, PageTitle } from '../components/common';
import type { Pricing as PricingT } from '../types';

export function Pricing() {
  const { t } = useTranslation();
  const { account, money } = useSession();
  const f = useFormat(money);
  const [search, setSearch] = useState('');
  const [onlyMine, setOnlyMine] = useState<string | null>('available');
  const pricing = useQuery({ queryKey: ['pricing', account?.group ?? null], queryFn: ({ signal }) => get<PricingT>('/pricing', {}, signal) });
  const local = (usd: string | null) => (usd === null ? '' : f.local(Number(usd) * money.exchangeRate));

  return (
    <>
      <PageTitle>{t('nav.pricing')}</PageTitle>
      <Async query={pricing}>
        {(data) => {
          const rows = data.models.filter(
            (m) => m.model.toLowerCase().includes(search.trim().toLowerCase()) && (onlyMine !== 'available' || m.available),
          );
          return (
            <>
              <Card withBorder radius="md" mb="md">
                <Text>
                  {t('pricing.group', { group: data.group, ratio: data.groupRatio })}
                </Text>
                <Text size="sm" c="dimmed">
                  {t('wallet.price', { usd: f.usd(1), local: f.local(data.recharge.exchangeRate) })}
                </Text>
              </Card>
              <div className="filters">
                <TextInput label={t('pricing.search')} value={search} onChange={(e) => setSearch(e.currentTarget.value)} />
                <Select
                  label={t('pricing.show')}
                  value={onlyMine}
                  onChange={setOnlyMine}
                  allowDeselect={false}
                  data={[
                    { value: 'available', label: t('pricing.available') },
                    { value: 'all', label: t('pricing.all') },
                  ]}
                />
              </div>
              <div className="table-wrap">
                <Table striped mt="md" data-testid="pricing-table">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>{t('pricing.model')}</Table.Th>
                      <Table.Th>{t('pricing.input')}</Table.Th>
                      <Table.Th>{t('pricing.output')}</Table.Th>
                      <Table.Th>{t('pricing.perRequest')}</Table.Th>
                      <Table.Th>{t('pricing.groups')}</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {rows.map((m) => (
                      <Table.Tr key={m.model}>
                        <Table.Td>
                          {m.model} {!m.priced && <Badge color="gray">{t('pricing.unpriced')}</Badge>}
                        </Table.Td>
                        <Table.Td>
                          {m.inputUsdPer1M !== null && `${f.usd(Number(m.inputUsdPer1M))} · ${local(m.inputUsdPer1M)}`}
                          {m.tiers.map((tier) => (
                            <Text key={tier.above} size="xs" c="dimmed" data-testid={`tier-${m.model}-${tier.above}`}>
                              {t('pricing.tier', { tokens: f.integer(tier.above), price: `${f.usd(Number(tier.inputUsdPer1M))} · ${local(tier.inputUsdPer1M)}` })}
                            </Text>
                          ))}
                        </Table.Td>
                        <Table.Td>
                          {m.outputUsdPer1M !== null && `${f.usd(Number(m.outputUsdPer1M))} · ${local(m.outputUsdPer1M)}`}
                          {m.tiers.map((tier) => (
                            <Text key={tier.above} size="xs" c="dimmed">
                              {t('pricing.tier', { tokens: f.integer(tier.above), price: `${f.usd(Number(tier.outputUsdPer1M))} · ${local(tier.outputUsdPer1M)}` })}
                            </Text>
                          ))}
                        </Table.Td>
                        <Table.Td>{m.perRequestUsd !== null && `${f.usd(Number(m.perRequestUsd))} · ${local(m.perRequestUsd)}`}</Table.Td>
                        <Table.Td>{m.groups.join(', ')}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </div>
              <Text size="xs" c="dimmed" mt="xs">
                {t('pricing.per1M')}
              </Text>
              {rows.some((m) => m.tiers.length > 0) && (
                <Text size="xs" c="dimmed">
                  {t('pricing.tiers')}
                </Text>
              )}
            </>
          );
        }}
      </Async>
    </>
  );
}
