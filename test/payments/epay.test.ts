// EPay (易支付) end to end on both databases against a fake gateway that checks our signatures and calls our
// notify_url over HTTP: credited once however often (and however concurrently) the gateway notifies; forged, altered,
// unknown and replayed notifications refused; the return URL only shows status; unpaid orders expire; a payment that
// arrives after expiry is still credited; refunds are recorded by hand.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dbKinds } from '../helpers/context.js';
import { FakeEpayGateway } from '../fakes/epay-gateway.js';
import { ADMIN, EPAY_KEY, EPAY_PID, balanceOf, configurePayments, createUserWithKey, startPaymentRelay, topupLogs, type PaymentRelay } from './helpers.js';

describe.each(dbKinds)('EPay on %s', (kind) => {
  let r: PaymentRelay;
  let gateway: FakeEpayGateway;
  let buyer: { id: number; auth: { authorization: string } };

  beforeAll(async () => {
    gateway = await FakeEpayGateway.start(EPAY_PID, EPAY_KEY);
    r = await startPaymentRelay(kind, { captureLogs: true });
    await configurePayments(r, null, gateway);
    buyer = await createUserWithKey(r, `epay_${kind}`);
  });
  afterAll(async () => {
    await r?.close();
    await gateway?.close();
  });

  /** An order, opened at the gateway as the buyer's browser would. */
  async function order(amount = 1000, method?: string): Promise<{ tradeNo: string; id: number; checkoutUrl: string }> {
    const res = await r.app.inject({ method: 'POST', url: '/api/payments/orders', headers: buyer.auth, payload: { amount, provider: 'epay', ...(method ? { method } : {}) } });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json() as { order: { tradeNo: string; id: number }; checkoutUrl: string };
    expect(await gateway.open(body.checkoutUrl)).toMatchObject({ status: 200 });
    return { tradeNo: body.order.tradeNo, id: body.order.id, checkoutUrl: body.checkoutUrl };
  }

  it('sends the buyer to submit.php with a signature the gateway accepts', async () => {
    const { tradeNo, checkoutUrl } = await order(1000, 'wxpay');
    expect(checkoutUrl.startsWith(`${gateway.url}/submit.php?`)).toBe(true);
    expect(gateway.orders.get(tradeNo)).toMatchObject({
      pid: EPAY_PID,
      type: 'wxpay',
      money: '10.00',
      notify_url: `${r.url}/api/payments/epay/notify`,
      return_url: `${r.url}/api/payments/epay/return`,
    });
    expect(gateway.refusedSubmits).toEqual([]);
    const bad = await r.app.inject({ method: 'POST', url: '/api/payments/orders', headers: buyer.auth, payload: { amount: 1000, provider: 'epay', method: 'bitcoin' } });
    expect(bad.json()).toMatchObject({ error: { code: 'invalid_request', param: 'method' } });
  });

  it('credits once however many notifications arrive at once, answering each "success"', async () => {
    const { tradeNo, id } = await order(1000);
    const before = await balanceOf(r, buyer.id);
    const answers = await Promise.all([
      ...Array.from({ length: 6 }, () => gateway.notify(tradeNo)),
      ...Array.from({ length: 6 }, () => gateway.notify(tradeNo, { method: 'POST' })),
    ]);
    expect(answers.map((a) => a.text)).toEqual(Array(12).fill('success'));
    expect(await balanceOf(r, buyer.id)).toBe(before + 714_285n);
    // The gateway retries later (our answer was lost): acknowledged again, nothing more credited.
    expect(await gateway.notify(tradeNo)).toEqual({ status: 200, text: 'success' });
    expect(await balanceOf(r, buyer.id)).toBe(before + 714_285n);
    const row = await r.ctx.db.prisma.paymentOrder.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ status: 'paid', providerRef: gateway.orders.get(tradeNo)!.trade_no });
    expect((await topupLogs(r, buyer.id)).filter((l) => l.content.includes(tradeNo))).toMatchObject([{ type: 'topup', source: 'epay', quota: 714_285n }]);
  });

  it('refuses forged signatures, changed amounts, other merchants, unknown orders and non-payments, and logs why', async () => {
    const { tradeNo, id } = await order(1000);
    const before = await balanceOf(r, buyer.id);
    const warn = vi.spyOn(r.ctx.log, 'warn');
    const refusedWith = async (params: Record<string, string>) => gateway.notify(tradeNo, { params });

    expect(await refusedWith(gateway.notifyParams(tradeNo, {}, 'not-the-merchant-key'))).toEqual({ status: 400, text: 'fail' });
    // An attacker changes the amount after the gateway signed it.
    expect(await refusedWith({ ...gateway.notifyParams(tradeNo), money: '1000.00' })).toEqual({ status: 400, text: 'fail' });
    // A notification correctly signed but for a different amount than the order's (a gateway bug or a reused key).
    expect(await refusedWith(gateway.notifyParams(tradeNo, { money: '0.01' }))).toEqual({ status: 400, text: 'fail' });
    expect(await refusedWith(gateway.notifyParams(tradeNo, { pid: '9999' }))).toEqual({ status: 400, text: 'fail' });
    expect(await refusedWith(gateway.notifyParams(tradeNo, { out_trade_no: 'RSUNKNOWN' }))).toEqual({ status: 400, text: 'fail' });
    // A signed notification that is not a payment is acknowledged and ignored.
    expect(await refusedWith(gateway.notifyParams(tradeNo, { trade_status: 'WAIT_BUYER_PAY' }))).toEqual({ status: 200, text: 'success' });
    const missingSign = { ...gateway.notifyParams(tradeNo) } as Record<string, string>;
    delete missingSign.sign;
    expect(await refusedWith(missingSign)).toEqual({ status: 400, text: 'fail' });

    expect(await balanceOf(r, buyer.id)).toBe(before);
    expect((await r.ctx.db.prisma.paymentOrder.findUniqueOrThrow({ where: { id } })).status).toBe('pending');
    const reasons = warn.mock.calls.filter((c) => c[1] === 'epay notify refused').map((c) => (c[0] as { reason: string }).reason);
    expect(reasons).toEqual([
      'signature does not verify (forged or altered)',
      'signature does not verify (forged or altered)',
      "money 0.01 differs from the order's 10.00 CNY",
      'pid 9999 is not this merchant',
      'unknown order',
      'signature does not verify (forged or altered)',
    ]);
    expect(JSON.stringify(warn.mock.calls)).not.toContain(EPAY_KEY);
    warn.mockRestore();
    // Nothing written to the log (the access log included) carries a signature or the key.
    const signature = gateway.notifyParams(tradeNo).sign!;
    expect(r.logs.some((line) => line.includes('epay notify refused'))).toBe(true);
    for (const line of r.logs) {
      expect(line).not.toContain(signature);
      expect(line).not.toContain(EPAY_KEY);
    }
    // The genuine notification still works afterwards.
    expect((await gateway.notify(tradeNo)).text).toBe('success');
    expect(await balanceOf(r, buyer.id)).toBe(before + 714_285n);
  });

  it('the return URL shows the status and never credits; a console order goes on to the console’s return page', async () => {
    // An order made in a bot: its buyer may have no console sign-in, so the relay's own page shows the status.
    const made = await r.payments.createOrder({ userId: buyer.id, provider: 'epay', amount: 1000, source: 'telegram', chatUserId: '42' });
    expect((await gateway.open(made.checkoutUrl!)).status).toBe(200);
    const tradeNo = made.order.tradeNo;
    const before = await balanceOf(r, buyer.id);
    const page = await gateway.returnTo(tradeNo);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Waiting for the payment to be confirmed');
    expect(await balanceOf(r, buyer.id)).toBe(before);
    await gateway.notify(tradeNo);
    expect(await (await gateway.returnTo(tradeNo)).text()).toContain('Paid. The quota has been added');

    // An order made in the console: sent on to the console with the order number only (the signed parameters stay here).
    const fromConsole = await order(1000);
    const afterPaid = await balanceOf(r, buyer.id);
    const back = await gateway.returnTo(fromConsole.tradeNo);
    expect(back.status).toBe(302);
    expect(back.headers.get('location')).toBe(`${r.url}/wallet/return?order=${fromConsole.tradeNo}`);
    expect(await balanceOf(r, buyer.id)).toBe(afterPaid);
  });

  it('expires unpaid orders; a payment that still arrives afterwards is credited, with a note', async () => {
    const { tradeNo, id } = await order(1000);
    const listed = async () =>
      (await r.app.inject({ url: `/api/payments/orders/${id}`, headers: buyer.auth })).json() as { status: string; checkoutUrl: string | null };
    expect(await listed()).toMatchObject({ status: 'pending' });
    // Past its expiry the order reads as expired at once (lazily), and the sweep writes it.
    await r.ctx.db.prisma.paymentOrder.update({ where: { id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await listed()).toMatchObject({ status: 'expired', checkoutUrl: null });
    expect(await r.payments.expireDue()).toBeGreaterThanOrEqual(1);
    expect((await r.ctx.db.prisma.paymentOrder.findUniqueOrThrow({ where: { id } })).status).toBe('expired');
    expect(await r.payments.expireDue()).toBe(0);

    const before = await balanceOf(r, buyer.id);
    expect((await gateway.notify(tradeNo)).text).toBe('success');
    expect(await balanceOf(r, buyer.id)).toBe(before + 714_285n);
    const log = (await topupLogs(r, buyer.id)).at(-1)!;
    expect(log.content).toContain('after the order had expired');
  });

  it('refunds: EPay has no refund call, so an admin records one made in the gateway panel', async () => {
    const { tradeNo, id } = await order(1400);
    await gateway.notify(tradeNo);
    const before = await balanceOf(r, buyer.id);
    const viaApi = await r.app.inject({ method: 'POST', url: `/api/payments/admin/orders/${id}/refund`, headers: ADMIN, payload: {} });
    expect(viaApi.statusCode).toBe(409);
    expect(viaApi.json()).toMatchObject({ error: { code: 'conflict', param: 'recordOnly' } });
    const recorded = await r.app.inject({ method: 'POST', url: `/api/payments/admin/orders/${id}/refund`, headers: ADMIN, payload: { recordOnly: true, reason: 'refunded in the gateway panel' } });
    expect(recorded.statusCode, recorded.body).toBe(200);
    expect(recorded.json()).toMatchObject({ outcome: 'reversed', quotaReclaimed: 1_000_000, order: { status: 'refunded' } });
    expect(await balanceOf(r, buyer.id)).toBe(before - 1_000_000n);
  });

  it('an admin marks an unpaid order paid by hand, once, and the log says who', async () => {
    const { id } = await order(700);
    const before = await balanceOf(r, buyer.id);
    const mark = (headers = ADMIN) => r.app.inject({ method: 'POST', url: `/api/payments/admin/orders/${id}/mark-paid`, headers, payload: { note: 'bank transfer 2026-12-06' } });
    expect((await mark(buyer.auth)).statusCode).toBe(403);
    const [first, second] = await Promise.all([mark(), mark()]);
    expect([first!.statusCode, second!.statusCode].sort()).toEqual([200, 409]);
    expect(await balanceOf(r, buyer.id)).toBe(before + 500_000n);
    const log = (await topupLogs(r, buyer.id)).at(-1)!;
    expect(log).toMatchObject({ type: 'topup', source: 'admin', quota: 500_000n });
    expect(log.content).toMatch(/marked paid by hand by user 1: bank transfer 2026-12-06/);
    expect((await r.ctx.db.prisma.paymentOrder.findUniqueOrThrow({ where: { id } })).paidBy).toBe(1);
  });

  it('rate limits the public callbacks per address', async () => {
    let status = 0;
    for (let i = 0; i < 125 && status !== 429; i++) {
      status = (await r.app.inject({ url: '/api/payments/epay/notify?pid=1', remoteAddress: '203.0.113.9' })).statusCode;
    }
    expect(status).toBe(429);
    // Another address is not affected.
    expect((await r.app.inject({ url: '/api/payments/return', remoteAddress: '203.0.113.10' })).statusCode).toBe(200);
  });
});
