// BotPayments over the relay's PaymentService: the bots create and read orders through exactly the code the console
// API uses, so an order from a chat is priced, credited and refunded the same way.
import { formatMoney, type Quote } from '../../src/payments/money.js';
import { listOrders, orderView, type OrderView } from '../../src/payments/orders.js';
import type { PaymentService } from '../../src/payments/service.js';
import type { BotPayments, RechargeOrder, RechargeQuote } from './backend.js';
import { payText, unitsText } from './payment-texts.js';
import type { Invoice } from './types.js';

const quoteOf = (q: Quote): RechargeQuote => ({ amount: q.amount, amountText: formatMoney(q.amount, q.currency), quota: q.quota, bonusQuota: q.bonusQuota });

const orderOf = (o: OrderView): RechargeOrder => ({
  tradeNo: o.tradeNo,
  provider: o.provider,
  amountText: o.amountText,
  quota: o.quota,
  bonusQuota: o.bonusQuota,
  status: o.status,
  checkoutUrl: o.checkoutUrl,
  expiresAt: o.expiresAt,
  createdAt: o.createdAt,
});

export function createBotPayments(payments: PaymentService): BotPayments {
  return {
    async offer() {
      const offer = await payments.offer();
      if (!offer.providers.length && !offer.stars) return null;
      return {
        currency: offer.currency,
        exchangeRate: offer.exchangeRate,
        minAmount: offer.minAmount,
        maxAmount: offer.maxAmount,
        presets: offer.presets.map(quoteOf),
        bonusTiers: offer.bonusTiers,
        checkout: offer.providers.map((p) => ({ provider: p.id, methods: p.methods })),
        stars: offer.stars && { quotaPerStar: offer.stars.quotaPerStar, presets: offer.stars.presets.map(quoteOf), max: offer.stars.max },
      };
    },

    async quote(amount) {
      return quoteOf(await payments.quote(amount));
    },

    async checkout(userId, input) {
      const { order } = await payments.createOrder({
        userId,
        provider: input.provider,
        method: input.method,
        amount: input.amount,
        source: input.platform,
        chatUserId: input.platformUserId,
        locale: input.locale,
      });
      return orderOf(orderView(order));
    },

    async starsInvoice(userId, input) {
      const { order } = await payments.createOrder({
        userId,
        provider: 'telegram_stars',
        amount: input.stars,
        source: 'telegram',
        chatUserId: input.platformUserId,
        locale: input.locale,
      });
      const t = payText(input.locale);
      const invoice: Invoice = {
        title: t.invoiceTitle,
        description: t.invoiceDescription(unitsText(input.locale, Number(order.quota))),
        payload: order.tradeNo,
        currency: order.currency,
        amount: Number(order.amount),
      };
      return { order: orderOf(orderView(order)), invoice };
    },

    async recentOrders(userId, limit) {
      const { items } = await listOrders(payments.ctx, { userId }, { skip: 0, take: limit });
      return items.map(orderOf);
    },

    starsPreCheckout: (q) => payments.starsPreCheckout({ tradeNo: q.payload, payerId: q.payerId, currency: q.currency, amount: q.amount }),

    async starsPaid(p) {
      await payments.starsPaid({ tradeNo: p.payload, payerId: p.payerId, currency: p.currency, amount: p.amount, chargeId: p.chargeId });
    },

    async starsRefunded(p) {
      await payments.starsRefunded({ tradeNo: p.payload, chargeId: p.chargeId, amount: p.amount });
    },
  };
}
