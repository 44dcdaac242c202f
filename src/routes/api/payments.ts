// Payments for logged-in users (what is offered, a quote, create an order, my orders) and for admins (every order with
// filters, mark paid by hand, refund, settings). The providers' own callbacks are public: payment-webhooks.ts.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Static } from 'typebox';
import { RelayError } from '../../errors.js';
import { accountOf, isAdmin } from '../../plugins/management-auth.js';
import { IdParams, Page, errorResponses } from './schemas.js';
import {
  AdminOrdersQuery,
  CreateOrderBody,
  CreatedOrder,
  MarkPaidBody,
  MyOrdersQuery,
  Offer,
  Order,
  OrderDetail,
  PaymentSettingsView,
  Quote,
  QuoteQuery,
  RefundBody,
  RefundResult,
} from './payment-schemas.js';
import { PaymentSettingsPatch, activeProviders, providerProblem, updatePaymentSettings, type LoadedPaymentSettings } from '../../payments/settings.js';
import { listOrders, orderEvents, orderView, requireOrder, type PaymentProvider } from '../../payments/orders.js';
import { formatMoney, minorDigits, type Quote as QuoteValue } from '../../payments/money.js';
import { refundOptions, type PaymentService } from '../../payments/service.js';
import { localeFromAcceptLanguage } from '../../payments/status-page.js';
import { parseQueryTime } from '../../services/logs.js';
import { pageArgs } from '../../services/service-utils.js';

const tags = ['payments'];

const quoteView = (q: QuoteValue) => ({ ...q, amountText: formatMoney(q.amount, q.currency) });

export async function paymentRoutes(instance: FastifyInstance, opts: { payments: PaymentService }): Promise<void> {
  const { payments } = opts;
  const api = instance.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/payments/offer',
    {
      schema: {
        tags,
        summary: 'What a top-up can be now: presets with their quota, limits, bonus tiers, providers',
        response: { 200: Offer, ...errorResponses(401, 403) },
      },
    },
    async () => {
      const offer = await payments.offer();
      return {
        ...offer,
        presets: offer.presets.map(quoteView),
        stars: offer.stars && { ...offer.stars, presets: offer.stars.presets.map(quoteView) },
      };
    },
  );

  api.get(
    '/payments/quote',
    {
      schema: {
        tags,
        summary: 'The quota an amount buys (bonus included), at the current exchange rate',
        querystring: QuoteQuery,
        response: { 200: Quote, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => quoteView(await payments.quote(request.query.amount)),
  );

  api.post(
    '/payments/orders',
    {
      schema: {
        tags,
        summary: 'Create a top-up order and its checkout link (amount and quota are fixed here, by the server)',
        body: CreateOrderBody,
        response: { 201: CreatedOrder, ...errorResponses(400, 401, 403, 429, 502) },
      },
    },
    async (request, reply) => {
      const { order, checkoutUrl } = await payments.createOrder({
        userId: accountOf(request).id,
        provider: request.body.provider,
        method: request.body.method,
        amount: request.body.amount,
        source: 'console',
        locale: localeFromAcceptLanguage(request.headers['accept-language']),
      });
      return reply.status(201).send({ order: orderView(order), checkoutUrl: checkoutUrl! });
    },
  );

  api.get(
    '/payments/orders',
    {
      schema: {
        tags,
        summary: "The caller's own orders, newest first",
        querystring: MyOrdersQuery,
        response: { 200: Page(Order), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { page, pageSize, status, tradeNo } = request.query;
      return listOrders(payments.ctx, { userId: accountOf(request).id, status, tradeNo }, pageArgs({ page, pageSize }));
    },
  );

  api.get(
    '/payments/orders/:id',
    {
      schema: {
        tags,
        summary: 'One order (its owner, or an admin)',
        params: IdParams,
        response: { 200: Order, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const account = accountOf(request);
      const order = await requireOrder(payments.ctx, request.params.id);
      // Someone else's order is "not found", not "forbidden": ids must not reveal which orders exist.
      if (order.userId !== account.id && !isAdmin(account)) throw new RelayError('not_found', `order ${request.params.id} does not exist`);
      return orderView(order);
    },
  );

  api.get(
    '/payments/admin/orders',
    {
      config: { admin: true },
      schema: {
        tags,
        summary: 'Every order, newest first, filtered by status, provider, user, order number and creation time',
        querystring: AdminOrdersQuery,
        response: { 200: Page(Order), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { page, pageSize, from, to, ...filter } = request.query;
      return listOrders(
        payments.ctx,
        { ...filter, from: parseQueryTime(from, 'from'), to: parseQueryTime(to, 'to') },
        pageArgs({ page, pageSize }),
        true,
      );
    },
  );

  api.get(
    '/payments/admin/orders/:id',
    {
      config: { admin: true },
      schema: {
        tags,
        summary: "One order with its buyer, every notification and admin action recorded for it, and how it can be refunded",
        params: IdParams,
        response: { 200: OrderDetail, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const order = await requireOrder(payments.ctx, request.params.id);
      const [buyer, events] = await Promise.all([
        payments.ctx.db.prisma.user.findUnique({ where: { id: order.userId }, select: { username: true } }),
        orderEvents(payments.ctx, order.id),
      ]);
      return {
        order: orderView(order, buyer?.username ?? null),
        events: events.map((e) => ({ ...e, provider: e.provider as PaymentProvider, createdAt: e.createdAt.toISOString() })),
        refund: refundOptions(order),
      };
    },
  );

  api.post(
    '/payments/admin/orders/:id/mark-paid',
    {
      config: { admin: true },
      schema: {
        tags,
        summary: 'Credit a pending or expired order by hand (money received outside the provider); logged with who did it',
        params: IdParams,
        body: MarkPaidBody,
        response: { 200: Order, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => orderView(await payments.markPaid(request.params.id, accountOf(request).id, request.body.note)),
  );

  api.post(
    '/payments/admin/orders/:id/refund',
    {
      config: { admin: true },
      schema: {
        tags,
        summary: 'Refund a paid order through its provider (Stripe, Telegram Stars) or record one made outside (recordOnly); the unspent quota is taken back',
        params: IdParams,
        body: RefundBody,
        response: { 200: RefundResult, ...errorResponses(400, 401, 403, 404, 409, 502) },
      },
    },
    async (request) => {
      const outcome = await payments.refund(request.params.id, accountOf(request).id, request.body);
      const order = outcome.kind === 'duplicate' ? await requireOrder(payments.ctx, request.params.id) : outcome.order;
      return {
        order: orderView(order),
        outcome: outcome.kind,
        quotaReclaimed: outcome.kind === 'reversed' ? Number(outcome.reclaimed) : 0,
        quotaUnrecovered: outcome.kind === 'reversed' ? Number(outcome.unrecovered) : 0,
      };
    },
  );

  api.get(
    '/payments/settings',
    {
      config: { admin: true },
      schema: {
        tags,
        summary: 'Payment settings; secrets only masked. Also the webhook URLs to register',
        response: { 200: PaymentSettingsView, ...errorResponses(401, 403) },
      },
    },
    async () => settingsView(await payments.settings()),
  );

  api.put(
    '/payments/settings',
    {
      config: { admin: true },
      schema: {
        tags,
        summary: 'Change payment settings (partial). Secrets are write-only; a provider is enabled only once it can take payments',
        body: PaymentSettingsPatch,
        response: { 200: PaymentSettingsView, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => settingsView(await updatePaymentSettings(payments.ctx, request.body, accountOf(request))),
  );
}

function settingsView(s: LoadedPaymentSettings): Static<typeof PaymentSettingsView> {
  const active = activeProviders(s);
  const problem = (p: 'stripe' | 'epay' | 'telegramStars') => providerProblem(s, p);
  const base = s.general.publicUrl;
  return {
    currency: s.currency,
    exchangeRate: s.exchangeRate,
    minorDigits: minorDigits(s.currency),
    general: s.general,
    stripe: {
      ...s.stripe,
      active: active.stripe,
      problem: problem('stripe'),
      secretKey: s.masks['stripe.secretKey'] ?? null,
      webhookSecret: s.masks['stripe.webhookSecret'] ?? null,
    },
    epay: { ...s.epay, active: active.epay, problem: problem('epay'), key: s.masks['epay.key'] ?? null },
    telegramStars: { ...s.telegramStars, active: active.telegramStars, problem: problem('telegramStars') },
    webhookUrls: {
      stripe: base && `${base}/api/payments/stripe/webhook`,
      epayNotify: base && `${base}/api/payments/epay/notify`,
      epayReturn: base && `${base}/api/payments/epay/return`,
    },
  };
}
