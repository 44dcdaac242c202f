// The page a buyer's browser lands on after a checkout (Stripe success/cancel URL, EPay return_url): the order's status
// as the relay knows it, in English or Chinese. It only reads; a return URL proves nothing and never credits. While the
// payment is still unconfirmed the page reloads itself every 5 seconds (a meta refresh: no script).
import type { PaymentOrder } from '../generated/sqlite/client.js';
import { formatMoney } from './money.js';
import { effectiveStatus, type OrderStatus } from './orders.js';
import type { Locale } from './service.js';

const TEXT: Record<Locale, { title: string; unknown: string; order: string; amount: string; quota: string } & Record<OrderStatus, string>> = {
  en: {
    title: 'Payment status',
    unknown: 'This order is not known. If you paid, contact the operator with the order number from your receipt.',
    order: 'Order',
    amount: 'Amount',
    quota: 'Quota',
    pending: 'Waiting for the payment to be confirmed… this page refreshes by itself. You can also close it: your balance is credited as soon as the payment arrives.',
    paid: 'Paid. The quota has been added to your balance. You can close this page.',
    expired: 'This order expired before it was paid. Start a new top-up.',
    failed: 'The payment did not go through. Start a new top-up.',
    refunded: 'This payment was refunded.',
    partially_refunded: 'This payment was partly refunded.',
    disputed: 'This payment is disputed.',
  },
  zh: {
    title: '支付状态',
    unknown: '找不到这个订单。如果你已付款，请带上收据中的订单号联系站长。',
    order: '订单号',
    amount: '金额',
    quota: '额度',
    pending: '正在等待支付确认……本页会自动刷新。也可以直接关闭：到账后额度会立即加入你的余额。',
    paid: '支付成功，额度已加入你的余额。可以关闭本页。',
    expired: '订单在付款前已过期，请重新发起充值。',
    failed: '支付未成功，请重新发起充值。',
    refunded: '这笔付款已退款。',
    partially_refunded: '这笔付款已部分退款。',
    disputed: '这笔付款正在争议（拒付）处理中。',
  },
};

const escape = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The language the browser prefers (Accept-Language), English unless Chinese comes first. */
export function localeFromAcceptLanguage(header: string | undefined): Locale {
  const first = header?.split(',')[0]?.trim().toLowerCase() ?? '';
  return first.startsWith('zh') ? 'zh' : 'en';
}

export function statusPage(order: PaymentOrder | null, locale: Locale): string {
  const t = TEXT[locale];
  const status = order ? effectiveStatus(order) : null;
  const rows = order
    ? `<dl><dt>${t.order}</dt><dd>${escape(order.tradeNo)}</dd><dt>${t.amount}</dt><dd>${escape(formatMoney(order.amount, order.currency))}</dd>` +
      `<dt>${t.quota}</dt><dd>${Number(order.quota).toLocaleString('en-US')}</dd></dl>`
    : '';
  const message = status ? t[status] : t.unknown;
  const refresh = status === 'pending' ? '<meta http-equiv="refresh" content="5">' : '';
  return `<!doctype html>
<html lang="${locale === 'zh' ? 'zh-CN' : 'en'}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">${refresh}
<title>${t.title}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222}dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem}dt{color:#666}p.s{font-size:1.1rem}</style>
</head><body><h1>${t.title}</h1><p class="s">${escape(message)}</p>${rows}</body></html>
`;
}
