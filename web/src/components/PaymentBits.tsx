// Small pieces the payment pages share: an order's status as a badge, and how it was paid in words.
import { useCallback } from 'react';
import { Badge } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { methodKey, type OrderStatus, type PaymentOrder } from '../payments';

export const ORDER_COLORS: Record<OrderStatus, string> = {
  pending: 'blue',
  paid: 'green',
  expired: 'gray',
  failed: 'red',
  refunded: 'orange',
  partially_refunded: 'orange',
  disputed: 'red',
};

export function OrderStatusBadge({ status }: { status: OrderStatus }) {
  const { t } = useTranslation();
  return (
    <Badge color={ORDER_COLORS[status] ?? 'gray'} variant="light">
      {t(`payments.status.${status}`)}
    </Badge>
  );
}

/** "Stripe", "Alipay · EPay", "Telegram Stars": how an order is paid, in the reader's language. */
export function usePaidWith() {
  const { t } = useTranslation();
  const method = useCallback((m: string) => {
    const key = methodKey(m);
    return key ? t(`payments.methods.${key}`) : m;
  }, [t]);
  const order = useCallback(
    (o: Pick<PaymentOrder, 'provider' | 'method'>) => {
      if (o.provider === 'epay') return o.method ? `${method(o.method)} · ${t('payments.providers.epay')}` : t('payments.providers.epay');
      return t(`payments.providers.${o.provider}`);
    },
    [method, t],
  );
  return { method, order };
}
