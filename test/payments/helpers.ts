// A relay with payments on a real database, listening on 127.0.0.1 (the fake EPay gateway calls it back), with a fake
// Stripe API and a fake EPay gateway, and the settings that switch both on.
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import pino from 'pino';
import { buildApp, REDACT_PATHS } from '../../src/app.js';
import { PaymentService, type ServiceOptions } from '../../src/payments/service.js';
import { RelayService } from '../../src/relay/service.js';
import { createTestContext, TEST_ADMIN_KEY, type DbKind, type TestContext, type TestDatabase } from '../helpers/context.js';
import { FakeEpayGateway } from '../fakes/epay-gateway.js';
import { FakeStripe } from '../fakes/stripe-api.js';

export const STRIPE_SECRET_KEY = 'sk_test_4eC39HqLyjWDarjtT1zdp7dc';
export const STRIPE_WEBHOOK_SECRET = 'whsec_test_secret_0123456789abcdef';
export const EPAY_PID = '1001';
export const EPAY_KEY = 'epay-merchant-key-0123456789';
export const ADMIN = { authorization: `Bearer ${TEST_ADMIN_KEY}` };

export interface PaymentRelay {
  /** Log lines, with `captureLogs`. */
  logs: string[];
  app: FastifyInstance;
  relay: RelayService;
  ctx: TestContext;
  payments: PaymentService;
  url: string;
  close(): Promise<void>;
}

/** One relay instance (several may share one PostgreSQL database). */
export async function startPaymentRelay(
  kind: DbKind,
  opts: { database?: TestDatabase; payments?: ServiceOptions; env?: Record<string, string>; captureLogs?: boolean } = {},
): Promise<PaymentRelay> {
  const ctx = await createTestContext(kind, opts.env ?? {}, opts.database);
  const logs: string[] = [];
  // Everything the service and its access log write, as the JSON lines pino would (secrets must never be in them).
  if (opts.captureLogs) ctx.log = pino({ level: 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, { write: (line: string) => void logs.push(line) });
  const relay = new RelayService(ctx);
  const payments = new PaymentService(ctx, opts.payments);
  const app = await buildApp(ctx, { relay, payments });
  app.addHook('onClose', () => relay.close());
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    logs,
    app,
    relay,
    ctx,
    payments,
    url,
    async close() {
      await app.close();
      await ctx.cleanup();
    },
  };
}

/** Stripe and EPay on, CNY at 7 per USD, presets 10/50/100 CNY, limits 1–5,000 CNY. */
export async function configurePayments(r: PaymentRelay, stripe: FakeStripe | null, epay: FakeEpayGateway | null, extra: Record<string, unknown> = {}): Promise<void> {
  await r.ctx.options.update({ currency: 'CNY', exchangeRate: 7 });
  const res = await r.app.inject({
    method: 'PUT',
    url: '/api/payments/settings',
    headers: ADMIN,
    payload: {
      general: { publicUrl: r.url, presets: [1000, 5000, 10000], minAmount: 100, maxAmount: 500_000 },
      ...(stripe ? { stripe: { enabled: true, methods: ['card', 'alipay', 'wechat_pay'], secretKey: STRIPE_SECRET_KEY, webhookSecret: STRIPE_WEBHOOK_SECRET } } : {}),
      ...(epay ? { epay: { enabled: true, gatewayUrl: epay.url, pid: EPAY_PID, key: EPAY_KEY, types: ['alipay', 'wxpay'] } } : {}),
      ...extra,
    },
  });
  expect(res.statusCode, res.body).toBe(200);
}

/** POSTs a Stripe event to the webhook as Stripe would (signed), or with a given body/signature. */
export async function deliverStripe(
  r: PaymentRelay,
  event: Record<string, unknown>,
  opts: { secret?: string; timestamp?: number; body?: string; signature?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const signed = FakeStripe.sign(event, opts.secret ?? STRIPE_WEBHOOK_SECRET, opts.timestamp);
  const res = await fetch(`${r.url}/api/payments/stripe/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', ...(opts.signature === '' ? {} : { 'stripe-signature': opts.signature ?? signed.signature }) },
    body: opts.body ?? signed.body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export async function createUserWithKey(r: PaymentRelay, username: string, quota = 0n): Promise<{ id: number; auth: { authorization: string } }> {
  const { hashSecret } = await import('../../src/auth/secrets.js');
  const user = await r.ctx.db.prisma.user.create({ data: { username, quota } });
  const key = `rsm-${username}-login-key-0123456789abcdef`;
  await r.ctx.db.prisma.managementKey.create({ data: { userId: user.id, keyHash: hashSecret(key), kind: 'login' } });
  return { id: user.id, auth: { authorization: `Bearer ${key}` } };
}

export async function balanceOf(r: PaymentRelay, userId: number): Promise<bigint> {
  return (await r.ctx.db.prisma.user.findUniqueOrThrow({ where: { id: userId } })).quota;
}

export async function topupLogs(r: PaymentRelay, userId: number) {
  return r.ctx.db.prisma.usageLog.findMany({ where: { userId, type: { in: ['topup', 'manage'] } }, orderBy: { id: 'asc' } });
}
