// Every payment order, filtered on the server (status, provider, user, order number, creation day) a page at a time.
// An order opens in a drawer with its history and the admin's actions (OrderDetail).
import { useState } from 'react';
import { Anchor, Button, Drawer, Select, Table, Text, TextInput } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { get } from '../../api';
import { dayStart, useFormat } from '../../format';
import { useSession } from '../../session';
import { Async, PageTitle, Pager } from '../../components/common';
import { OrderStatusBadge, usePaidWith } from '../../components/PaymentBits';
import { ORDER_STATUSES, PROVIDERS, type PaymentOrder } from '../../payments';
import type { Page } from '../../types';
import { OrderDetail } from './OrderDetail';

const PAGE_SIZE = 50;

interface Filters {
  status: string | null;
  provider: string | null;
  userId: string;
  tradeNo: string;
  from: string;
  to: string;
}
const EMPTY: Filters = { status: null, provider: null, userId: '', tradeNo: '', from: '', to: '' };

const queryOf = (f: Filters) => ({
  status: f.status ?? undefined,
  provider: f.provider ?? undefined,
  userId: /^\d+$/.test(f.userId.trim()) ? Number(f.userId.trim()) : undefined,
  tradeNo: f.tradeNo.trim() || undefined,
  from: dayStart(f.from),
  to: dayStart(f.to, 1),
});

export default function Orders() {
  const { t } = useTranslation();
  const { money } = useSession();
  const f = useFormat(money);
  const paidWith = usePaidWith();
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState<number | null>(null);
  const query = queryOf(filters);
  const orders = useQuery({
    queryKey: ['payments', 'admin-orders', query, page],
    queryFn: ({ signal }) => get<Page<PaymentOrder>>('/payments/admin/orders', { ...query, page, pageSize: PAGE_SIZE }, signal),
    placeholderData: keepPreviousData,
  });
  const set = (key: keyof Filters) => (value: string | null) => setDraft((d) => ({ ...d, [key]: value }));
  const apply = (next: Filters) => {
    setDraft(next);
    setFilters(next);
    setPage(1);
  };

  return (
    <>
      <PageTitle>{t('adminNav.orders')}</PageTitle>
      <form
        className="filters"
        aria-label={t('payments.admin.filters')}
        onSubmit={(e) => {
          e.preventDefault();
          apply(draft);
        }}
      >
        <Select
          label={t('payments.orders.status')}
          clearable
          value={draft.status}
          onChange={set('status')}
          data={ORDER_STATUSES.map((s) => ({ value: s, label: t(`payments.status.${s}`) }))}
        />
        <Select
          label={t('payments.admin.provider')}
          clearable
          value={draft.provider}
          onChange={set('provider')}
          data={PROVIDERS.map((p) => ({ value: p, label: t(`payments.providers.${p}`) }))}
        />
        <TextInput label={t('logs.userId')} inputMode="numeric" value={draft.userId} onChange={(e) => set('userId')(e.currentTarget.value)} />
        <TextInput label={t('payments.orders.number')} value={draft.tradeNo} onChange={(e) => set('tradeNo')(e.currentTarget.value)} spellCheck={false} />
        <TextInput type="date" label={t('logs.from')} value={draft.from} onChange={(e) => set('from')(e.currentTarget.value)} />
        <TextInput type="date" label={t('logs.to')} value={draft.to} onChange={(e) => set('to')(e.currentTarget.value)} />
        <Button type="submit">{t('logs.apply')}</Button>
      </form>
      <Async query={orders}>
        {(data) =>
          data.items.length === 0 ? (
            <Text c="dimmed" mt="md">
              {t('payments.admin.none')}
            </Text>
          ) : (
            <>
              <div className="table-wrap">
                <Table striped mt="md" data-testid="admin-orders">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>{t('payments.orders.number')}</Table.Th>
                      <Table.Th>{t('payments.orders.created')}</Table.Th>
                      <Table.Th>{t('payments.admin.buyer')}</Table.Th>
                      <Table.Th>{t('payments.orders.paidWith')}</Table.Th>
                      <Table.Th>{t('payments.orders.amount')}</Table.Th>
                      <Table.Th>{t('payments.orders.quota')}</Table.Th>
                      <Table.Th>{t('payments.orders.status')}</Table.Th>
                      <Table.Th>{t('payments.admin.refunded')}</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {data.items.map((o) => (
                      <Table.Tr key={o.id}>
                        <Table.Td className="mono">
                          <Anchor component="button" type="button" size="sm" onClick={() => setOpen(o.id)} aria-label={t('payments.admin.open', { number: o.tradeNo })}>
                            {o.tradeNo}
                          </Anchor>
                        </Table.Td>
                        <Table.Td className="nowrap">{f.dateTime(o.createdAt)}</Table.Td>
                        <Table.Td className="nowrap">
                          <Anchor
                            component="button"
                            type="button"
                            size="sm"
                            onClick={() => apply({ ...EMPTY, userId: String(o.userId) })}
                            aria-label={t('payments.admin.byUser', { user: o.username ?? o.userId })}
                          >
                            {o.username ?? '—'} #{o.userId}
                          </Anchor>
                        </Table.Td>
                        <Table.Td>{paidWith.order(o)}</Table.Td>
                        <Table.Td className="nowrap">{f.minor(o.amount, o.currency, o.minorDigits)}</Table.Td>
                        <Table.Td className="nowrap">{f.quotaUsd(o.quota)}</Table.Td>
                        <Table.Td>
                          <OrderStatusBadge status={o.status} />
                        </Table.Td>
                        <Table.Td className="nowrap">{o.refundedAmount + o.disputedAmount > 0 ? f.minor(o.refundedAmount + o.disputedAmount, o.currency, o.minorDigits) : ''}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </div>
              <Pager page={page} pageSize={PAGE_SIZE} total={data.total} onChange={setPage} />
            </>
          )
        }
      </Async>
      <Drawer opened={open !== null} onClose={() => setOpen(null)} position="right" size="lg" title={t('payments.admin.detail')}>
        {open !== null && <OrderDetail id={open} />}
      </Drawer>
    </>
  );
}
