// What the console's payment pages need from the API, on both databases: a buyer finds their own order by its number
// (the return page), an admin opens one order with its history and how it can be refunded, and the EPay return URL
// sends console buyers on to the console while bot buyers keep the relay's own status page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentOrder } from '../../src/generated/sqlite/client.js';
import { refundOptions } from '../../src/payments/service.js';
import { dbKinds } from '../helpers/context.js';
import { FakeEpayGateway } from '../fakes/epay-gateway.js';
import { ADMIN, EPAY_KEY, EPAY_PID, configurePayments, createUserWithKey, startPaymentRelay, type PaymentRelay } from './helpers.js';

interface Detail {
  order: { id: number; tradeNo: string; username: string | null; status: string; minorDigits: number; refundedAmount: number };
  events: { provider: string; eventId: string; type: string; outcome: string; createdAt: string }[];
  refund: { left: number; throughProvider: string } | null;
}

describe.each(dbKinds)('payment API for the console on %s', (kind) => {
  let r: PaymentRelay;
  let gateway: FakeEpayGateway;
  let buyer: { id: number; auth: { authorization: string } };
  let other: { id: number; auth: { authorization: string } };

  beforeAll(async () => {
    gateway = await FakeEpayGateway.start(EPAY_PID, EPAY_KEY);
    r = await startPaymentRelay(kind);
    await configurePayments(r, null, gateway);
    buyer = await createUserWithKey(r, `console_buyer_${kind}`);
    other = await createUserWithKey(r, `console_other_${kind}`);
  });
  afterAll(async () => {
    await r?.close();
    await gateway?.close();
  });

  async function order(amount: number, who = buyer): Promise<{ id: number; tradeNo: string }> {
    const res = await r.app.inject({ method: 'POST', url: '/api/payments/orders', headers: who.auth, payload: { amount, provider: 'epay' } });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json() as { order: { id: number; tradeNo: string }; checkoutUrl: string };
    expect((await gateway.open(body.checkoutUrl)).status).toBe(200);
    return body.order;
  }
  const detail = async (id: number, headers: Record<string, string> = ADMIN) => r.app.inject({ url: `/api/payments/admin/orders/${id}`, headers });

  it('finds a buyer’s own order by its number, and only their own', async () => {
    const mine = await order(1000);
    const theirs = await order(1000, other);
    const find = async (tradeNo: string, who = buyer) =>
      (await r.app.inject({ url: `/api/payments/orders?tradeNo=${tradeNo}`, headers: who.auth })).json() as { items: { id: number; minorDigits: number }[]; total: number };
    expect(await find(mine.tradeNo)).toMatchObject({ total: 1, items: [{ id: mine.id, minorDigits: 2 }] });
    expect(await find(theirs.tradeNo)).toEqual({ items: [], total: 0 });
    // The buyer's list takes no admin filters: the query string is strict.
    const refused = await r.app.inject({ url: `/api/payments/orders?userId=${other.id}`, headers: buyer.auth });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ error: { code: 'invalid_request' } });
  });

  it('shows an admin one order with its buyer, its history and how it can be refunded', async () => {
    const { id, tradeNo } = await order(1400);
    expect((await detail(id, buyer.auth)).statusCode).toBe(403);
    expect((await detail(2_000_000)).statusCode).toBe(404);
    const pending = (await detail(id)).json() as Detail;
    expect(pending).toMatchObject({ order: { id, tradeNo, username: `console_buyer_${kind}`, status: 'pending' }, events: [], refund: null });

    // Paid through the gateway (the retry changes nothing and records nothing more).
    expect((await gateway.notify(tradeNo)).text).toBe('success');
    expect((await gateway.notify(tradeNo)).text).toBe('success');
    const paid = (await detail(id)).json() as Detail;
    expect(paid.order.status).toBe('paid');
    expect(paid.events).toMatchObject([{ provider: 'epay', eventId: `${gateway.orders.get(tradeNo)!.trade_no}:TRADE_SUCCESS`, outcome: 'credited' }]);
    // EPay has no refund call: the whole amount can be recorded, nothing sent through the provider.
    expect(paid.refund).toEqual({ left: 1400, throughProvider: 'none' });

    const part = await r.app.inject({ method: 'POST', url: `/api/payments/admin/orders/${id}/refund`, headers: ADMIN, payload: { amount: 400, recordOnly: true, reason: 'partly refunded in the panel' } });
    expect(part.statusCode, part.body).toBe(200);
    const partly = (await detail(id)).json() as Detail;
    expect(partly.order).toMatchObject({ status: 'partially_refunded', refundedAmount: 400 });
    expect(partly.refund).toEqual({ left: 1000, throughProvider: 'none' });
    expect(partly.events.map((e) => e.type)).toEqual(['notify:TRADE_SUCCESS', 'refund_recorded']);

    const rest = await r.app.inject({ method: 'POST', url: `/api/payments/admin/orders/${id}/refund`, headers: ADMIN, payload: { recordOnly: true } });
    expect(rest.statusCode, rest.body).toBe(200);
    expect(((await detail(id)).json() as Detail)).toMatchObject({ order: { status: 'refunded', refundedAmount: 1400 }, refund: null });
    const again = await r.app.inject({ method: 'POST', url: `/api/payments/admin/orders/${id}/refund`, headers: ADMIN, payload: { recordOnly: true } });
    expect(again.statusCode).toBe(409);
  });

  it('records a hand-marked payment in the order’s history', async () => {
    const { id } = await order(700);
    const marked = await r.app.inject({ method: 'POST', url: `/api/payments/admin/orders/${id}/mark-paid`, headers: ADMIN, payload: { note: 'bank transfer' } });
    expect(marked.statusCode, marked.body).toBe(200);
    const d = (await detail(id)).json() as Detail;
    expect(d.events).toMatchObject([{ type: 'marked_paid', eventId: `manual:${id}`, outcome: 'credited' }]);
    expect(d.refund).toEqual({ left: 700, throughProvider: 'none' });
  });

  it('sends every buyer to the operator’s return page when one is set', async () => {
    const set = await r.app.inject({ method: 'PUT', url: '/api/payments/settings', headers: ADMIN, payload: { general: { returnUrl: 'https://shop.example/paid' } } });
    expect(set.statusCode, set.body).toBe(200);
    try {
      const fromConsole = await order(1000);
      const fromBot = await r.payments.createOrder({ userId: buyer.id, provider: 'epay', amount: 1000, source: 'discord', chatUserId: '7' });
      await gateway.open(fromBot.checkoutUrl!);
      for (const tradeNo of [fromConsole.tradeNo, fromBot.order.tradeNo]) {
        const back = await gateway.returnTo(tradeNo);
        expect(back.status).toBe(302);
        expect(back.headers.get('location')).toBe(`https://shop.example/paid?order=${tradeNo}`);
      }
    } finally {
      await r.app.inject({ method: 'PUT', url: '/api/payments/settings', headers: ADMIN, payload: { general: { returnUrl: '' } } });
    }
  });
});

describe('refund options', () => {
  const paid = (change: Partial<PaymentOrder>): PaymentOrder =>
    ({ provider: 'stripe', status: 'paid', paidAt: new Date(), amount: 1000n, refundedAmount: 0n, disputedAmount: 0n, ...change }) as PaymentOrder;

  it('follow what each provider’s refund call allows', () => {
    expect(refundOptions(paid({}))).toEqual({ left: 1000, throughProvider: 'any_amount' });
    expect(refundOptions(paid({ status: 'partially_refunded', refundedAmount: 300n }))).toEqual({ left: 700, throughProvider: 'any_amount' });
    expect(refundOptions(paid({ provider: 'telegram_stars', amount: 100n }))).toEqual({ left: 100, throughProvider: 'whole_only' });
    // Telegram refunds only a whole payment: after a partial refund recorded by hand, only recording is left.
    expect(refundOptions(paid({ provider: 'telegram_stars', amount: 100n, status: 'partially_refunded', refundedAmount: 10n }))).toEqual({ left: 90, throughProvider: 'none' });
    expect(refundOptions(paid({ provider: 'epay' }))).toEqual({ left: 1000, throughProvider: 'none' });
    for (const status of ['pending', 'expired', 'failed', 'refunded', 'disputed']) expect(refundOptions(paid({ status, paidAt: status === 'pending' ? null : new Date() })), status).toBeNull();
  });
});
