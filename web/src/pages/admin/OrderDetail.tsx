// One order for an admin (GET /api/payments/admin/orders/:id): every field, the notifications and actions recorded
// for it, and what can be done now: mark an unpaid order paid by hand (a note is required and logged), or refund a
// paid one as its provider allows (Stripe any amount, Telegram Stars the whole payment; EPay has no refund call, so a
// refund made in the gateway's panel is recorded here).
import { useState, type FormEvent, type ReactNode } from 'react';
import { Alert, Card, Checkbox, Group, Stack, Table, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { get, post } from '../../api';
import { useFormErrors } from '../../errors';
import { useFormat } from '../../format';
import { useSession } from '../../session';
import { Async, ConfirmButton, FormError } from '../../components/common';
import { OrderStatusBadge, usePaidWith } from '../../components/PaymentBits';
import { checkAmount, minorToText, type OrderDetail as Detail, type PaymentOrder, type RefundResult } from '../../payments';

const SOURCES = ['console', 'telegram', 'discord', 'qq', 'onebot'] as const;
type Source = (typeof SOURCES)[number];
const MARK_FIELDS = ['note'] as const;
const REFUND_FIELDS = ['amount', 'reason', 'recordOnly'] as const;

function MarkPaid({ order, onDone }: { order: PaymentOrder; onDone(notice: string): Promise<unknown> }) {
  const { t } = useTranslation();
  const { money } = useSession();
  const f = useFormat(money);
  const [note, setNote] = useState('');
  const errors = useFormErrors(MARK_FIELDS);
  async function submit() {
    errors.clear();
    if (!note.trim()) return errors.setFieldErrors({ note: t('validation.required') });
    try {
      await post(`/payments/admin/orders/${order.id}/mark-paid`, { note: note.trim() });
      await onDone(t('payments.admin.markedPaid', { quota: f.quotaUsd(order.quota), user: order.username ?? `#${order.userId}` }));
    } catch (err) {
      errors.fromServer(err);
    }
  }
  return (
    <Card withBorder radius="md">
      <Title order={5}>{t('payments.admin.markPaid')}</Title>
      <Text size="sm" c="dimmed" mb="xs">
        {t('payments.admin.markPaidHint', { quota: f.quotaUsd(order.quota), user: order.username ?? `#${order.userId}` })}
      </Text>
      <form onSubmit={(e: FormEvent) => e.preventDefault()} noValidate aria-label={t('payments.admin.markPaid')}>
        <Stack gap="xs">
          <FormError message={errors.formError} />
          <Textarea
            label={t('payments.admin.note')}
            description={t('payments.admin.noteHint')}
            required
            maxLength={500}
            autosize
            minRows={2}
            value={note}
            onChange={(e) => setNote(e.currentTarget.value)}
            error={errors.fieldErrors.note}
          />
          <Group justify="flex-end">
            <ConfirmButton onConfirm={submit}>{t('payments.admin.markPaidButton')}</ConfirmButton>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

function Refund({ detail, onDone }: { detail: Detail; onDone(notice: string): Promise<unknown> }) {
  const { t } = useTranslation();
  const { money } = useSession();
  const f = useFormat(money);
  const { order } = detail;
  const refund = detail.refund!;
  const recordOnlyForced = refund.throughProvider === 'none';
  const [amount, setAmount] = useState(minorToText(refund.left, order.minorDigits));
  const [reason, setReason] = useState('');
  const [recordOnly, setRecordOnly] = useState(recordOnlyForced);
  const errors = useFormErrors(REFUND_FIELDS);
  const wholeOnly = refund.throughProvider === 'whole_only' && !recordOnly;
  const price = (minor: number) => f.minor(minor, order.currency, order.minorDigits);

  async function submit() {
    errors.clear();
    const checked = wholeOnly ? { amount: refund.left } : checkAmount(amount, { minorDigits: order.minorDigits, minAmount: 1, maxAmount: refund.left });
    if ('problem' in checked) {
      return errors.setFieldErrors({ amount: t(`payments.validation.${checked.problem}`, { min: price(1), max: price(refund.left) }) });
    }
    try {
      const done = await post<RefundResult>(`/payments/admin/orders/${order.id}/refund`, {
        amount: checked.amount,
        ...(recordOnly ? { recordOnly: true } : {}),
        ...(reason.trim() ? { reason: reason.trim() } : {}),
      });
      await onDone(
        t('payments.admin.refundDone', { amount: price(checked.amount), reclaimed: f.quotaUsd(done.quotaReclaimed) }) +
          (done.quotaUnrecovered > 0 ? ` ${t('payments.admin.refundUnrecovered', { unrecovered: f.quotaUsd(done.quotaUnrecovered) })}` : ''),
      );
    } catch (err) {
      errors.fromServer(err);
    }
  }

  const provider = t(`payments.providers.${order.provider}`);
  return (
    <Card withBorder radius="md">
      <Title order={5}>{t('payments.admin.refund')}</Title>
      {recordOnlyForced ? (
        <Alert color="yellow" my="xs" data-testid="record-only">
          {order.provider === 'epay' ? t('payments.admin.epayRecordOnly') : t('payments.admin.recordOnlyLeft')}
        </Alert>
      ) : (
        <Text size="sm" c="dimmed" mb="xs">
          {refund.throughProvider === 'whole_only' ? t('payments.admin.refundWhole', { provider }) : t('payments.admin.refundAny', { provider })}
        </Text>
      )}
      <Text size="sm" mb="xs">
        {t('payments.admin.refundLeft', { left: price(refund.left) })} {t('payments.admin.refundTakesBack')}
      </Text>
      <form onSubmit={(e: FormEvent) => e.preventDefault()} noValidate aria-label={t('payments.admin.refund')}>
        <Stack gap="xs">
          <FormError message={errors.formError} />
          <TextInput
            label={t('payments.admin.refundAmount', { currency: order.currency })}
            inputMode="decimal"
            value={wholeOnly ? minorToText(refund.left, order.minorDigits) : amount}
            disabled={wholeOnly}
            onChange={(e) => setAmount(e.currentTarget.value)}
            error={errors.fieldErrors.amount}
          />
          <TextInput label={t('payments.admin.reason')} maxLength={500} value={reason} onChange={(e) => setReason(e.currentTarget.value)} error={errors.fieldErrors.reason} />
          {!recordOnlyForced && (
            <Checkbox
              label={t('payments.admin.recordOnly')}
              checked={recordOnly}
              onChange={(e) => setRecordOnly(e.currentTarget.checked)}
              error={errors.fieldErrors.recordOnly}
            />
          )}
          {recordOnlyForced && errors.fieldErrors.recordOnly && (
            <Text size="sm" c="red">
              {errors.fieldErrors.recordOnly}
            </Text>
          )}
          <Group justify="flex-end">
            <ConfirmButton color="red" variant="light" onConfirm={submit}>
              {recordOnly ? t('payments.admin.recordRefund') : t('payments.admin.refundThrough', { provider })}
            </ConfirmButton>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

export function OrderDetail({ id }: { id: number }) {
  const { t } = useTranslation();
  const { money } = useSession();
  const f = useFormat(money);
  const paidWith = usePaidWith();
  const client = useQueryClient();
  const detail = useQuery({ queryKey: ['payments', 'admin-order', id], queryFn: ({ signal }) => get<Detail>(`/payments/admin/orders/${id}`, {}, signal) });
  const [notice, setNotice] = useState<string>();
  const done = async (message: string) => {
    setNotice(message);
    await client.invalidateQueries({ queryKey: ['payments'] });
  };

  return (
    <Async query={detail}>
      {(d) => {
        const o = d.order;
        const price = (minor: number) => f.minor(minor, o.currency, o.minorDigits);
        const fact = (label: string, value: ReactNode) =>
          value === null || value === undefined || value === false || value === '' ? null : (
            <>
              <dt>{label}</dt>
              <dd>{value}</dd>
            </>
          );
        return (
          <Stack data-testid="order-detail">
            {notice && (
              <Alert color="green" role="status">
                {notice}
              </Alert>
            )}
            <dl className="facts">
              {fact(t('payments.orders.number'), <span className="mono">{o.tradeNo}</span>)}
              {fact(t('payments.orders.status'), <OrderStatusBadge status={o.status} />)}
              {fact(t('payments.admin.buyer'), `${o.username ?? '—'} #${o.userId}`)}
              {fact(t('payments.orders.paidWith'), paidWith.order(o))}
              {fact(t('payments.orders.amount'), price(o.amount))}
              {fact(
                t('payments.orders.quota'),
                `${f.quotaUsd(o.quota)} (${f.integer(o.quota)} ${t('common.units')})${o.bonusQuota > 0 ? ` · ${t('payments.topUp.bonusShort', { bonus: f.quotaUsd(o.bonusQuota) })}` : ''}`,
              )}
              {fact(t('payments.admin.source'), (SOURCES as readonly string[]).includes(o.source) ? t(`payments.sources.${o.source as Source}`) : o.source)}
              {fact(t('payments.admin.providerRef'), o.providerRef && <span className="mono">{o.providerRef}</span>)}
              {fact(t('payments.orders.created'), f.dateTime(o.createdAt))}
              {fact(t('payments.orders.expires'), o.paidAt ? null : f.dateTime(o.expiresAt))}
              {fact(t('payments.orders.paidAt'), o.paidAt && f.dateTime(o.paidAt))}
              {fact(t('payments.admin.paidBy'), o.paidBy && `#${o.paidBy}`)}
              {fact(t('payments.admin.note'), o.note)}
              {fact(t('payments.admin.refunded'), o.refundedAmount > 0 && price(o.refundedAmount))}
              {fact(t('payments.admin.disputed'), o.disputedAmount > 0 && price(o.disputedAmount))}
              {fact(t('payments.admin.reclaimed'), (o.quotaReclaimed > 0 || o.quotaUnrecovered > 0) && `${f.quotaUsd(o.quotaReclaimed)}`)}
              {fact(t('payments.admin.unrecovered'), o.quotaUnrecovered > 0 && f.quotaUsd(o.quotaUnrecovered))}
            </dl>
            {(o.status === 'pending' || o.status === 'expired') && <MarkPaid order={o} onDone={done} />}
            {d.refund && <Refund key={o.refundedAmount} detail={d} onDone={done} />}
            <div>
              <Title order={5} mb="xs">
                {t('payments.admin.history')}
              </Title>
              {d.events.length === 0 ? (
                <Text size="sm" c="dimmed">
                  {t('payments.admin.noHistory')}
                </Text>
              ) : (
                <div className="table-wrap">
                  <Table striped data-testid="order-history">
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>{t('logs.time')}</Table.Th>
                        <Table.Th>{t('logs.type')}</Table.Th>
                        <Table.Th>{t('payments.admin.outcome')}</Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {d.events.map((e) => (
                        <Table.Tr key={e.id}>
                          <Table.Td className="nowrap">{f.dateTime(e.createdAt)}</Table.Td>
                          <Table.Td>
                            {e.type}
                            <Text size="xs" c="dimmed" className="mono">
                              {e.eventId}
                            </Text>
                          </Table.Td>
                          <Table.Td>{e.outcome}</Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                </div>
              )}
            </div>
          </Stack>
        );
      }}
    </Async>
  );
}
