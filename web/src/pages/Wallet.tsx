// Balance & top-up: the balance and a redemption code; paying online with the operator's presets and limits
// (GET /api/payments/offer), which makes an order (POST /api/payments/orders) and sends the browser to its checkout;
// Telegram Stars are paid in the bot; and the user's own orders, a page at a time from the server.
import { useState, type FormEvent } from 'react';
import { Anchor, Button, Card, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { get, post } from '../api';
import { useFormat } from '../format';
import { useAccount, useSession } from '../session';
import { useFormErrors } from '../errors';
import { Async, FormError, PageTitle, Pager } from '../components/common';
import { OrderStatusBadge, usePaidWith } from '../components/PaymentBits';
import type { Page } from '../types';
import type { Offer, PaymentOrder, Quote } from '../payments';
import { TopUpForm, type OrderInput } from './TopUpForm';
import * as v from '../validation';

const FIELDS = ['code'] as const;
const PAGE_SIZE = 20;

/** Leaves for a checkout page (a function, so component tests can watch it). */
export const goTo = {
  checkout(url: string) {
    window.location.assign(url);
  },
};

function Redeem() {
  const { t } = useTranslation();
  const { money, refresh } = useSession();
  const f = useFormat(money);
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string>();
  const errors = useFormErrors(FIELDS);

  async function redeem(event: FormEvent) {
    event.preventDefault();
    errors.clear();
    setDone(undefined);
    const problem = v.required(code);
    if (problem) return errors.setFieldErrors({ code: t(problem) });
    setBusy(true);
    try {
      const result = await post<{ quota: number; balance: number }>('/redeem', { code: code.trim() });
      setCode('');
      setDone(t('wallet.redeemed', { amount: f.quotaLocal(result.quota), balance: f.quotaLocal(result.balance) }));
      await refresh();
    } catch (err) {
      errors.fromServer(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={redeem} noValidate>
      <Stack mt="md">
        <FormError message={errors.formError} />
        <TextInput
          label={t('wallet.code')}
          value={code}
          onChange={(e) => setCode(e.currentTarget.value)}
          error={errors.fieldErrors.code}
          autoComplete="off"
          spellCheck={false}
        />
        {done && (
          <Text c="green" role="status">
            {done}
          </Text>
        )}
        <Group justify="flex-end">
          <Button type="submit" loading={busy}>
            {t('wallet.redeem')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** Telegram Stars are paid inside the bot: where to go, and that the chat account must be linked first. */
function StarsNote({ bot }: { bot: string | undefined }) {
  const { t } = useTranslation();
  return (
    <Text size="sm" mt="md" data-testid="stars-note">
      {t('payments.topUp.stars')}{' '}
      {bot ? (
        <Anchor href={`https://t.me/${encodeURIComponent(bot)}`} target="_blank" rel="noopener noreferrer">
          @{bot}
        </Anchor>
      ) : (
        t('payments.topUp.starsNoBot')
      )}
      {' · '}
      <Anchor component={Link} to="/chat-accounts">
        {t('payments.topUp.starsLink')}
      </Anchor>
    </Text>
  );
}

function TopUp() {
  const { t } = useTranslation();
  const { site, money } = useSession();
  const f = useFormat(money);
  const offer = useQuery({ queryKey: ['payments', 'offer'], queryFn: ({ signal }) => get<Offer>('/payments/offer', {}, signal) });

  async function order(input: OrderInput) {
    const { checkoutUrl } = await post<{ order: PaymentOrder; checkoutUrl: string }>('/payments/orders', input);
    goTo.checkout(checkoutUrl);
  }

  return (
    <Card withBorder radius="md">
      <Title order={4} mb="xs">
        {t('wallet.topUp')}
      </Title>
      <Async query={offer}>
        {(o) => (
          <>
            {o.providers.length > 0 ? (
              <TopUpForm offer={o} money={money} quote={(amount, signal) => get<Quote>('/payments/quote', { amount }, signal)} onOrder={order} />
            ) : (
              !o.stars && (
                <Text c="dimmed" size="sm">
                  {t('payments.topUp.offline')} {!site?.topUpLink && t('wallet.noLink')}
                </Text>
              )
            )}
            {o.stars && <StarsNote bot={site?.telegramBotUsername || undefined} />}
          </>
        )}
      </Async>
      <Text size="sm" c="dimmed" mt="md">
        {t('wallet.price', { usd: f.usd(1), local: f.local(money.exchangeRate) })} {t('wallet.units', { units: f.integer(money.quotaPerUsd) })}
      </Text>
      <Group gap="md" mt="xs">
        {site?.topUpLink && (
          <Anchor size="sm" href={site.topUpLink} target="_blank" rel="noopener noreferrer">
            {t('wallet.buyCodes')}
          </Anchor>
        )}
        <Anchor size="sm" component={Link} to="/pricing">
          {t('wallet.seePrices')}
        </Anchor>
      </Group>
    </Card>
  );
}

function MyOrders() {
  const { t } = useTranslation();
  const { money } = useSession();
  const f = useFormat(money);
  const paidWith = usePaidWith();
  const [page, setPage] = useState(1);
  const orders = useQuery({
    queryKey: ['payments', 'orders', page],
    queryFn: ({ signal }) => get<Page<PaymentOrder>>('/payments/orders', { page, pageSize: PAGE_SIZE }, signal),
    placeholderData: keepPreviousData,
  });
  return (
    <Card withBorder radius="md" mt="md">
      <Title order={4} mb="xs">
        {t('payments.orders.mine')}
      </Title>
      <Async query={orders}>
        {(data) =>
          data.total === 0 ? (
            <Text c="dimmed" size="sm">
              {t('payments.orders.none')}
            </Text>
          ) : (
            <>
              <div className="table-wrap">
                <Table striped data-testid="my-orders">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>{t('payments.orders.created')}</Table.Th>
                      <Table.Th>{t('payments.orders.amount')}</Table.Th>
                      <Table.Th>{t('payments.orders.quota')}</Table.Th>
                      <Table.Th>{t('payments.orders.paidWith')}</Table.Th>
                      <Table.Th>{t('payments.orders.status')}</Table.Th>
                      <Table.Th>{t('payments.orders.number')}</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {data.items.map((o) => (
                      <Table.Tr key={o.id}>
                        <Table.Td className="nowrap">{f.dateTime(o.createdAt)}</Table.Td>
                        <Table.Td className="nowrap">{f.minor(o.amount, o.currency, o.minorDigits)}</Table.Td>
                        <Table.Td className="nowrap">{f.quotaUsd(o.quota)}</Table.Td>
                        <Table.Td>{paidWith.order(o)}</Table.Td>
                        <Table.Td className="nowrap">
                          <OrderStatusBadge status={o.status} />
                          {o.checkoutUrl && (
                            <Anchor size="sm" href={o.checkoutUrl} ml={6}>
                              {t('payments.orders.continue')}
                            </Anchor>
                          )}
                        </Table.Td>
                        <Table.Td className="mono">
                          <Anchor component={Link} size="sm" to={`/wallet/return?order=${encodeURIComponent(o.tradeNo)}`}>
                            {o.tradeNo}
                          </Anchor>
                        </Table.Td>
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
    </Card>
  );
}

export function Wallet() {
  const { t } = useTranslation();
  const account = useAccount();
  const { money } = useSession();
  const f = useFormat(money);
  return (
    <>
      <PageTitle>{t('nav.wallet')}</PageTitle>
      <div className="grid-2">
        <Card withBorder radius="md">
          <Title order={4}>{t('wallet.balance')}</Title>
          <Text size="xl" fw={700} data-testid="balance">
            {f.quotaLocal(account.quota)}
          </Text>
          <Text size="sm" c="dimmed">
            {f.quotaUsd(account.quota)} · {f.integer(account.quota)} {t('common.units')}
          </Text>
          <Redeem />
        </Card>
        <TopUp />
      </div>
      <MyOrders />
    </>
  );
}
