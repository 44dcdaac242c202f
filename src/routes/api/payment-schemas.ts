// TypeBox schemas of the payment routes (/api/payments/…): offer and quotes, orders, settings. Money amounts are
// integers in the currency's minor unit (1000 = 10.00 CNY; JPY and Telegram Stars are whole units).
import { Type } from 'typebox';
import { ORDER_SOURCES, ORDER_STATUSES, PROVIDERS } from '../../payments/orders.js';
import { EpaySettings, GeneralSettings, StripeSettings, TelegramStarsSettings } from '../../payments/settings.js';
import { Pagination } from './schemas.js';

const Minor = Type.Integer({ minimum: 0, description: "money in the currency's minor unit" });
const Units = Type.Integer({ minimum: 0, description: 'quota units (500,000 = 1 USD)' });
const DateTime = Type.String({ format: 'date-time' });
const Nullable = <T extends import('typebox').TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const QueryTime = (what: string) =>
  Type.String({ description: `${what}: ISO 8601 time (e.g. 2026-01-31T00:00:00Z) or UTC date (2026-01-31)` });

export const OrderStatus = Type.Enum([...ORDER_STATUSES], { description: 'pending | paid | expired | failed | refunded | partially_refunded | disputed' });
export const Provider = Type.Enum([...PROVIDERS]);

export const Quote = Type.Object({
  amount: Minor,
  amountText: Type.String({ description: 'e.g. "10.00 CNY", "100 ⭐"' }),
  currency: Type.String(),
  quota: Type.Integer({ minimum: 0, description: 'units credited, bonus included' }),
  bonusQuota: Units,
});

export const Offer = Type.Object({
  currency: Type.String({ description: 'the option currency' }),
  minorDigits: Type.Integer({ description: 'decimals of the currency (2 for CNY, 0 for JPY)' }),
  exchangeRate: Type.Number({ description: 'what 1 USD of quota costs in the currency (option exchangeRate)' }),
  minAmount: Minor,
  maxAmount: Minor,
  presets: Type.Array(Quote),
  bonusTiers: Type.Array(Type.Object({ minAmount: Minor, percent: Type.Integer() })),
  providers: Type.Array(
    Type.Object({
      id: Type.Enum(['stripe', 'epay']),
      methods: Type.Array(Type.String(), { description: 'Stripe: card, alipay, wechat_pay; EPay: alipay, wxpay, …' }),
    }),
    { description: 'empty when online payment is off' },
  ),
  stars: Nullable(
    Type.Object({ quotaPerStar: Units, presets: Type.Array(Quote), max: Type.Integer() }, { description: 'Telegram Stars, paid in the Telegram bot' }),
  ),
});

export const QuoteQuery = Type.Object(
  { amount: Type.Integer({ minimum: 1, maximum: 1_000_000_000_000, description: 'minor units' }) },
  { additionalProperties: false },
);

export const Order = Type.Object({
  id: Type.Integer(),
  tradeNo: Type.String({ description: 'the order number every provider sees' }),
  userId: Type.Integer(),
  username: Type.Optional(Nullable(Type.String())),
  provider: Provider,
  method: Type.String(),
  currency: Type.String(),
  minorDigits: Type.Integer({ minimum: 0, maximum: 3, description: 'decimals of the currency: amount ÷ 10^minorDigits is the price' }),
  amount: Minor,
  amountText: Type.String(),
  quota: Units,
  bonusQuota: Units,
  status: OrderStatus,
  providerRef: Nullable(Type.String({ description: "the provider's id: Checkout Session, EPay trade_no, Telegram charge id" })),
  checkoutUrl: Nullable(Type.String({ description: 'where to pay, while pending' })),
  source: Type.Enum([...ORDER_SOURCES]),
  refundedAmount: Minor,
  disputedAmount: Minor,
  quotaReclaimed: Type.Integer({ minimum: 0, description: 'units taken back after refunds and chargebacks' }),
  quotaUnrecovered: Type.Integer({ minimum: 0, description: 'units that could not be taken back (already spent)' }),
  paidBy: Nullable(Type.Integer({ description: 'the admin who marked it paid by hand' })),
  note: Type.String(),
  createdAt: DateTime,
  expiresAt: DateTime,
  paidAt: Nullable(DateTime),
  refundedAt: Nullable(DateTime),
});

export const CreateOrderBody = Type.Object(
  {
    amount: Type.Integer({ minimum: 1, maximum: 1_000_000_000_000, description: 'minor units of the currency; within minAmount … maxAmount' }),
    provider: Type.Enum(['stripe', 'epay'], { description: 'Telegram Stars are paid in the Telegram bot' }),
    method: Type.Optional(Type.String({ pattern: '^[a-z0-9_]{1,20}$', description: 'EPay type (alipay, wxpay, …); default the first offered' })),
  },
  { additionalProperties: false },
);

export const CreatedOrder = Type.Object({ order: Order, checkoutUrl: Type.String({ description: 'send the buyer here' }) });

const TradeNo = Type.String({ minLength: 1, maxLength: 64, description: 'the order number (RS…)' });

export const MyOrdersQuery = Type.Object(
  { ...Pagination.properties, status: Type.Optional(OrderStatus), tradeNo: Type.Optional(TradeNo) },
  { additionalProperties: false },
);

export const AdminOrdersQuery = Type.Object(
  {
    ...Pagination.properties,
    status: Type.Optional(OrderStatus),
    provider: Type.Optional(Provider),
    userId: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647 })),
    tradeNo: Type.Optional(TradeNo),
    from: Type.Optional(QueryTime('created at or after')),
    to: Type.Optional(QueryTime('created before')),
  },
  { additionalProperties: false },
);

export const OrderDetail = Type.Object({
  order: Order,
  events: Type.Array(
    Type.Object({
      id: Type.Integer(),
      provider: Provider,
      eventId: Type.String({ description: "the provider's event id (Stripe evt_…, EPay trade_no:status, Telegram charge id) or the admin action" }),
      type: Type.String(),
      outcome: Type.String({ description: 'what the relay did with it: credited, no change, refused: …' }),
      createdAt: DateTime,
    }),
    { description: 'notifications and admin actions recorded for the order, oldest first' },
  ),
  refund: Nullable(
    Type.Object(
      {
        left: Minor,
        throughProvider: Type.Enum(['any_amount', 'whole_only', 'none'], {
          description: "what the provider's refund call allows (Stripe any amount, Telegram Stars the whole payment); none (EPay): refund elsewhere, then record it",
        }),
      },
      { description: 'how the order can be refunded now; null when it cannot' },
    ),
  ),
});

export const MarkPaidBody = Type.Object(
  { note: Type.String({ minLength: 1, maxLength: 500, description: 'why (e.g. "paid by bank transfer, ref 123"); kept in the log' }) },
  { additionalProperties: false },
);

export const RefundBody = Type.Object(
  {
    amount: Type.Optional(Type.Integer({ minimum: 1, description: 'minor units; default everything not yet refunded' })),
    recordOnly: Type.Optional(Type.Boolean({ description: 'the money was returned outside the relay (EPay panel, bank): only record it' })),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

export const RefundResult = Type.Object({
  order: Order,
  outcome: Type.Enum(['reversed', 'unchanged', 'duplicate']),
  quotaReclaimed: Type.Integer({ description: 'units taken back by this refund' }),
  quotaUnrecovered: Type.Integer({ description: 'units of this refund that could not be taken back (already spent)' }),
});

const Mask = Nullable(Type.String({ description: 'the secret, masked ("sk_li…abcd"); null = not set' }));
const ProviderState = {
  active: Type.Boolean({ description: 'enabled and able to take payments now' }),
  problem: Nullable(Type.String({ description: 'what is missing before it can take payments' })),
};

export const PaymentSettingsView = Type.Object({
  currency: Type.String({ description: 'the option currency (change it with PUT /api/options)' }),
  exchangeRate: Type.Number({ description: 'the option exchangeRate: what 1 USD of quota costs in the currency' }),
  minorDigits: Type.Integer(),
  general: GeneralSettings,
  stripe: Type.Object({ ...StripeSettings.properties, ...ProviderState, secretKey: Mask, webhookSecret: Mask }),
  epay: Type.Object({ ...EpaySettings.properties, ...ProviderState, key: Mask }),
  telegramStars: Type.Object({ ...TelegramStarsSettings.properties, ...ProviderState }),
  webhookUrls: Type.Object(
    {
      stripe: Type.String({ description: 'register in the Stripe Dashboard (Developers → Webhooks)' }),
      epayNotify: Type.String({ description: 'sent with every EPay order as notify_url' }),
      epayReturn: Type.String({ description: 'sent with every EPay order as return_url' }),
    },
    { description: 'empty until general.publicUrl is set' },
  ),
});
