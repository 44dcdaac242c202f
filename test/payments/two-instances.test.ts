// Two relay instances on one PostgreSQL database, each its own process state (its own Prisma pool, PaymentService,
// HTTP server), receiving the same provider notifications at the same time: an order is still credited exactly once,
// refunds take back exactly their share once, and both expiry sweeps together expire each order once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/context.js';
import { FakeStripe } from '../fakes/stripe-api.js';
import { FakeEpayGateway } from '../fakes/epay-gateway.js';
import { EPAY_KEY, EPAY_PID, STRIPE_SECRET_KEY, balanceOf, configurePayments, createUserWithKey, deliverStripe, startPaymentRelay, type PaymentRelay } from './helpers.js';

describe('payments on two instances sharing PostgreSQL', () => {
  let database: TestDatabase;
  let a: PaymentRelay;
  let b: PaymentRelay;
  let stripe: FakeStripe;
  let gateway: FakeEpayGateway;
  let buyer: { id: number; auth: { authorization: string } };

  beforeAll(async () => {
    database = await createTestDatabase('postgresql');
    stripe = await FakeStripe.start(STRIPE_SECRET_KEY);
    gateway = await FakeEpayGateway.start(EPAY_PID, EPAY_KEY);
    a = await startPaymentRelay('postgresql', { database, payments: { stripe: stripe.endpoint } });
    b = await startPaymentRelay('postgresql', { database, payments: { stripe: stripe.endpoint } });
    await configurePayments(a, stripe, gateway);
    await b.ctx.options.load();
    buyer = await createUserWithKey(a, 'twin_buyer');
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await stripe?.close();
    await gateway?.close();
    await database?.drop();
  });

  async function order(on: PaymentRelay, provider: 'stripe' | 'epay', amount: number): Promise<{ id: number; tradeNo: string }> {
    const res = await on.app.inject({ method: 'POST', url: '/api/payments/orders', headers: buyer.auth, payload: { amount, provider } });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json() as { order: { id: number; tradeNo: string }; checkoutUrl: string };
    if (provider === 'epay') await gateway.open(body.checkoutUrl);
    return body.order;
  }

  it('one Stripe payment confirmed on both instances at once is credited once', async () => {
    const { id, tradeNo } = await order(a, 'stripe', 1400);
    const session = stripe.pay(stripe.sessionFor(tradeNo));
    const completed = stripe.event('checkout.session.completed', session);
    const succeeded = stripe.event('checkout.session.async_payment_succeeded', session);
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => [deliverStripe(i % 2 ? a : b, completed), deliverStripe(i % 2 ? b : a, succeeded)]).flat(),
    );
    expect(answers.every((x) => x.status === 200)).toBe(true);
    expect(answers.filter((x) => x.body.outcome === 'credited')).toHaveLength(1);
    expect(await balanceOf(a, buyer.id)).toBe(1_000_000n);
    expect((await b.ctx.db.prisma.paymentOrder.findUniqueOrThrow({ where: { id } })).status).toBe('paid');
    expect(await b.ctx.db.prisma.usageLog.count({ where: { userId: buyer.id, type: 'topup' } })).toBe(1);
  });

  it('one EPay payment notified to both instances at once is credited once, each notify answered "success"', async () => {
    const { tradeNo } = await order(b, 'epay', 700);
    const query = new URLSearchParams(gateway.notifyParams(tradeNo)).toString();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => fetch(`${i % 2 ? a.url : b.url}/api/payments/epay/notify?${query}`).then((res) => res.text())),
    );
    expect(answers).toEqual(Array(20).fill('success'));
    expect(await balanceOf(a, buyer.id)).toBe(1_500_000n);
    expect(await a.ctx.db.prisma.usageLog.count({ where: { userId: buyer.id, type: 'topup' } })).toBe(2);
  });

  it('refund reports racing on both instances take back exactly the refunded share, once', async () => {
    const { id, tradeNo } = await order(a, 'stripe', 2800); // 2,000,000 units
    const session = stripe.pay(stripe.sessionFor(tradeNo));
    await deliverStripe(b, stripe.event('checkout.session.completed', session));
    expect(await balanceOf(a, buyer.id)).toBe(3_500_000n);
    // Stripe delivers two refund events (half, then all) to both instances, each several times, all at once.
    const half = stripe.event('charge.refunded', stripe.charge(session, 1400));
    const all = stripe.event('charge.refunded', stripe.charge(session, 2800));
    await Promise.all(Array.from({ length: 6 }, (_, i) => [deliverStripe(i % 2 ? a : b, half), deliverStripe(i % 2 ? b : a, all)]).flat());
    expect(await balanceOf(a, buyer.id)).toBe(1_500_000n);
    const row = await a.ctx.db.prisma.paymentOrder.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ status: 'refunded', refundedAmount: 2800n, quotaReclaimed: 2_000_000n, quotaUnrecovered: 0n });
  });

  it('both instances sweeping at once expire each due order once', async () => {
    const due = await Promise.all([order(a, 'epay', 100), order(b, 'epay', 100), order(a, 'epay', 100)]);
    await a.ctx.db.prisma.paymentOrder.updateMany({ where: { id: { in: due.map((o) => o.id) } }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const counts = await Promise.all([a.payments.expireDue(), b.payments.expireDue(), a.payments.expireDue(), b.payments.expireDue()]);
    expect(counts.reduce((x, y) => x + y, 0)).toBe(3);
    expect(await a.ctx.db.prisma.paymentOrder.count({ where: { id: { in: due.map((o) => o.id) }, status: 'expired' } })).toBe(3);
  });
});
