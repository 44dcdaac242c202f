// Payments, assembled: what is on offer, creating an order with its provider's checkout, every provider's
// confirmation path (Stripe webhooks, EPay notify, Telegram Stars updates), refunds, and the expiry sweep. The money
// itself moves only in orders.ts (creditOrder / reverseOrder); this file decides which confirmation is genuine and
// what it says, and logs every refusal (never a secret or a signature).
//
// A provider switched off takes no new orders, but confirmations of orders it already has are still processed: the
// buyer may pay a minute after the switch.
import { EventEmitter } from 'node:events';
import type { PaymentOrder } from '../generated/sqlite/client.js';
import { RelayError } from '../errors.js';
import type { Config } from '../config.js';
import { formatAmount, formatMoney, minorDigits, parseAmount, quote, STARS, type Quote } from './money.js';
import {
  MAX_STARS,
  activeProviders,
  loadPaymentSettings,
  providerProblem,
  type LoadedPaymentSettings,
  type PaymentContext,
} from './settings.js';
import {
  creditOrder,
  effectiveStatus,
  expireDueOrders,
  failOrder,
  findOrder,
  insertOrder,
  recordCheckout,
  recordEvent,
  requireOrder,
  reverseOrder,
  type CreditOutcome,
  type OrderSource,
  type PaymentEventKey,
  type PaymentProvider,
  type ReversalOutcome,
} from './orders.js';
import { epayCheckoutUrl, epayVerify, type EpayParams } from './epay.js';
import {
  isStripeError,
  isStripeSignatureError,
  methodsFor,
  StripeGateway,
  type StripeCharge,
  type StripeDispute,
  type StripeEndpoint,
  type StripeEvent,
  type StripeSession,
} from './stripe.js';
import { StarsRefundError, telegramStarsRefunder, type StarsRefunder } from './telegram-stars.js';

export type Locale = 'en' | 'zh';

/** Unpaid, unexpired orders one user may hold at once. */
export const MAX_UNPAID_ORDERS = 10;

export interface ServiceOptions {
  /** Where the Stripe library sends requests (tests: a local fake); default api.stripe.com. */
  stripe?: StripeEndpoint;
  /** Refunds Star payments; default: the Bot API with TELEGRAM_BOT_TOKEN, when set. */
  starsRefunder?: StarsRefunder;
  /** How often the expiry sweep runs (default 60 s). */
  sweepIntervalMs?: number;
}

/** What a buyer can choose from now. */
export interface PaymentOffer {
  currency: string;
  minorDigits: number;
  exchangeRate: number;
  minAmount: number;
  maxAmount: number;
  presets: Quote[];
  bonusTiers: Array<{ minAmount: number; percent: number }>;
  /** Checkout providers and their methods (Stripe: the payment method types for this currency; EPay: the types). */
  providers: Array<{ id: 'stripe' | 'epay'; methods: string[] }>;
  /** Telegram Stars, inside the Telegram bot only. */
  stars: { quotaPerStar: number; presets: Quote[]; max: number } | null;
}

export interface NewOrderRequest {
  userId: number;
  provider: PaymentProvider;
  /** EPay type (alipay, wxpay, …); default the first configured. */
  method?: string;
  /** Minor units of the operator's currency, or Stars for telegram_stars. */
  amount: number;
  source: OrderSource;
  /** The chat identity to tell when the money arrives (bots). */
  chatUserId?: string;
  locale?: Locale;
}

/** Why a Stars payment may not go ahead: unknown invoice, another account's, already paid, expired, amount differs. */
export type StarsRefusal = 'unknown' | 'other' | 'paid' | 'expired' | 'amount';

export interface PaymentEvents {
  /** An order was credited (this instance processed the confirmation). */
  paid: [order: PaymentOrder];
}

export type StripeWebhookAnswer =
  | { status: 200; body: { received: boolean; outcome: string } }
  | { status: 400 | 503; body: { error: string } };

/** A refused notification: answered with `status` and logged as `reason`. */
interface Refusal {
  status: number;
  reason: string;
}

export class PaymentService {
  readonly events = new EventEmitter<PaymentEvents>();
  readonly #ctx: PaymentContext;
  readonly #stripe: StripeGateway;
  readonly #refundStars: StarsRefunder | undefined;
  readonly #sweepIntervalMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(ctx: PaymentContext & { config: Pick<Config, 'telegram'> }, opts: ServiceOptions = {}) {
    this.#ctx = ctx;
    this.#stripe = new StripeGateway(opts.stripe);
    this.#refundStars = opts.starsRefunder ?? telegramStarsRefunder(ctx.config.telegram);
    this.#sweepIntervalMs = opts.sweepIntervalMs ?? 60_000;
  }

  get ctx(): PaymentContext {
    return this.#ctx;
  }

  settings(): Promise<LoadedPaymentSettings> {
    return loadPaymentSettings(this.#ctx);
  }

  /** Starts the expiry sweep (every instance may run it: it is one conditional UPDATE). */
  start(): void {
    if (this.#timer) return;
    const sweep = (): void => {
      this.expireDue().catch((err: unknown) => this.#ctx.log.warn({ err }, 'payment expiry sweep failed'));
    };
    sweep();
    this.#timer = setInterval(sweep, this.#sweepIntervalMs);
    this.#timer.unref();
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async expireDue(now = new Date()): Promise<number> {
    const expired = await expireDueOrders(this.#ctx, now);
    if (expired) this.#ctx.log.info({ expired }, 'unpaid payment orders expired');
    return expired;
  }

  /* ------------------------------------------------------------------ offering and ordering */

  async offer(): Promise<PaymentOffer> {
    const s = await this.settings();
    return offerOf(s);
  }

  async quote(amount: number): Promise<Quote> {
    const s = await this.settings();
    checkAmount(s, amount);
    return quote(amount, s.currency, s.exchangeRate, s.general.bonusTiers);
  }

  /** Creates the order and its checkout. Stars orders have no link: the Telegram bot sends an invoice for them. */
  async createOrder(req: NewOrderRequest): Promise<{ order: PaymentOrder; checkoutUrl: string | null }> {
    const s = await this.settings();
    const active = activeProviders(s);
    const locale = req.locale ?? 'en';
    await this.#checkUnpaidOrders(req.userId);
    const expiresAt = new Date(Date.now() + s.general.orderTtlMinutes * 60_000);
    const base = { userId: req.userId, source: req.source, chatUserId: req.chatUserId, locale, expiresAt };

    if (req.provider === 'telegram_stars') {
      if (!active.telegramStars) throw unavailable('telegram_stars', s);
      if (req.source !== 'telegram') throw new RelayError('invalid_request', 'Telegram Stars are paid inside the Telegram bot: send /recharge there', 400, { param: 'provider' });
      if (!Number.isInteger(req.amount) || req.amount < 1 || req.amount > MAX_STARS) {
        throw new RelayError('invalid_request', `a Stars payment is 1 to ${MAX_STARS} Stars`, 400, { param: 'amount' });
      }
      const order = await insertOrder(this.#ctx, {
        ...base,
        provider: 'telegram_stars',
        method: '',
        currency: STARS,
        amount: req.amount,
        quota: req.amount * s.telegramStars.quotaPerStar,
        bonusQuota: 0,
      });
      return { order, checkoutUrl: null };
    }

    if (!active[req.provider]) throw unavailable(req.provider, s);
    checkAmount(s, req.amount);
    const q = quote(req.amount, s.currency, s.exchangeRate, s.general.bonusTiers);
    if (q.quota < 1) throw new RelayError('invalid_request', 'this amount buys no quota at the current exchange rate', 400, { param: 'amount' });
    const method = req.provider === 'epay' ? (req.method ?? s.epay.types[0]!) : '';
    if (req.provider === 'epay' && !s.epay.types.includes(method)) {
      throw new RelayError('invalid_request', `EPay type "${method}" is not offered; choose one of ${s.epay.types.join(', ')}`, 400, { param: 'method' });
    }
    const order = await insertOrder(this.#ctx, {
      ...base,
      provider: req.provider,
      method,
      currency: s.currency,
      amount: req.amount,
      quota: q.quota,
      bonusQuota: q.bonusQuota,
    });
    const productName = `Relay top-up ${formatMoney(order.amount, order.currency)}`;
    if (req.provider === 'epay') {
      const checkoutUrl = epayCheckoutUrl({
        gatewayUrl: s.epay.gatewayUrl,
        pid: s.epay.pid,
        key: s.secrets['epay.key']!,
        type: method,
        tradeNo: order.tradeNo,
        money: formatAmount(order.amount, order.currency),
        name: productName,
        notifyUrl: `${s.general.publicUrl}/api/payments/epay/notify`,
        returnUrl: `${s.general.publicUrl}/api/payments/epay/return`,
      });
      return { order: await recordCheckout(this.#ctx, order.id, { checkoutUrl }), checkoutUrl };
    }
    const back = returnUrlFor(s, order);
    try {
      const session = await this.#stripe.createCheckout(s.secrets['stripe.secretKey']!, {
        tradeNo: order.tradeNo,
        userId: order.userId,
        amount: req.amount,
        currency: s.currency,
        methods: methodsFor(s.stripe.methods, s.currency),
        productName,
        successUrl: back,
        cancelUrl: back,
        // A little after our own expiry, so a payment started at the last minute can finish (it is still credited).
        expiresAt: new Date(expiresAt.getTime() + 2 * 60_000),
        locale,
      });
      const updated = await recordCheckout(this.#ctx, order.id, { providerRef: session.id, checkoutUrl: session.url });
      return { order: updated, checkoutUrl: session.url };
    } catch (err) {
      await failOrder(this.#ctx, order.id, 'Stripe could not create the checkout');
      this.#ctx.log.warn({ tradeNo: order.tradeNo, err: stripeSummary(err) }, 'stripe checkout creation failed');
      throw new RelayError('upstream_error', `Stripe could not create the checkout: ${stripeSummary(err).message}`, 502);
    }
  }

  /** Every order may cost a call to the provider: a user holds at most MAX_UNPAID_ORDERS unpaid ones at a time. */
  async #checkUnpaidOrders(userId: number): Promise<void> {
    const unpaid = await this.#ctx.db.prisma.paymentOrder.count({ where: { userId, status: 'pending', expiresAt: { gt: new Date() } } });
    if (unpaid >= MAX_UNPAID_ORDERS) {
      throw new RelayError(
        'rate_limited',
        `you already have ${unpaid} unpaid orders; pay one of them or wait until they expire`,
        429,
      );
    }
  }

  /* ------------------------------------------------------------------ Stripe */

  /** Verifies and applies one webhook delivery. Answers 200 once handled (or deliberately ignored). */
  async handleStripeWebhook(rawBody: Buffer, signature: string | undefined, ip: string): Promise<StripeWebhookAnswer> {
    const s = await this.settings();
    const secret = s.secrets['stripe.webhookSecret'];
    if (!secret) {
      this.#ctx.log.warn({ ip }, 'stripe webhook refused: no webhook signing secret is configured');
      return { status: 503, body: { error: 'stripe webhooks are not configured' } };
    }
    let event: StripeEvent;
    try {
      if (!signature) throw new Error('no Stripe-Signature header');
      event = await this.#stripe.verify(rawBody, signature, secret);
    } catch (err) {
      const reason = isStripeSignatureError(err) ? 'signature does not verify (forged, altered or older than 5 minutes)' : (err as Error).message;
      this.#ctx.log.warn({ ip, reason }, 'stripe webhook refused');
      return { status: 400, body: { error: 'invalid signature' } };
    }
    const outcome = await this.#applyStripeEvent(event, s);
    return { status: 200, body: { received: true, outcome } };
  }

  async #applyStripeEvent(event: StripeEvent, s: LoadedPaymentSettings): Promise<string> {
    const key = { provider: 'stripe' as const, eventId: event.id, eventType: event.type };
    switch (event.type) {
      case 'checkout.session.completed':
      case 'checkout.session.async_payment_succeeded': {
        const session = event.data.object;
        const order = await this.#orderOfSession(session, event);
        if (!order) return 'ignored: not an order of this relay';
        if (session.payment_status !== 'paid') {
          // Delayed methods complete the session first and confirm later (async_payment_succeeded).
          await recordEvent(this.#ctx, key, order.id, 'awaiting the asynchronous payment');
          return 'awaiting payment';
        }
        const outcome = await creditOrder(this.#ctx, order, {
          ...key,
          amount: BigInt(session.amount_total ?? -1),
          currency: session.currency ?? '',
          providerRef: session.id,
          paymentRef: idOf(session.payment_intent),
        });
        return this.#afterCredit(order, outcome, key);
      }
      case 'checkout.session.async_payment_failed': {
        const order = await this.#orderOfSession(event.data.object, event);
        if (!order) return 'ignored: not an order of this relay';
        const failed = await failOrder(this.#ctx, order.id, 'the asynchronous payment failed');
        await recordEvent(this.#ctx, key, order.id, failed ? 'failed' : 'no change');
        return failed ? 'failed' : 'no change';
      }
      case 'checkout.session.expired': {
        const order = await this.#orderOfSession(event.data.object, event);
        if (!order) return 'ignored: not an order of this relay';
        await this.expireDue();
        await recordEvent(this.#ctx, key, order.id, 'session expired');
        return 'expired';
      }
      case 'charge.refunded': {
        const charge: StripeCharge = event.data.object;
        const order = await this.#orderOfPaymentIntent(idOf(charge.payment_intent), s);
        if (!order) return 'ignored: not an order of this relay';
        return this.#afterReversal(order, await reverseOrder(this.#ctx, order.id, { ...key, refundedAmount: BigInt(charge.amount_refunded) }));
      }
      case 'charge.dispute.created': {
        const dispute: StripeDispute = event.data.object;
        const order = await this.#orderOfPaymentIntent(idOf(dispute.payment_intent), s);
        if (!order) return 'ignored: not an order of this relay';
        const outcome = await reverseOrder(this.#ctx, order.id, { ...key, disputedAmount: BigInt(dispute.amount), note: `dispute ${dispute.id}: ${dispute.reason}` });
        return this.#afterReversal(order, outcome);
      }
      default:
        return `ignored: ${event.type} is not used`;
    }
  }

  async #orderOfSession(session: StripeSession, event: StripeEvent): Promise<PaymentOrder | null> {
    const tradeNo = session.client_reference_id;
    const order = tradeNo ? await findOrder(this.#ctx, { tradeNo }) : null;
    if (!order || order.provider !== 'stripe' || (order.providerRef && order.providerRef !== session.id)) {
      this.#ctx.log.warn({ eventId: event.id, type: event.type, session: session.id }, 'stripe event for a session that is not one of our orders');
      return null;
    }
    return order;
  }

  async #orderOfPaymentIntent(paymentIntent: string | undefined, s: LoadedPaymentSettings): Promise<PaymentOrder | null> {
    if (!paymentIntent) return null;
    const known = await this.#ctx.db.prisma.paymentOrder.findFirst({ where: { provider: 'stripe', paymentRef: paymentIntent } });
    if (known) return known;
    // A refund or dispute can arrive before the payment's own event: ask Stripe which session made this payment.
    const secretKey = s.secrets['stripe.secretKey'];
    if (!secretKey) return null;
    const session = await this.#stripe.sessionOfPaymentIntent(secretKey, paymentIntent);
    const order = session?.client_reference_id ? await findOrder(this.#ctx, { tradeNo: session.client_reference_id }) : null;
    return order?.provider === 'stripe' && (!order.providerRef || order.providerRef === session?.id) ? order : null;
  }

  /* ------------------------------------------------------------------ EPay */

  /** One notify request: `ok` when the gateway should hear "success". */
  async handleEpayNotify(params: EpayParams, ip: string): Promise<{ ok: boolean; status: number }> {
    const refused = (r: Refusal): { ok: boolean; status: number } => {
      this.#ctx.log.warn({ ip, tradeNo: params.out_trade_no, gatewayTradeNo: params.trade_no, reason: r.reason }, 'epay notify refused');
      return { ok: false, status: r.status };
    };
    const s = await this.settings();
    const key = s.secrets['epay.key'];
    if (!key) return refused({ status: 503, reason: 'no merchant key is configured' });
    if (!epayVerify(params, key)) return refused({ status: 400, reason: 'signature does not verify (forged or altered)' });
    if (params.pid !== s.epay.pid) return refused({ status: 400, reason: `pid ${params.pid ?? '(none)'} is not this merchant` });
    if (!params.trade_no || !params.out_trade_no) return refused({ status: 400, reason: 'trade_no or out_trade_no is missing' });
    const order = await findOrder(this.#ctx, { tradeNo: params.out_trade_no });
    if (!order || order.provider !== 'epay') return refused({ status: 400, reason: 'unknown order' });
    const eventKey = { provider: 'epay' as const, eventId: `${params.trade_no}:${params.trade_status ?? ''}`, eventType: `notify:${params.trade_status ?? ''}` };
    if (params.trade_status !== 'TRADE_SUCCESS') {
      // Only TRADE_SUCCESS is a payment; anything else is acknowledged so the gateway stops repeating it.
      await recordEvent(this.#ctx, eventKey, order.id, `ignored: trade_status ${params.trade_status ?? '(none)'}`);
      return { ok: true, status: 200 };
    }
    const parsed = parseAmount(params.money ?? '', order.currency);
    const amount = parsed === null ? null : BigInt(parsed);
    if (amount === null || amount !== order.amount) {
      return refused({ status: 400, reason: `money ${params.money ?? '(none)'} differs from the order's ${formatMoney(order.amount, order.currency)}` });
    }
    const outcome = await creditOrder(this.#ctx, order, { ...eventKey, amount, currency: order.currency, providerRef: params.trade_no });
    this.#afterCredit(order, outcome, eventKey);
    if (outcome.kind === 'mismatch') return { ok: false, status: 400 };
    // A repeat of a notification already handled is answered "success" again (the first answer may have been lost),
    // but credits nothing.
    return { ok: true, status: 200 };
  }

  /* ------------------------------------------------------------------ Telegram Stars */

  /** The pre_checkout_query check: null when the payment may go ahead, else why not (the bot words it). */
  async starsPreCheckout(q: { tradeNo: string; payerId: string; currency: string; amount: number }): Promise<StarsRefusal | null> {
    const order = await findOrder(this.#ctx, { tradeNo: q.tradeNo });
    const refuse = (reason: StarsRefusal): StarsRefusal => {
      this.#ctx.log.warn({ tradeNo: q.tradeNo, reason }, 'telegram stars pre-checkout refused');
      return reason;
    };
    if (!order || order.provider !== 'telegram_stars') return refuse('unknown');
    if (order.chatUserId !== q.payerId) return refuse('other');
    if (order.status === 'paid') return refuse('paid');
    if (order.status !== 'pending' || order.expiresAt.getTime() <= Date.now()) return refuse('expired');
    if (q.currency !== STARS || BigInt(q.amount) !== order.amount) return refuse('amount');
    return null;
  }

  async starsPaid(p: { tradeNo: string; payerId: string; currency: string; amount: number; chargeId: string }): Promise<CreditOutcome | null> {
    const key = { provider: 'telegram_stars' as const, eventId: p.chargeId, eventType: 'successful_payment' };
    const order = await findOrder(this.#ctx, { tradeNo: p.tradeNo });
    if (!order || order.provider !== 'telegram_stars') {
      this.#ctx.log.error({ tradeNo: p.tradeNo, chargeId: p.chargeId }, 'telegram stars payment for an unknown order: refund it by hand');
      await recordEvent(this.#ctx, key, null, 'refused: unknown order');
      return null;
    }
    const outcome = await creditOrder(this.#ctx, order, { ...key, amount: BigInt(p.amount), currency: p.currency, providerRef: p.chargeId });
    this.#afterCredit(order, outcome, key);
    return outcome;
  }

  /** Telegram's refunded_payment service message (a refund made here or elsewhere). */
  async starsRefunded(p: { tradeNo: string; chargeId: string; amount: number }): Promise<void> {
    const order = await findOrder(this.#ctx, { tradeNo: p.tradeNo });
    if (!order || order.provider !== 'telegram_stars' || order.providerRef !== p.chargeId) return;
    this.#afterReversal(order, await reverseOrder(this.#ctx, order.id, { provider: 'telegram_stars', eventId: `refunded_payment:${p.chargeId}`, eventType: 'refunded_payment', refundedAmount: BigInt(p.amount) }));
  }

  /* ------------------------------------------------------------------ admin */

  /** Credits an unpaid (pending or expired) order on an admin's word, logged with who did it. */
  async markPaid(orderId: number, adminId: number, note: string): Promise<PaymentOrder> {
    const order = await requireOrder(this.#ctx, orderId);
    const key = { provider: order.provider as PaymentProvider, eventId: `manual:${order.id}`, eventType: 'marked_paid' };
    const outcome = await creditOrder(this.#ctx, order, { ...key, amount: order.amount, currency: order.currency, paidBy: adminId, note });
    this.#afterCredit(order, outcome, key);
    if (outcome.kind === 'credited') {
      this.#ctx.log.info({ by: adminId, tradeNo: order.tradeNo }, 'payment order marked paid by hand');
      return outcome.order;
    }
    const status = outcome.kind === 'not_payable' ? outcome.status : 'paid';
    throw new RelayError('conflict', `order ${order.id} is ${status}; only a pending or expired order can be marked paid`, 409);
  }

  /**
   * Refunds a paid order: through Stripe (any amount up to what is left) or Telegram (the whole payment); EPay has no
   * standard refund call, so an EPay refund made in the gateway's panel is recorded with `recordOnly`. The unspent share
   * of the quota is taken back either way.
   */
  async refund(orderId: number, adminId: number, input: { amount?: number; recordOnly?: boolean; reason?: string }): Promise<ReversalOutcome> {
    const order = await requireOrder(this.#ctx, orderId);
    const options = refundOptions(order);
    if (!options) {
      throw new RelayError('conflict', `order ${order.id} is ${effectiveStatus(order)}; only a paid order with money left to refund can be refunded`, 409);
    }
    const left = BigInt(options.left);
    const amount = input.amount === undefined ? left : BigInt(input.amount);
    if (amount < 1n || amount > left) {
      throw new RelayError('invalid_request', `amount must be 1 to ${left} (${formatMoney(left, order.currency)} is left to refund)`, 400, { param: 'amount' });
    }
    const refundedAmount = order.refundedAmount + amount;
    const base = { provider: order.provider as PaymentProvider, refundedAmount, by: adminId, note: input.reason };
    let outcome: ReversalOutcome;
    if (input.recordOnly) {
      outcome = await reverseOrder(this.#ctx, order.id, { ...base, eventId: `manual-refund:${order.id}:${refundedAmount}`, eventType: 'refund_recorded' });
    } else if (options.throughProvider === 'any_amount') {
      outcome = await this.#refundStripe(order, amount, base);
    } else if (order.provider === 'telegram_stars') {
      if (options.throughProvider !== 'whole_only' || amount !== left) {
        throw new RelayError('invalid_request', 'Telegram refunds a Stars payment only in full', 400, { param: 'amount' });
      }
      outcome = await this.#refundStarsOrder(order, base);
    } else {
      throw new RelayError(
        'conflict',
        'EPay gateways have no standard refund call: refund the buyer in your gateway’s merchant panel, then record it here with {"recordOnly": true}',
        409,
        { param: 'recordOnly' },
      );
    }
    this.#ctx.log.info({ by: adminId, tradeNo: order.tradeNo, amount: String(amount), recordOnly: !!input.recordOnly }, 'payment order refunded');
    this.#afterReversal(order, outcome);
    return outcome;
  }

  async #refundStripe(order: PaymentOrder, amount: bigint, base: { provider: PaymentProvider; refundedAmount: bigint; by: number; note?: string }): Promise<ReversalOutcome> {
    const s = await this.settings();
    const secretKey = s.secrets['stripe.secretKey'];
    if (!secretKey || !order.paymentRef) {
      throw new RelayError('conflict', secretKey ? 'this order has no Stripe payment to refund' : 'the Stripe secret key is not set', 409);
    }
    let refund;
    try {
      refund = await this.#stripe.refund(secretKey, order.paymentRef, Number(amount), `relay-refund-${order.tradeNo}-${base.refundedAmount}`);
    } catch (err) {
      throw new RelayError('upstream_error', `Stripe refused the refund: ${stripeSummary(err).message}`, 502);
    }
    if (refund.status === 'failed' || refund.status === 'canceled') {
      throw new RelayError('upstream_error', `Stripe refund ${refund.id} ${refund.status}`, 502);
    }
    return reverseOrder(this.#ctx, order.id, { ...base, eventId: `refund:${refund.id}`, eventType: 'refund_created' });
  }

  async #refundStarsOrder(order: PaymentOrder, base: { provider: PaymentProvider; refundedAmount: bigint; by: number; note?: string }): Promise<ReversalOutcome> {
    if (!this.#refundStars) throw new RelayError('conflict', 'refunding Stars needs TELEGRAM_BOT_TOKEN on this instance', 409);
    if (!order.providerRef || !order.chatUserId) throw new RelayError('conflict', 'this order has no Telegram payment to refund', 409);
    try {
      await this.#refundStars(Number(order.chatUserId), order.providerRef);
    } catch (err) {
      throw new RelayError('upstream_error', err instanceof StarsRefundError ? err.message : 'Telegram refund failed', 502);
    }
    return reverseOrder(this.#ctx, order.id, { ...base, eventId: `refund:${order.providerRef}`, eventType: 'refund_star_payment' });
  }

  /* ------------------------------------------------------------------ outcomes */

  #afterCredit(order: PaymentOrder, outcome: CreditOutcome, key: PaymentEventKey): string {
    const log = this.#ctx.log;
    const where = { tradeNo: order.tradeNo, provider: key.provider, eventId: key.eventId, eventType: key.eventType };
    switch (outcome.kind) {
      case 'credited':
        log.info({ ...where, quota: String(order.quota), lateAfterExpiry: outcome.lateAfterExpiry }, 'payment order credited');
        this.#ctx.bus.publish('users');
        this.#ctx.bus.publish('payments');
        this.events.emit('paid', outcome.order);
        return 'credited';
      case 'duplicate':
        log.info(where, 'payment notification repeated: already handled, nothing credited');
        return 'duplicate';
      case 'not_payable':
        // Another confirmation of a paid order is normal (Stripe sends two for delayed methods); a second payment of
        // one order (EPay trade numbers differ) needs a person.
        (outcome.status === 'paid' ? log.info : log.warn).call(log, { ...where, status: outcome.status }, 'payment confirmation for an order that cannot be credited');
        return `not credited: order is ${outcome.status}`;
      case 'mismatch':
        log.error({ ...where, expected: outcome.expected, reported: outcome.reported }, 'payment refused: the amount or currency differs from the order');
        return 'refused: amount mismatch';
      case 'user_missing':
        log.error(where, 'payment for an order whose user was deleted: refund it by hand');
        return 'refused: user missing';
    }
  }

  #afterReversal(order: PaymentOrder, outcome: ReversalOutcome): string {
    if (outcome.kind === 'reversed') {
      this.#ctx.log.warn(
        { tradeNo: order.tradeNo, status: outcome.order.status, reclaimed: String(outcome.reclaimed), unrecovered: String(outcome.unrecovered) },
        'payment order refunded or disputed',
      );
    }
    return outcome.kind;
  }
}

/* ------------------------------------------------------------------ helpers */

export function offerOf(s: LoadedPaymentSettings): PaymentOffer {
  const active = activeProviders(s);
  const priced = s.exchangeRate > 0;
  const providers: PaymentOffer['providers'] = [];
  if (active.stripe) providers.push({ id: 'stripe', methods: methodsFor(s.stripe.methods, s.currency) });
  if (active.epay) providers.push({ id: 'epay', methods: [...s.epay.types] });
  const perStar = s.telegramStars.quotaPerStar;
  return {
    currency: s.currency,
    minorDigits: minorDigits(s.currency),
    exchangeRate: s.exchangeRate,
    minAmount: s.general.minAmount,
    maxAmount: s.general.maxAmount,
    presets: priced ? s.general.presets.map((a) => quote(a, s.currency, s.exchangeRate, s.general.bonusTiers)) : [],
    bonusTiers: s.general.bonusTiers,
    providers,
    stars: active.telegramStars
      ? { quotaPerStar: perStar, presets: s.telegramStars.presets.map((n) => ({ amount: n, currency: STARS, quota: n * perStar, bonusQuota: 0 })), max: MAX_STARS }
      : null,
  };
}

/** What a provider's own refund call allows: Stripe any amount, Telegram Stars only a whole payment, EPay nothing. */
export type ProviderRefund = 'any_amount' | 'whole_only' | 'none';

export interface RefundOptions {
  /** Minor units not yet refunded or disputed: the most a refund may be. */
  left: number;
  /** 'none': return the money elsewhere (the EPay merchant panel, a bank) and record it with `recordOnly`. */
  throughProvider: ProviderRefund;
}

/** How a paid order can be refunded now; null when it cannot (unpaid, fully refunded, disputed). */
export function refundOptions(order: PaymentOrder): RefundOptions | null {
  if (!order.paidAt || (order.status !== 'paid' && order.status !== 'partially_refunded')) return null;
  const left = order.amount - order.refundedAmount - order.disputedAmount;
  if (left < 1n) return null;
  const throughProvider: ProviderRefund =
    order.provider === 'stripe' ? 'any_amount' : order.provider === 'telegram_stars' && order.refundedAmount === 0n ? 'whole_only' : 'none';
  return { left: Number(left), throughProvider };
}

function checkAmount(s: LoadedPaymentSettings, amount: number): void {
  const { minAmount, maxAmount } = s.general;
  if (!Number.isSafeInteger(amount) || amount < minAmount || amount > maxAmount) {
    throw new RelayError(
      'invalid_request',
      `amount must be ${formatMoney(minAmount, s.currency)} to ${formatMoney(maxAmount, s.currency)} (in minor units: ${minAmount} to ${maxAmount})`,
      400,
      { param: 'amount' },
    );
  }
}

function unavailable(provider: PaymentProvider, s: LoadedPaymentSettings): RelayError {
  const part = provider === 'telegram_stars' ? 'telegramStars' : provider;
  const offered = offerOf(s).providers.map((p) => p.id);
  const why = s[part].enabled ? `: ${providerProblem(s, part)}` : ' on this relay';
  return new RelayError(
    'invalid_request',
    `${provider} is not available${why}${offered.length ? `; available: ${offered.join(', ')}` : ''}`,
    400,
    { param: 'provider' },
  );
}

/** The console's page that follows an order after its checkout (routed in web/src/App.tsx). */
export const CONSOLE_RETURN_PATH = '/wallet/return';

/**
 * Where a buyer is sent after a checkout instead of the built-in status page: the operator's `returnUrl` when set;
 * otherwise, for an order made in the web console, the console's own return page (which follows the order until it is
 * paid and shows the new balance); otherwise null (the built-in page, which needs no sign-in: bot and API orders).
 */
export function returnPageFor(s: LoadedPaymentSettings, order: { tradeNo: string; source?: string }): string | null {
  const base = s.general.returnUrl || (order.source === 'console' ? `${s.general.publicUrl}${CONSOLE_RETURN_PATH}` : '');
  return base ? `${base}?order=${encodeURIComponent(order.tradeNo)}` : null;
}

/** Where the buyer lands after paying (or giving up): returnPageFor, else the built-in status page. */
export function returnUrlFor(s: LoadedPaymentSettings, order: { tradeNo: string; source: string }): string {
  return returnPageFor(s, order) ?? `${s.general.publicUrl}/api/payments/return?order=${encodeURIComponent(order.tradeNo)}`;
}

const idOf = (value: string | { id: string } | null | undefined): string | undefined =>
  typeof value === 'string' ? value : (value?.id ?? undefined);

function stripeSummary(err: unknown): { message: string; type?: string } {
  if (isStripeError(err)) {
    // Stripe's own words, except for a rejected key (whose message names part of the key).
    if (err.type === 'StripeAuthenticationError') return { message: 'Stripe refused the secret key; check it in the payment settings', type: err.type };
    return { message: err.message, type: err.type };
  }
  return { message: 'Stripe could not be reached' };
}
