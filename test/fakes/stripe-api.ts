// A fake Stripe API on 127.0.0.1 for the official `stripe` library (pointed at it with host/port/protocol): the
// form-encoded requests it sends, the JSON objects it reads, bearer-key auth, Idempotency-Key replay. It creates
// Checkout Sessions, lists them by payment_intent and creates refunds; the test then plays Stripe's side of a payment
// with `pay()` and builds the webhook events Stripe would send, signed with the real library's test-header helper.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';

export interface FakeSession {
  id: string;
  object: 'checkout.session';
  url: string;
  mode: string;
  status: 'open' | 'complete' | 'expired';
  payment_status: 'unpaid' | 'paid';
  amount_total: number;
  currency: string;
  client_reference_id: string | null;
  metadata: Record<string, string>;
  payment_intent: string | null;
  allowed_payment_method_types: string[];
  payment_method_options: Record<string, unknown>;
  success_url: string;
  cancel_url: string;
  expires_at: number;
  locale: string | null;
}

export interface FakeRefund {
  id: string;
  object: 'refund';
  amount: number;
  currency: string;
  payment_intent: string;
  status: 'succeeded';
}

export interface RecordedRequest {
  method: string;
  path: string;
  params: Record<string, unknown>;
  idempotencyKey: string | undefined;
}

const id = (prefix: string): string => `${prefix}_test_${randomBytes(12).toString('hex')}`;

/** "line_items[0][price_data][unit_amount]=5" → { line_items: [{ price_data: { unit_amount: "5" } }] }. */
export function parseStripeForm(body: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const path = key.replace(/\]/g, '').split('[');
    let node: Record<string, unknown> | unknown[] = root;
    path.forEach((part, i) => {
      const last = i === path.length - 1;
      const nextIsIndex = !last && /^\d+$/.test(path[i + 1]!);
      const slot = node as Record<string, unknown>;
      if (last) slot[part] = value;
      else node = (slot[part] ??= nextIsIndex ? [] : {}) as Record<string, unknown>;
    });
  }
  return root;
}

export class FakeStripe {
  readonly requests: RecordedRequest[] = [];
  readonly sessions = new Map<string, FakeSession>();
  readonly refunds: FakeRefund[] = [];
  #idempotent = new Map<string, unknown>();
  #server: Server;

  private constructor(
    readonly secretKey: string,
    server: Server,
  ) {
    this.#server = server;
  }

  static async start(secretKey: string): Promise<FakeStripe> {
    let fake: FakeStripe | undefined;
    const server = createServer((req, res) => void fake!.#handle(req, res));
    fake = new FakeStripe(secretKey, server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** What to give the stripe library (and PaymentService's `stripe` option). */
  get endpoint(): { host: string; port: number; protocol: 'http' } {
    return { host: '127.0.0.1', port: (this.#server.address() as AddressInfo).port, protocol: 'http' };
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  sessionFor(tradeNo: string): FakeSession {
    const session = [...this.sessions.values()].find((s) => s.client_reference_id === tradeNo);
    if (!session) throw new Error(`no checkout session for ${tradeNo}`);
    return session;
  }

  /** The buyer pays: the session completes with a PaymentIntent (delayed methods stay unpaid until `settle`). */
  pay(session: FakeSession, opts: { delayed?: boolean } = {}): FakeSession {
    session.status = 'complete';
    session.payment_intent ??= id('pi');
    session.payment_status = opts.delayed ? 'unpaid' : 'paid';
    return session;
  }

  /** A Stripe event object around `object` (ids unique unless given). */
  event(type: string, object: object, eventId = id('evt')): Record<string, unknown> {
    return {
      id: eventId,
      object: 'event',
      api_version: '2026-11-18.endive',
      created: Math.floor(Date.now() / 1000),
      type,
      data: { object: structuredClone(object) },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
    };
  }

  /** A charge as `charge.refunded` carries it: amount_refunded is the cumulative total. */
  charge(session: FakeSession, amountRefunded: number): Record<string, unknown> {
    return {
      id: `ch_for_${session.payment_intent}`,
      object: 'charge',
      amount: session.amount_total,
      amount_refunded: amountRefunded,
      currency: session.currency,
      payment_intent: session.payment_intent,
      refunded: amountRefunded >= session.amount_total,
    };
  }

  dispute(session: FakeSession, amount = session.amount_total): Record<string, unknown> {
    return { id: id('dp'), object: 'dispute', amount, currency: session.currency, payment_intent: session.payment_intent, reason: 'fraudulent', status: 'needs_response' };
  }

  /** The raw body and Stripe-Signature header of a delivery, signed as Stripe signs them. */
  static sign(event: Record<string, unknown>, webhookSecret: string, timestamp?: number): { body: string; signature: string } {
    const body = JSON.stringify(event);
    return { body, signature: Stripe.webhooks.generateTestHeaderString({ payload: body, secret: webhookSecret, timestamp }) };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const params = req.method === 'GET' ? parseStripeForm(url.search.slice(1)) : parseStripeForm(Buffer.concat(chunks).toString('utf8'));
    const idempotencyKey = req.headers['idempotency-key'] as string | undefined;
    this.requests.push({ method: req.method ?? '', path: url.pathname, params, idempotencyKey });
    if (req.headers.authorization !== `Bearer ${this.secretKey}`) {
      return send(res, 401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided: sk_test_****' } });
    }
    const replayKey = idempotencyKey && `${req.method} ${url.pathname} ${idempotencyKey}`;
    if (replayKey && this.#idempotent.has(replayKey)) return send(res, 200, this.#idempotent.get(replayKey));
    try {
      const result = this.#route(req.method ?? '', url.pathname, params);
      if (replayKey) this.#idempotent.set(replayKey, result);
      send(res, 200, result);
    } catch (err) {
      send(res, 400, { error: { type: 'invalid_request_error', message: (err as Error).message } });
    }
  }

  #route(method: string, path: string, p: Record<string, unknown>): unknown {
    if (method === 'POST' && path === '/v1/checkout/sessions') return this.#createSession(p);
    if (method === 'GET' && path === '/v1/checkout/sessions') {
      const data = [...this.sessions.values()].filter((s) => !p.payment_intent || s.payment_intent === p.payment_intent);
      return { object: 'list', data, has_more: false, url: '/v1/checkout/sessions' };
    }
    if (method === 'POST' && path === '/v1/refunds') return this.#refund(p);
    throw new Error(`Unrecognized request URL (${method}: ${path})`);
  }

  #createSession(p: Record<string, unknown>): FakeSession {
    const item = (p.line_items as Array<{ quantity: string; price_data: { currency: string; unit_amount: string } }>)[0]!;
    const expiresAt = Number(p.expires_at);
    const now = Date.now() / 1000;
    if (expiresAt < now + 30 * 60 || expiresAt > now + 24 * 3600) throw new Error('expires_at must be 30 minutes to 24 hours from now');
    const sessionId = id('cs');
    const session: FakeSession = {
      id: sessionId,
      object: 'checkout.session',
      url: `https://checkout.stripe.test/c/pay/${sessionId}`,
      mode: String(p.mode),
      status: 'open',
      payment_status: 'unpaid',
      amount_total: Number(item.price_data.unit_amount) * Number(item.quantity),
      currency: item.price_data.currency,
      client_reference_id: (p.client_reference_id as string) ?? null,
      metadata: (p.metadata as Record<string, string>) ?? {},
      payment_intent: null,
      allowed_payment_method_types: (p.allowed_payment_method_types as string[]) ?? [],
      payment_method_options: (p.payment_method_options as Record<string, unknown>) ?? {},
      success_url: String(p.success_url),
      cancel_url: String(p.cancel_url),
      expires_at: expiresAt,
      locale: (p.locale as string) ?? null,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  #refund(p: Record<string, unknown>): FakeRefund {
    const session = [...this.sessions.values()].find((s) => s.payment_intent === p.payment_intent);
    if (!session || session.payment_status !== 'paid') throw new Error(`No such payment_intent: '${String(p.payment_intent)}'`);
    const refunded = this.refunds.filter((r) => r.payment_intent === p.payment_intent).reduce((sum, r) => sum + r.amount, 0);
    const amount = p.amount === undefined ? session.amount_total - refunded : Number(p.amount);
    if (amount <= 0 || refunded + amount > session.amount_total) throw new Error('Refund amount is greater than the unrefunded amount');
    const refund: FakeRefund = { id: id('re'), object: 'refund', amount, currency: session.currency, payment_intent: session.payment_intent!, status: 'succeeded' };
    this.refunds.push(refund);
    return refund;
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${randomBytes(6).toString('hex')}` }).end(JSON.stringify(body));
}
