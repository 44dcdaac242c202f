// Stripe Checkout through the official `stripe` library: one Checkout Session per order (cards, and Alipay and WeChat
// Pay where the currency allows them), webhooks verified by `Stripe.webhooks.constructEvent` on the raw body (which also
// refuses a signature older than 5 minutes: a replayed delivery), refunds through the Refunds API. The client's
// endpoint is api.stripe.com; tests point it at a local fake (host/port/protocol), never a setting an admin can change.
//
// The library is loaded on first use (a checkout, a webhook, a refund): it is ~10 MB of resident memory that a relay
// without Stripe configured, or between payments, has no use for.
import type Stripe from 'stripe';
import type { StripeMethod } from './settings.js';

type StripeModule = typeof import('stripe').default;
let loaded: StripeModule | undefined;
async function stripeLibrary(): Promise<StripeModule> {
  return (loaded ??= (await import('stripe')).default);
}

export type StripeEvent = Stripe.Event;
export type StripeSession = Stripe.Checkout.Session;
export type StripeCharge = Stripe.Charge;
export type StripeDispute = Stripe.Dispute;

export interface StripeEndpoint {
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
}

// Stripe's lists of presentment currencies (docs "Accept an Alipay payment" / "Accept a WeChat Pay payment", Checkout).
const METHOD_CURRENCIES: Record<Exclude<StripeMethod, 'card'>, ReadonlySet<string>> = {
  alipay: new Set(['aud', 'cad', 'cny', 'eur', 'gbp', 'hkd', 'jpy', 'nzd', 'sgd', 'usd', 'myr']),
  wechat_pay: new Set(['aud', 'cad', 'cny', 'eur', 'gbp', 'hkd', 'jpy', 'sgd', 'usd', 'dkk', 'nok', 'sek', 'chf']),
};

/** The configured methods Stripe accepts in this currency (cards always). */
export function methodsFor(methods: readonly StripeMethod[], currency: string): StripeMethod[] {
  const code = currency.toLowerCase();
  return methods.filter((m) => m === 'card' || METHOD_CURRENCIES[m].has(code));
}

export interface CheckoutInput {
  tradeNo: string;
  userId: number;
  amount: number;
  currency: string;
  methods: StripeMethod[];
  productName: string;
  successUrl: string;
  cancelUrl: string;
  /** Stripe requires 30 minutes to 24 hours from now. */
  expiresAt: Date;
  locale: 'en' | 'zh';
}

export class StripeGateway {
  readonly #endpoint: StripeEndpoint;
  readonly #clients = new Map<string, Stripe>();

  constructor(endpoint: StripeEndpoint = {}) {
    this.#endpoint = endpoint;
  }

  async #client(secretKey: string): Promise<Stripe> {
    let client = this.#clients.get(secretKey);
    if (!client) {
      const Stripe = await stripeLibrary();
      if (this.#clients.size > 4) this.#clients.clear(); // old keys after rotations
      client = new Stripe(secretKey, { ...this.#endpoint, maxNetworkRetries: 2, timeout: 20_000, telemetry: false, appInfo: { name: 'relay-station' } });
      this.#clients.set(secretKey, client);
    }
    return client;
  }

  async createCheckout(secretKey: string, input: CheckoutInput): Promise<{ id: string; url: string }> {
    const session = await (await this.#client(secretKey)).checkout.sessions.create(
      {
        mode: 'payment',
        client_reference_id: input.tradeNo,
        metadata: { order: input.tradeNo, user: String(input.userId) },
        payment_intent_data: { metadata: { order: input.tradeNo } },
        line_items: [
          {
            quantity: 1,
            price_data: { currency: input.currency.toLowerCase(), unit_amount: input.amount, product_data: { name: input.productName } },
          },
        ],
        // A filter on what the account has enabled (the Dashboard's payment methods), in this API version.
        allowed_payment_method_types: input.methods,
        ...(input.methods.includes('wechat_pay') ? { payment_method_options: { wechat_pay: { client: 'web' as const } } } : {}),
        success_url: input.successUrl,
        cancel_url: input.cancelUrl,
        expires_at: Math.floor(input.expiresAt.getTime() / 1000),
        locale: input.locale === 'zh' ? 'zh' : 'auto',
      },
      // A retried request for the same order returns the same session instead of a second one.
      { idempotencyKey: `relay-order-${input.tradeNo}` },
    );
    if (!session.url) throw new Error(`Stripe returned checkout session ${session.id} without a url`);
    return { id: session.id, url: session.url };
  }

  /** Throws Stripe.errors.StripeSignatureVerificationError for a forged, altered or stale payload. */
  async verify(rawBody: Buffer, signature: string, webhookSecret: string): Promise<StripeEvent> {
    return (await stripeLibrary()).webhooks.constructEvent(rawBody, signature, webhookSecret);
  }

  /** The Checkout Session that created a PaymentIntent (a refund or dispute names only the PaymentIntent). */
  async sessionOfPaymentIntent(secretKey: string, paymentIntent: string): Promise<StripeSession | null> {
    const page = await (await this.#client(secretKey)).checkout.sessions.list({ payment_intent: paymentIntent, limit: 1 });
    return page.data[0] ?? null;
  }

  /** Refunds `amount` minor units (all that is left when undefined). */
  async refund(secretKey: string, paymentIntent: string, amount: number | undefined, idempotencyKey: string): Promise<Stripe.Refund> {
    return (await this.#client(secretKey)).refunds.create(
      { payment_intent: paymentIntent, ...(amount === undefined ? {} : { amount }), reason: 'requested_by_customer' },
      { idempotencyKey },
    );
  }
}

// Before the library is loaded nothing can have thrown one of its errors.
export const isStripeSignatureError = (err: unknown): boolean => loaded !== undefined && err instanceof loaded.errors.StripeSignatureVerificationError;
export const isStripeError = (err: unknown): err is Stripe.errors.StripeError => loaded !== undefined && err instanceof loaded.errors.StripeError;
