// Stripe Checkout end to end on both databases: the official `stripe` library against a local fake of the Stripe API,
// and webhook deliveries signed as Stripe signs them. A paid order credits exactly once however its events arrive;
// forged, altered, replayed and mismatched deliveries are refused; refunds and chargebacks take back unspent quota.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dbKinds } from '../helpers/context.js';
import { FakeStripe, type FakeSession } from '../fakes/stripe-api.js';
import {
  ADMIN,
  STRIPE_SECRET_KEY,
  balanceOf,
  configurePayments,
  createUserWithKey,
  deliverStripe,
  startPaymentRelay,
  topupLogs,
  type PaymentRelay,
} from './helpers.js';

describe.each(dbKinds)('Stripe Checkout on %s', (kind) => {
  let r: PaymentRelay;
  let stripe: FakeStripe;
  let buyer: { id: number; auth: { authorization: string } };

  beforeAll(async () => {
    stripe = await FakeStripe.start(STRIPE_SECRET_KEY);
    r = await startPaymentRelay(kind, { payments: { stripe: stripe.endpoint } });
    await configurePayments(r, stripe, null);
    buyer = await createUserWithKey(r, `buyer_${kind}`, 1000n);
  });
  afterAll(async () => {
    await r?.close();
    await stripe?.close();
  });

  async function order(amount = 1000): Promise<{ tradeNo: string; id: number; session: FakeSession }> {
    const res = await r.app.inject({ method: 'POST', url: '/api/payments/orders', headers: buyer.auth, payload: { amount, provider: 'stripe' } });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json() as { order: { tradeNo: string; id: number }; checkoutUrl: string };
    const session = stripe.sessionFor(body.order.tradeNo);
    expect(body.checkoutUrl).toBe(session.url);
    return { tradeNo: body.order.tradeNo, id: body.order.id, session };
  }

  it('creates a Checkout Session with the server’s own amount, currency and methods', async () => {
    const { tradeNo, session } = await order(1000);
    expect(session).toMatchObject({
      mode: 'payment',
      amount_total: 1000,
      currency: 'cny',
      client_reference_id: tradeNo,
      allowed_payment_method_types: ['card', 'alipay', 'wechat_pay'],
      payment_method_options: { wechat_pay: { client: 'web' } },
      // A console order comes back to the console's own return page.
      success_url: `${r.url}/wallet/return?order=${tradeNo}`,
    });
    const create = stripe.requests.find((q) => q.path === '/v1/checkout/sessions' && q.method === 'POST')!;
    expect(create.idempotencyKey).toBe(`relay-order-${tradeNo}`);
    const row = await r.ctx.db.prisma.paymentOrder.findUniqueOrThrow({ where: { tradeNo } });
    // 10.00 CNY at 7 CNY per USD: 714,285 units (rounded down).
    expect(row).toMatchObject({ provider: 'stripe', currency: 'CNY', amount: 1000n, quota: 714_285n, status: 'pending', providerRef: session.id, source: 'console' });
    // Stripe's session outlives our order by two minutes, so a last-minute payment can finish.
    expect(session.expires_at * 1000 - row.expiresAt.getTime()).toBeGreaterThanOrEqual(119_000);
  });

  it('refuses amounts outside the limits and unknown fields, naming them', async () => {
    const low = await r.app.inject({ method: 'POST', url: '/api/payments/orders', headers: buyer.auth, payload: { amount: 99, provider: 'stripe' } });
    expect(low.statusCode).toBe(400);
    expect(low.json()).toMatchObject({ error: { code: 'invalid_request', param: 'amount' } });
    const extra = await r.app.inject({ method: 'POST', url: '/api/payments/orders', headers: buyer.auth, payload: { amount: 1000, provider: 'stripe', quota: 1e9 } });
    expect(extra.statusCode).toBe(400);
    expect(extra.json()).toMatchObject({ error: { param: 'quota' } });
    const stars = await r.app.inject({ method: 'POST', url: '/api/payments/orders', headers: buyer.auth, payload: { amount: 1000, provider: 'telegram_stars' } });
    expect(stars.statusCode).toBe(400);
    const query = await r.app.inject({ url: '/api/payments/orders?page=1&userId=1', headers: buyer.auth });
    expect(query.statusCode).toBe(400);
    expect(query.json()).toMatchObject({ error: { code: 'invalid_request', param: 'userId' } });
  });

  it('credits a paid order exactly once under duplicated, concurrent and differently-named confirmations', async () => {
    const { id, session } = await order(1000);
    stripe.pay(session);
    const before = await balanceOf(r, buyer.id);
    const completed = stripe.event('checkout.session.completed', session);
    const succeeded = stripe.event('checkout.session.async_payment_succeeded', session);
    // The same event ten times at once, plus a second confirmation of the same payment.
    const answers = await Promise.all([...Array.from({ length: 10 }, () => deliverStripe(r, completed)), deliverStripe(r, succeeded)]);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(answers.filter((a) => a.body.outcome === 'credited')).toHaveLength(1);
    expect(await balanceOf(r, buyer.id)).toBe(before + 714_285n);
    // Later redeliveries change nothing either.
    expect((await deliverStripe(r, completed)).body.outcome).toBe('duplicate');
    expect(await balanceOf(r, buyer.id)).toBe(before + 714_285n);

    const row = await r.ctx.db.prisma.paymentOrder.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ status: 'paid', paymentRef: session.payment_intent });
    const logs = (await topupLogs(r, buyer.id)).filter((l) => l.content.includes(row.tradeNo));
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ type: 'topup', source: 'stripe', quota: 714_285n });
    const events = await r.ctx.db.prisma.paymentEvent.findMany({ where: { orderId: id } });
    expect(events.map((e) => e.outcome).sort()).toEqual(['credited', 'not credited: the order is paid']);
  });

  it('waits for a delayed method: completed but unpaid credits nothing until async_payment_succeeded', async () => {
    const { id, session } = await order(700);
    stripe.pay(session, { delayed: true });
    const before = await balanceOf(r, buyer.id);
    expect((await deliverStripe(r, stripe.event('checkout.session.completed', session))).body.outcome).toBe('awaiting payment');
    expect(await balanceOf(r, buyer.id)).toBe(before);
    session.payment_status = 'paid';
    expect((await deliverStripe(r, stripe.event('checkout.session.async_payment_succeeded', session))).body.outcome).toBe('credited');
    expect(await balanceOf(r, buyer.id)).toBe(before + 500_000n);
    expect((await r.ctx.db.prisma.paymentOrder.findUniqueOrThrow({ where: { id } })).status).toBe('paid');
  });

  it('refuses forged, altered, unsigned and replayed deliveries, and logs them without the signature', async () => {
    const { id, session } = await order(1000);
    stripe.pay(session);
    const event = stripe.event('checkout.session.completed', session);
    const before = await balanceOf(r, buyer.id);
    const warn = vi.spyOn(r.ctx.log, 'warn');

    const forged = await deliverStripe(r, event, { secret: 'whsec_someone_elses_secret_000' });
    expect(forged.status).toBe(400);
    expect(forged.body).toMatchObject({ error: { code: 'invalid_request', message: 'invalid signature' } });
    const signed = FakeStripe.sign(event, 'whsec_test_secret_0123456789abcdef');
    const altered = await deliverStripe(r, event, { body: signed.body.replace('"amount_total":1000', '"amount_total":100000'), signature: signed.signature });
    expect(altered.status).toBe(400);
    expect((await deliverStripe(r, event, { signature: '' })).status).toBe(400);
    // A delivery captured and sent again later: Stripe's timestamp is older than the 5-minute tolerance.
    const stale = await deliverStripe(r, event, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    expect(stale.status).toBe(400);

    expect(await balanceOf(r, buyer.id)).toBe(before);
    expect((await r.ctx.db.prisma.paymentOrder.findUniqueOrThrow({ where: { id } })).status).toBe('pending');
    const refusals = warn.mock.calls.filter((c) => c[1] === 'stripe webhook refused');
    expect(refusals).toHaveLength(4);
    expect(refusals[0]![0]).toMatchObject({ reason: expect.stringMatching(/signature does not verify/) });
    const logged = JSON.stringify(warn.mock.calls);
    expect(logged).not.toContain(signed.signature.split(',')[1]!.slice(3));
    expect(logged).not.toContain('whsec_');
    warn.mockRestore();
  });

  it('refuses a genuine event whose amount or currency differs from the order', async () => {
    const { id, session } = await order(1000);
    stripe.pay(session);
    const before = await balanceOf(r, buyer.id);
    const cheaper = await deliverStripe(r, stripe.event('checkout.session.completed', { ...session, amount_total: 1 }));
    expect(cheaper.body.outcome).toBe('refused: amount mismatch');
    const otherCurrency = await deliverStripe(r, stripe.event('checkout.session.completed', { ...session, currency: 'jpy' }));
    expect(otherCurrency.body.outcome).toBe('refused: amount mismatch');
    expect(await balanceOf(r, buyer.id)).toBe(before);
    expect((await r.ctx.db.prisma.paymentOrder.findUniqueOrThrow({ where: { id } })).status).toBe('pending');
    // An event for a session that is not ours is acknowledged and ignored.
    const stranger = await deliverStripe(r, stripe.event('checkout.session.completed', { ...session, id: 'cs_test_other', client_reference_id: 'RSNOPE' }));
    expect(stranger.body.outcome).toBe('ignored: not an order of this relay');
  });

  it('records refunds (cumulative, in any order) and takes back only what is unspent', async () => {
    const { id, session } = await order(2000); // 1,428,571 units
    stripe.pay(session);
    await deliverStripe(r, stripe.event('checkout.session.completed', session));
    const credited = await balanceOf(r, buyer.id);

    // Half refunded (in the Dashboard): half the quota comes back from the balance.
    expect((await deliverStripe(r, stripe.event('charge.refunded', stripe.charge(session, 1000)))).body.outcome).toBe('reversed');
    expect(await balanceOf(r, buyer.id)).toBe(credited - 714_286n);
    // A late, older report (smaller cumulative amount) changes nothing.
    expect((await deliverStripe(r, stripe.event('charge.refunded', stripe.charge(session, 500)))).body.outcome).toBe('unchanged');

    // Most of the balance is spent; the full refund takes what is left and records the rest as unrecovered.
    await r.ctx.db.prisma.user.update({ where: { id: buyer.id }, data: { quota: 100_000n } });
    expect((await deliverStripe(r, stripe.event('charge.refunded', stripe.charge(session, 2000)))).body.outcome).toBe('reversed');
    expect(await balanceOf(r, buyer.id)).toBe(0n);
    const row = await r.ctx.db.prisma.paymentOrder.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ status: 'refunded', refundedAmount: 2000n, quotaReclaimed: 814_286n, quotaUnrecovered: 614_285n });
    const log = (await topupLogs(r, buyer.id)).at(-1)!;
    expect(log).toMatchObject({ type: 'manage', source: 'stripe', quota: 100_000n });
    expect(log.content).toContain('614285 units could not be taken back (already spent)');
    await r.ctx.db.prisma.user.update({ where: { id: buyer.id }, data: { quota: 1_000_000n } });
  });

  it('a refund that arrives before the payment is confirmed: the order is never credited', async () => {
    const { id, session } = await order(1000);
    stripe.pay(session);
    const before = await balanceOf(r, buyer.id);
    // charge.refunded first: the relay does not know the PaymentIntent yet and asks Stripe which session made it.
    expect((await deliverStripe(r, stripe.event('charge.refunded', stripe.charge(session, 1000)))).body.outcome).toBe('reversed');
    expect((await deliverStripe(r, stripe.event('checkout.session.completed', session))).body.outcome).toBe('not credited: order is refunded');
    expect(await balanceOf(r, buyer.id)).toBe(before);
    expect((await r.ctx.db.prisma.paymentOrder.findUniqueOrThrow({ where: { id } })).status).toBe('refunded');
  });

  it('a chargeback takes the quota back and marks the order disputed', async () => {
    const { id, session } = await order(700);
    stripe.pay(session);
    await deliverStripe(r, stripe.event('checkout.session.completed', session));
    const before = await balanceOf(r, buyer.id);
    expect((await deliverStripe(r, stripe.event('charge.dispute.created', stripe.dispute(session)))).body.outcome).toBe('reversed');
    expect(await balanceOf(r, buyer.id)).toBe(before - 500_000n);
    expect((await r.ctx.db.prisma.paymentOrder.findUniqueOrThrow({ where: { id } })).status).toBe('disputed');
  });

  it('admins refund through Stripe (partial, then the rest); the webhook that follows changes nothing more', async () => {
    const { id, session } = await order(1400); // 1,000,000 units
    stripe.pay(session);
    await deliverStripe(r, stripe.event('checkout.session.completed', session));
    const before = await balanceOf(r, buyer.id);

    const refund = (payload: object) => r.app.inject({ method: 'POST', url: `/api/payments/admin/orders/${id}/refund`, headers: ADMIN, payload });
    const denied = await r.app.inject({ method: 'POST', url: `/api/payments/admin/orders/${id}/refund`, headers: buyer.auth, payload: {} });
    expect(denied.statusCode).toBe(403);
    expect((await refund({ amount: 5000 })).statusCode).toBe(400);

    const part = await refund({ amount: 700, reason: 'asked by the buyer' });
    expect(part.statusCode, part.body).toBe(200);
    expect(part.json()).toMatchObject({ outcome: 'reversed', quotaReclaimed: 500_000, order: { status: 'partially_refunded', refundedAmount: 700 } });
    expect(stripe.refunds.at(-1)).toMatchObject({ amount: 700, payment_intent: session.payment_intent });
    // Stripe then reports the same refund: nothing more happens.
    expect((await deliverStripe(r, stripe.event('charge.refunded', stripe.charge(session, 700)))).body.outcome).toBe('unchanged');

    const rest = await refund({});
    expect(rest.json()).toMatchObject({ outcome: 'reversed', quotaReclaimed: 500_000, order: { status: 'refunded', refundedAmount: 1400 } });
    expect(await balanceOf(r, buyer.id)).toBe(before - 1_000_000n);
    expect((await refund({})).statusCode).toBe(409);
    const log = (await topupLogs(r, buyer.id)).at(-1)!;
    expect(log.content).toMatch(/^refund of order RS\w+ recorded by user 1: 14\.00 CNY of 14\.00 CNY returned, 500000 units taken back/);
  });

  it('lists orders: the buyer sees their own, admins filter everything', async () => {
    const mine = await r.app.inject({ url: '/api/payments/orders?pageSize=3', headers: buyer.auth });
    expect(mine.statusCode).toBe(200);
    const page = mine.json() as { items: Array<{ userId: number; status: string }>; total: number };
    expect(page.items).toHaveLength(3);
    expect(page.total).toBeGreaterThan(3);
    expect(page.items.every((o) => o.userId === buyer.id)).toBe(true);

    const refunded = await r.app.inject({ url: `/api/payments/admin/orders?status=refunded&provider=stripe&userId=${buyer.id}`, headers: ADMIN });
    const body = refunded.json() as { items: Array<{ status: string; username: string }> };
    expect(body.items.length).toBeGreaterThanOrEqual(2);
    expect(body.items.every((o) => o.status === 'refunded' && o.username === `buyer_${kind}`)).toBe(true);
    expect((await r.app.inject({ url: '/api/payments/admin/orders', headers: buyer.auth })).statusCode).toBe(403);
    expect((await r.app.inject({ url: '/api/payments/admin/orders?from=yesterday', headers: ADMIN })).json()).toMatchObject({ error: { param: 'from' } });
  });

  it('lets one user hold at most 10 unpaid orders (each costs a call to Stripe)', async () => {
    const spammer = await createUserWithKey(r, `spammer_${kind}`);
    const create = () => r.app.inject({ method: 'POST', url: '/api/payments/orders', headers: spammer.auth, payload: { amount: 100, provider: 'stripe' } });
    for (let i = 0; i < 10; i++) expect((await create()).statusCode).toBe(201);
    const refused = await create();
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ error: { code: 'rate_limited' } });
    // Once one has expired there is room again.
    await r.ctx.db.prisma.paymentOrder.updateMany({ where: { userId: spammer.id }, data: { expiresAt: new Date(Date.now() - 1) } });
    expect((await create()).statusCode).toBe(201);
  });

  it('shows the status page at the return URL without crediting anything', async () => {
    const { tradeNo } = await order(1000);
    const before = await balanceOf(r, buyer.id);
    const page = await fetch(`${r.url}/api/payments/return?order=${tradeNo}`, { headers: { 'accept-language': 'zh-CN,zh;q=0.9' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('正在等待支付确认');
    expect(html).toContain(tradeNo);
    expect(await balanceOf(r, buyer.id)).toBe(before);
  });
});
