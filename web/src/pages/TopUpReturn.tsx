// Where the buyer lands after a checkout made in the console (/wallet/return?order=<number>; the server sends Stripe's
// success and cancel URLs and the EPay return URL here for console orders). The return itself proves nothing: this
// page finds the order among the buyer's own (GET /api/payments/orders?tradeNo=) and asks the server for its status
// (GET /api/payments/orders/:id) until the provider's confirmation has been processed or the order has expired.
import { useEffect, useRef, useState } from 'react';
import { Alert, Anchor, Button, Card, Group, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { get } from '../api';
import { useFormat } from '../format';
import { useAccount, useSession } from '../session';
import { Async, PageTitle } from '../components/common';
import { ORDER_COLORS, OrderStatusBadge, usePaidWith } from '../components/PaymentBits';
import type { Page } from '../types';
import type { PaymentOrder } from '../payments';

/** Checked every 2 s for the first two minutes, then every 10 s (a payment can take a while to be confirmed). */
const pollEvery = (since: number) => (Date.now() - since < 120_000 ? 2_000 : 10_000);

function OrderState({ order }: { order: PaymentOrder }) {
  const { t } = useTranslation();
  const account = useAccount();
  const { money, refresh } = useSession();
  const f = useFormat(money);
  const paidWith = usePaidWith();
  const [since] = useState(() => Date.now());
  const [balanceRead, setBalanceRead] = useState(false);
  const status = useQuery({
    queryKey: ['payments', 'order', order.id],
    queryFn: ({ signal }) => get<PaymentOrder>(`/payments/orders/${order.id}`, {}, signal),
    initialData: order,
    staleTime: 0,
    refetchInterval: (q) => (q.state.data?.status === 'pending' ? pollEvery(since) : false),
  });
  const now = status.data;
  const paid = now.status === 'paid';
  // The balance in the header and the dashboard: read again once the money has arrived.
  const asked = useRef(false);
  useEffect(() => {
    if (!paid || asked.current) return;
    asked.current = true;
    void refresh().then(() => setBalanceRead(true));
  }, [paid, refresh]);

  const message =
    now.status === 'paid'
      ? `${t('payments.return.paid', { quota: f.quotaUsd(now.quota) })}${balanceRead ? ` ${t('payments.return.balance', { balance: f.quotaLocal(account.quota) })}` : ''}`
      : t(`payments.return.${now.status}`);
  return (
    <Stack>
      <Alert color={ORDER_COLORS[now.status]} role="status" aria-live="polite" data-testid="order-state" title={t(`payments.status.${now.status}`)}>
        {message}
      </Alert>
      <Card withBorder radius="md">
        <dl className="facts">
          <dt>{t('payments.orders.number')}</dt>
          <dd className="mono">{now.tradeNo}</dd>
          <dt>{t('payments.orders.amount')}</dt>
          <dd>{f.minor(now.amount, now.currency, now.minorDigits)}</dd>
          <dt>{t('payments.orders.quota')}</dt>
          <dd>
            {f.quotaUsd(now.quota)} ({f.integer(now.quota)} {t('common.units')})
            {now.bonusQuota > 0 && ` · ${t('payments.topUp.bonusShort', { bonus: f.quotaUsd(now.bonusQuota) })}`}
          </dd>
          <dt>{t('payments.orders.paidWith')}</dt>
          <dd>{paidWith.order(now)}</dd>
          <dt>{t('payments.orders.status')}</dt>
          <dd>
            <OrderStatusBadge status={now.status} />
          </dd>
          <dt>{t('payments.orders.created')}</dt>
          <dd>{f.dateTime(now.createdAt)}</dd>
          {now.paidAt ? (
            <>
              <dt>{t('payments.orders.paidAt')}</dt>
              <dd>{f.dateTime(now.paidAt)}</dd>
            </>
          ) : (
            <>
              <dt>{t('payments.orders.expires')}</dt>
              <dd>{f.dateTime(now.expiresAt)}</dd>
            </>
          )}
        </dl>
      </Card>
      <Group>
        {now.checkoutUrl && (
          <Button component="a" href={now.checkoutUrl}>
            {t('payments.orders.continue')}
          </Button>
        )}
        <Button component={Link} to="/wallet" variant={now.checkoutUrl ? 'default' : 'filled'}>
          {paid ? t('payments.return.back') : t('payments.return.newTopUp')}
        </Button>
      </Group>
    </Stack>
  );
}

export default function TopUpReturn() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const tradeNo = params.get('order')?.trim() ?? '';
  const found = useQuery({
    queryKey: ['payments', 'order-number', tradeNo],
    queryFn: ({ signal }) => get<Page<PaymentOrder>>('/payments/orders', { tradeNo, pageSize: 1 }, signal),
    enabled: tradeNo !== '' && tradeNo.length <= 64,
  });
  return (
    <>
      <PageTitle>{t('payments.return.title')}</PageTitle>
      {tradeNo === '' || tradeNo.length > 64 ? (
        <NotFound tradeNo={tradeNo} />
      ) : (
        <Async query={found}>{(page) => (page.items[0] ? <OrderState order={page.items[0]} /> : <NotFound tradeNo={tradeNo} />)}</Async>
      )}
    </>
  );
}

function NotFound({ tradeNo }: { tradeNo: string }) {
  const { t } = useTranslation();
  return (
    <Stack>
      <Alert color="yellow" role="status">
        {tradeNo ? t('payments.return.unknown', { number: tradeNo }) : t('payments.return.noNumber')}
      </Alert>
      <Text>
        <Anchor component={Link} to="/wallet">
          {t('payments.return.newTopUp')}
        </Anchor>
      </Text>
    </Stack>
  );
}
