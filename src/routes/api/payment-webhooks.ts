// The providers' callbacks and the buyer's return page: public (no management key), rate limited per client address,
// and outside the login limiter. Every confirmation is checked by the provider's own signature before anything is
// read from it; a refusal is logged by PaymentService (never the signature or a secret).
//
//   POST /api/payments/stripe/webhook   Stripe events; Stripe-Signature over the raw body (kept raw in this plugin only)
//   GET|POST /api/payments/epay/notify  EPay notify; answered "success" once the order is credited (or was before)
//   GET /api/payments/epay/return       EPay return_url: shows the order's status (or sends the buyer on to the
//                                       console's or the operator's return page), credits nothing
//   GET /api/payments/return            the status page for Stripe's success/cancel URLs
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import rateLimit from '@fastify/rate-limit';
import { Type } from 'typebox';
import { RelayError } from '../../errors.js';
import { errorResponses } from './schemas.js';
import { epayParamsOf } from '../../payments/epay.js';
import { findOrder } from '../../payments/orders.js';
import { returnPageFor, type PaymentService } from '../../payments/service.js';
import type { PaymentOrder } from '../../generated/sqlite/client.js';
import { localeFromAcceptLanguage, statusPage } from '../../payments/status-page.js';
import { loadPaymentSettings } from '../../payments/settings.js';

const tags = ['payments (callbacks)'];

export interface WebhookRouteOptions {
  payments: PaymentService;
  /** Requests per client address per minute on each callback route (default 120). */
  perMinute?: number;
}

// The parameters EPay gateways send. Gateways add their own (extension fields), so unknown ones are accepted here:
// they are part of what the signature covers.
const EpayQuery = Type.Object(
  {
    pid: Type.Optional(Type.String()),
    trade_no: Type.Optional(Type.String()),
    out_trade_no: Type.Optional(Type.String()),
    type: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
    money: Type.Optional(Type.String()),
    trade_status: Type.Optional(Type.String()),
    param: Type.Optional(Type.String()),
    sign: Type.Optional(Type.String()),
    sign_type: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

const Html = Type.String({ description: 'an HTML page' });
const PlainText = Type.String({ description: '"success" or "fail", as the EPay protocol expects' });

export async function paymentWebhookRoutes(instance: FastifyInstance, opts: WebhookRouteOptions): Promise<void> {
  const { payments } = opts;
  const api = instance.withTypeProvider<TypeBoxTypeProvider>();
  await instance.register(rateLimit, { global: false });
  const limit = { max: opts.perMinute ?? 120, timeWindow: '1 minute' };

  // Stripe signs the exact bytes it sent: keep them (this plugin's routes only; the rest of the API parses JSON).
  instance.removeContentTypeParser('application/json');
  instance.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: 512 * 1024 }, (_req, body, done) => done(null, body));
  instance.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  api.post(
    '/payments/stripe/webhook',
    {
      config: { public: true, rateLimit: limit },
      schema: {
        tags,
        summary: 'Stripe webhook endpoint (register it in the Stripe Dashboard)',
        security: [],
        response: { 200: Type.Object({ received: Type.Boolean(), outcome: Type.String() }), ...errorResponses(400, 429, 503) },
      },
    },
    async (request, reply) => {
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const signature = request.headers['stripe-signature'];
      const { status, body } = await payments.handleStripeWebhook(raw, typeof signature === 'string' ? signature : undefined, request.ip);
      // Refusals in the API's one error shape (Stripe reads only the status and retries a 503 later).
      if ('error' in body) throw new RelayError(status === 503 ? 'not_configured' : 'invalid_request', body.error, status);
      return reply.status(status).send(body);
    },
  );

  const notify = async (request: FastifyRequest, reply: FastifyReply) => {
    const { ok, status } = await payments.handleEpayNotify(epayParamsOf(request.query, request.body), request.ip);
    return reply.status(status).type('text/plain; charset=utf-8').send(ok ? 'success' : 'fail');
  };
  const notifySchema = {
    tags,
    summary: 'EPay notify_url: the gateway confirms a payment here',
    security: [],
    querystring: EpayQuery,
    response: { 200: PlainText, 400: PlainText, 503: PlainText },
  };
  // The access log would write the query string, signature included: these routes log warnings only (refusals are
  // logged by PaymentService, without it).
  const quiet = { logLevel: 'warn' as const };
  const gateway = { public: true, rateLimit: limit, signedQuery: true };
  api.get('/payments/epay/notify', { ...quiet, config: gateway, schema: notifySchema }, notify);
  api.post('/payments/epay/notify', { ...quiet, config: gateway, schema: notifySchema }, notify);

  api.get(
    '/payments/epay/return',
    {
      ...quiet,
      config: gateway,
      schema: { tags, summary: 'EPay return_url: shows the order status (never credits)', security: [], querystring: EpayQuery, response: { 200: Html } },
    },
    async (request, reply) => {
      const tradeNo = request.query.out_trade_no ?? '';
      const [settings, order] = await Promise.all([loadPaymentSettings(payments.ctx), tradeNo ? findOrder(payments.ctx, { tradeNo }) : null]);
      // The gateway's signed parameters stay here: the next page gets the order number only.
      const elsewhere = tradeNo ? returnPageFor(settings, { tradeNo, source: order?.source }) : null;
      if (elsewhere) return reply.redirect(elsewhere);
      return showStatus(reply, order, request.headers['accept-language']);
    },
  );

  api.get(
    '/payments/return',
    {
      config: { public: true, rateLimit: limit },
      schema: {
        tags,
        summary: 'Where buyers land after a checkout: the order status (never credits)',
        security: [],
        querystring: Type.Object({ order: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false }),
        response: { 200: Html },
      },
    },
    async (request, reply) => {
      const tradeNo = request.query.order ?? '';
      return showStatus(reply, tradeNo ? await findOrder(payments.ctx, { tradeNo }) : null, request.headers['accept-language']);
    },
  );

  function showStatus(reply: FastifyReply, order: PaymentOrder | null, acceptLanguage: string | undefined) {
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
      .send(statusPage(order, localeFromAcceptLanguage(acceptLanguage)));
  }
}
