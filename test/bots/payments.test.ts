// Paying from the chat, end to end on both databases: the real grammY bot against the fake Telegram Bot API, over the
// real relay backend and PaymentService, with the fake Stripe API. From /recharge to "balance is now …" for Telegram
// Stars (invoice → pre_checkout_query → successful_payment) and for a Stripe checkout link (→ signed webhook), in
// English and Chinese; refusals at pre-checkout; an admin refund through refundStarPayment; QQ's text choices.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelayBackend } from '../../bots/core/relay-backend.js';
import { createBotCore } from '../../bots/core/core.js';
import { TransportRegistry } from '../../bots/core/notifications.js';
import { connectPaymentNotices } from '../../bots/core/payment-notices.js';
import { plainText } from '../../bots/qq/reply-transport.js';
import { startTelegramBot, type RunningTelegramBot } from '../../bots/telegram/start.js';
import { dbKinds } from '../helpers/context.js';
import { FakeStripe } from '../fakes/stripe-api.js';
import { FakeTelegramApi, type ChatUser, type FakeMessage } from '../fakes/telegram-api.js';
import { ADMIN, STRIPE_SECRET_KEY, balanceOf, configurePayments, deliverStripe, startPaymentRelay, type PaymentRelay } from '../payments/helpers.js';
import { createFakeTransport } from './fake-transport.js';
import { createMemoryLogger } from './core-suite.js';

const TOKEN = '110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';
const alice: ChatUser & { language_code: string } = { id: 7001, first_name: 'Alice', language_code: 'en' };
const bob: ChatUser & { language_code: string } = { id: 7002, first_name: '小明', language_code: 'zh-hans' };
const mallory: ChatUser = { id: 7003, first_name: 'Mallory' };
const GROUP = -100_777;
const FAST = { editIntervalMs: 20, pollTimeoutSeconds: 1, retryDelayMs: { initial: 20, max: 200 } };

/** Polls an async condition (bounded). */
async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

type Keyboard = { inline_keyboard: Array<Array<{ text: string; callback_data: string }>> };

describe.each(dbKinds)('recharging from the chat on %s', (kind) => {
  let r: PaymentRelay;
  let stripe: FakeStripe;
  let telegram: FakeTelegramApi;
  let running: RunningTelegramBot;
  let disconnect: () => void;
  let aliceId: number;
  let bobId: number;
  const log = createMemoryLogger();

  /** Telegram sends `text` (or presses a button) as `from`; resolves with the next `count` bot messages in that chat. */
  async function act(from: ChatUser, send: () => void, chatId = from.id, count = 1): Promise<FakeMessage[]> {
    const before = telegram.chat(chatId).length;
    send();
    return telegram.waitFor(() => {
      const fresh = telegram.chat(chatId).slice(before);
      return fresh.length >= count ? fresh : undefined;
    }, 8000, `${count} bot message(s) for ${from.first_name}`);
  }
  const say = (from: ChatUser, text: string, chatId = from.id) => act(from, () => telegram.sendText(from, text, chatId), chatId);
  const press = (from: ChatUser, message: FakeMessage, data: string) => act(from, () => telegram.pressButton(from, message, data));
  const buttonsOf = (message: FakeMessage) => (message.reply_markup as Keyboard).inline_keyboard.flat();

  beforeAll(async () => {
    telegram = await FakeTelegramApi.start(TOKEN);
    stripe = await FakeStripe.start(STRIPE_SECRET_KEY);
    // TELEGRAM_BOT_TOKEN in the relay's own config: refunds of Stars go through the Bot API from any instance.
    r = await startPaymentRelay(kind, { payments: { stripe: stripe.endpoint }, env: { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: telegram.url } });
    await configurePayments(r, stripe, null, { telegramStars: { enabled: true, quotaPerStar: 6500, presets: [100, 500] } });
    const prisma = r.ctx.db.prisma;
    aliceId = (await prisma.user.create({ data: { username: 'alice_tg', quota: 1_000n } })).id;
    bobId = (await prisma.user.create({ data: { username: 'bob_tg', quota: 0n } })).id;
    await prisma.platformLink.createMany({
      data: [
        { platform: 'telegram', platformUserId: String(alice.id), userId: aliceId },
        { platform: 'telegram', platformUserId: String(bob.id), userId: bobId },
        { platform: 'telegram', platformUserId: String(mallory.id), userId: (await prisma.user.create({ data: { username: 'mallory_tg' } })).id },
      ],
    });
    const registry = new TransportRegistry();
    const backend = createRelayBackend(r.ctx, r.relay, r.payments);
    running = startTelegramBot({ log }, backend, { token: TOKEN, apiRoot: telegram.url, webhookUrl: undefined, webhookSecret: undefined }, { ...FAST, registry });
    await running.connected;
    disconnect = connectPaymentNotices(r.payments, registry, log, { sweepMs: 500 });
  });

  afterAll(async () => {
    disconnect?.();
    await running?.stop();
    await r?.close();
    await telegram?.close();
    await stripe?.close();
  });

  it('/recharge shows the presets, Stars and the orders as buttons, only in a private chat', async () => {
    const [menu] = await say(alice, '/recharge');
    expect(menu!.text).toBe(
      'Top up your balance. 1 USD of quota (500,000 units) costs 7 CNY.\nPick an amount, or send /recharge <amount> (1.00 CNY to 5000.00 CNY).',
    );
    expect(buttonsOf(menu!)).toEqual([
      { text: '10.00 CNY → 714,285 units ($1.42857)', callback_data: '/recharge 10.00' },
      { text: '50.00 CNY → 3,571,428 units ($7.142856)', callback_data: '/recharge 50.00' },
      { text: '100.00 CNY → 7,142,857 units ($14.285714)', callback_data: '/recharge 100.00' },
      { text: '⭐ Pay with Telegram Stars', callback_data: '/recharge stars' },
      { text: '🧾 My orders', callback_data: '/recharge orders' },
    ]);
    const [inGroup] = await say(alice, '/recharge', GROUP);
    expect(inGroup!.text).toMatch(/^For your safety I only take payments in a private chat/);
    expect(await r.ctx.db.prisma.paymentOrder.count()).toBe(0);
  });

  it('Telegram Stars: invoice, pre-checkout, payment, and "balance is now …" in the chat', async () => {
    const [menu] = await say(alice, '/recharge');
    const [starsMenu] = await press(alice, menu!, '/recharge stars');
    expect(starsMenu!.text).toBe('Pay with Telegram Stars: 1 ⭐ buys 6,500 units ($0.013). Pick an amount, or send /recharge stars <1–10000>.');
    expect(buttonsOf(starsMenu!)[0]).toEqual({ text: '⭐ 100 → 650,000 units ($1.30)', callback_data: '/recharge stars 100' });

    const [invoice] = await press(alice, starsMenu!, '/recharge stars 100');
    expect(invoice!.invoice).toMatchObject({ currency: 'XTR', total_amount: 100, title: 'Balance top-up' });
    expect(telegram.callsOf('sendInvoice').at(-1)!.payload).toMatchObject({ provider_token: '', prices: [{ amount: 100 }] });
    const tradeNo = invoice!.invoice!.payload;

    // Someone else cannot pay this invoice; the buyer can.
    const stolen = telegram.preCheckout(mallory, invoice!);
    expect(await telegram.waitFor(() => telegram.preCheckoutAnswer(stolen))).toEqual({
      pre_checkout_query_id: stolen,
      ok: false,
      error_message: 'This invoice belongs to another account.',
    });
    const query = telegram.preCheckout(alice, invoice!);
    const answer = await telegram.waitFor(() => telegram.preCheckoutAnswer(query));
    expect(answer).toEqual({ pre_checkout_query_id: query, ok: true });
    const asked = telegram.calls.find((c) => c.method === 'answerPreCheckoutQuery' && c.payload.pre_checkout_query_id === query)!;
    const pushed = telegram.calls.findLast((c) => c.method === 'getUpdates' && c.at <= asked.at)!;
    expect(asked.at - pushed.at).toBeLessThan(10_000);

    const [notice] = await act(alice, () => telegram.pay(alice, invoice!, 'stxCHARGE0001'));
    expect(notice!.text).toBe(`✅ Payment received: 100 ⭐ (order ${tradeNo}). 650,000 units ($1.30) added. Your balance is now 651,000 units ($1.302).`);
    expect(await balanceOf(r, aliceId)).toBe(651_000n);

    // Telegram repeating the update (or a replay) credits nothing and says nothing more.
    telegram.pay(alice, invoice!, 'stxCHARGE0001');
    const [orders] = await say(alice, '/recharge orders');
    expect(orders!.text).toMatch(new RegExp(`${tradeNo} · 100 ⭐ · 650,000 units \\(\\$1\\.30\\) · paid`));
    expect(await balanceOf(r, aliceId)).toBe(651_000n);
    // The paid invoice cannot be paid again.
    const again = telegram.preCheckout(alice, invoice!);
    expect(await telegram.waitFor(() => telegram.preCheckoutAnswer(again))).toMatchObject({ ok: false, error_message: 'This invoice is already paid.' });
  });

  it('an admin refunds a Stars payment: refundStarPayment, the quota taken back, Telegram’s refunded_payment recorded once', async () => {
    const order = await r.ctx.db.prisma.paymentOrder.findFirstOrThrow({ where: { provider: 'telegram_stars', status: 'paid', userId: aliceId } });
    const res = await r.app.inject({ method: 'POST', url: `/api/payments/admin/orders/${order.id}/refund`, headers: ADMIN, payload: { reason: 'test' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ outcome: 'reversed', quotaReclaimed: 650_000, order: { status: 'refunded' } });
    expect(telegram.callsOf('refundStarPayment').at(-1)!.payload).toEqual({ user_id: alice.id, telegram_payment_charge_id: 'stxCHARGE0001' });
    expect(await balanceOf(r, aliceId)).toBe(1_000n);
    // Telegram's own refunded_payment message arrives afterwards and is recorded as the same refund (no second take).
    await eventually(async () => (await r.ctx.db.prisma.paymentEvent.count({ where: { provider: 'telegram_stars', type: 'refunded_payment' } })) === 1);
    expect(await r.ctx.db.prisma.paymentEvent.findFirst({ where: { type: 'refunded_payment' } })).toMatchObject({ outcome: 'no change' });
    expect(await balanceOf(r, aliceId)).toBe(1_000n);
    expect((await r.ctx.db.prisma.paymentOrder.findUniqueOrThrow({ where: { id: order.id } })).quotaReclaimed).toBe(650_000n);
  });

  it('an expired Stars invoice is refused at pre-checkout, so no money is taken', async () => {
    const [starsMenu] = await say(alice, '/recharge stars');
    const [invoice] = await press(alice, starsMenu!, '/recharge stars 500');
    await r.ctx.db.prisma.paymentOrder.update({ where: { tradeNo: invoice!.invoice!.payload }, data: { expiresAt: new Date(Date.now() - 1) } });
    const query = telegram.preCheckout(alice, invoice!);
    expect(await telegram.waitFor(() => telegram.preCheckoutAnswer(query))).toMatchObject({
      ok: false,
      error_message: 'This invoice has expired. Start again with /recharge.',
    });
  });

  it('a checkout link in Chinese: /recharge → amount → Stripe link → webhook → "当前余额 …"', async () => {
    const [menu] = await say(bob, '/recharge');
    expect(menu!.text).toMatch(/^余额充值。1 美元额度（500,000 额度）售价 7 CNY。\n请选择金额/);
    expect(buttonsOf(menu!)[0]).toEqual({ text: '10.00 CNY → 714,285 额度（$1.42857）', callback_data: '/recharge 10.00' });
    // Stripe is the only checkout provider here, so the amount leads straight to its link.
    const [link] = await press(bob, menu!, '/recharge 10.00');
    const order = await r.ctx.db.prisma.paymentOrder.findFirstOrThrow({ where: { userId: bobId }, orderBy: { id: 'desc' } });
    const session = stripe.sessionFor(order.tradeNo);
    expect(link!.text).toBe(
      `🧾 订单 ${order.tradeNo}：10.00 CNY，到账 714,285 额度（$1.42857）。\n付款链接：${session.url}\n` +
        `链接有效期至 ${order.expiresAt.toISOString().slice(0, 10)} ${order.expiresAt.toISOString().slice(11, 16)} UTC。到账后我会在这里通知你。`,
    );
    expect(session.locale).toBe('zh');
    expect(order).toMatchObject({ source: 'telegram', chatUserId: String(bob.id), locale: 'zh', amount: 1000n });

    stripe.pay(session);
    const [notice] = await act(bob, () => void deliverStripe(r, stripe.event('checkout.session.completed', session)));
    expect(notice!.text).toBe(`✅ 已收到付款 10.00 CNY（订单 ${order.tradeNo}）。已增加 714,285 额度（$1.42857），当前余额 714,285 额度（$1.42857）。`);
    expect(await balanceOf(r, bobId)).toBe(714_285n);
  });

  it('a typed amount outside the limits is refused with the limits', async () => {
    const [refused] = await say(alice, '/recharge 0.50');
    expect(refused!.text).toBe('Amount must be 1.00 CNY to 5000.00 CNY (in minor units: 100 to 500000).');
    const [usage] = await say(alice, '/recharge lots');
    expect(usage!.text).toBe('Usage: /recharge <amount>, from 1.00 CNY to 5000.00 CNY (for example /recharge 1.00).');
  });

  it('QQ gets the same choices as commands to send, and a link that says where to check', async () => {
    const core = createBotCore({ backend: createRelayBackend(r.ctx, r.relay, r.payments), log });
    const qq = createFakeTransport({ platform: 'qq', maxMessageLength: 2000, canEdit: false, minEditIntervalMs: 0, canMessageUsers: false });
    const qqUser = (await r.ctx.db.prisma.user.create({ data: { username: 'qq_buyer' } })).id;
    await r.ctx.db.prisma.platformLink.create({ data: { platform: 'qq', platformUserId: 'OPENID1', userId: qqUser } });
    const send = async (text: string) => {
      const before = qq.messages.length;
      await core.handle({ platform: 'qq', userId: 'OPENID1', chatId: 'OPENID1', isPrivate: true, text }, qq);
      return qq.messages.slice(before).map((m) => plainText({ text: m.text, buttons: m.buttons }));
    };
    const [menu] = await send('/recharge');
    expect(menu).toContain('• 10.00 CNY → 714,285 units ($1.42857): send /recharge 10.00');
    expect(menu).not.toContain('Telegram Stars');
    const [link] = await send('/recharge 10');
    expect(link).toMatch(/^🧾 Order RS\w+: 10\.00 CNY for 714,285 units \(\$1\.42857\)\.\nPay here: https:\/\/checkout\.stripe\.test\/c\/pay\/cs_test_\w+\n/);
    expect(link).toMatch(/Check \/recharge orders to see when it has arrived\.$/);
    expect(await send('/recharge stars')).toEqual(['Telegram Stars can only be used in the Telegram bot.']);
  });
});
