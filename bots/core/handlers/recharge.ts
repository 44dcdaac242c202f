// /recharge: top up from the chat. With online payment on, the presets are buttons (Telegram inline keyboard, Discord
// buttons; QQ shows them as commands to send); an amount leads to a checkout link (Stripe, EPay) or, in Telegram, to a
// Stars invoice paid in place. Orders are only made in a private chat (the link is the buyer's). Without online
// payment, /recharge explains redemption codes as before.
//
//   /recharge                         presets (+ ⭐ Stars in Telegram, + my orders)
//   /recharge <amount>                the payment choices for that amount (straight to the link when there is one)
//   /recharge <amount> stripe|epay [type]   the order and its link
//   /recharge stars [n]               Stars presets / the invoice
//   /recharge orders                  the last orders and their status
import { formatAmount, parseAmount } from '../../../src/payments/money.js';
import type { RechargeOffer } from '../backend.js';
import { formatNumber } from '../commands.js';
import { QUOTA_PER_USD } from '../../../src/billing/decimal.js';
import type { BotContext } from '../context.js';
import { langOf, methodName, payText, unitsText, type Lang } from '../payment-texts.js';
import { linkedUser, NOT_LINKED, type Router } from '../router.js';
import type { Button } from '../types.js';
import { formatDate, positiveInt } from './util.js';

const ORDERS_SHOWN = 5;

export function rechargeCommand(router: Router): void {
  router.command('recharge', { description: 'Top up your balance', usage: '[amount]', access: 'anyone' }, async (ctx) => {
    const offer = (await ctx.backend.payments?.offer()) ?? null;
    if (!offer || !usableHere(ctx, offer)) return redemptionHelp(ctx);
    const lang = langOf(ctx.message.locale);
    const t = payText(lang);
    if (!(await ctx.user())) return ctx.reply(NOT_LINKED);
    if (!ctx.chat.isPrivate) return ctx.reply(t.privateOnly);

    const [first, second, third] = ctx.command?.args ?? [];
    if (first === 'orders') return orders(ctx, lang);
    if (first === 'stars') return stars(ctx, offer, lang, second);
    if (first === undefined) return menu(ctx, offer, lang);
    const amount = parseAmount(first, offer.currency);
    if (amount === null) return ctx.reply(t.usage(money(offer, offer.minAmount), money(offer, offer.maxAmount)));
    if (second === 'stripe' || second === 'epay') return checkout(ctx, lang, amount, second, third);
    return choose(ctx, offer, lang, amount);
  });
}

/** Checkout links work everywhere; Stars only where the transport can send an invoice (Telegram). */
function usableHere(ctx: BotContext, offer: RechargeOffer): boolean {
  return offer.checkout.length > 0 || (offer.stars !== null && !!ctx.transport.sendInvoice);
}

/** Without online payment: where redemption codes come from, and the price of quota. */
async function redemptionHelp(ctx: BotContext): Promise<unknown> {
  const info = await ctx.backend.rechargeInfo();
  const rate = `1 USD of quota (${formatNumber(QUOTA_PER_USD)} units) costs ${info.exchangeRate} ${info.currency}.`;
  const where = info.topUpLink
    ? `Buy a redemption code at ${info.topUpLink}, then send /redeem <code>.`
    : 'Ask an administrator for a redemption code, then send /redeem <code>.';
  return ctx.reply(`${where}\n${rate}`);
}

const money = (offer: RechargeOffer, amount: number): string => `${formatAmount(amount, offer.currency)} ${offer.currency}`;

async function menu(ctx: BotContext, offer: RechargeOffer, lang: Lang): Promise<unknown> {
  const t = payText(lang);
  if (!offer.checkout.length) return stars(ctx, offer, lang, undefined);
  const buttons: Button[][] = pairs(
    offer.presets.map((q) => ({ label: `${q.amountText} → ${unitsText(lang, q.quota)}`, data: `/recharge ${formatAmount(q.amount, offer.currency)}` })),
  );
  if (offer.stars && ctx.transport.sendInvoice) buttons.push([{ label: t.starsButton, data: '/recharge stars' }]);
  buttons.push([{ label: t.ordersButton, data: '/recharge orders' }]);
  const text = t.offer({
    rate: String(offer.exchangeRate),
    currency: offer.currency,
    min: money(offer, offer.minAmount),
    max: money(offer, offer.maxAmount),
    bonus: offer.bonusTiers.map((b) => ({ min: money(offer, b.minAmount), percent: b.percent })),
  });
  return ctx.reply({ text, buttons });
}

/** The ways to pay this amount; with a single one, straight to its link. */
async function choose(ctx: BotContext, offer: RechargeOffer, lang: Lang, amount: number): Promise<unknown> {
  const t = payText(lang);
  type Option = { label: string; provider: 'stripe' | 'epay'; method?: string };
  const options = offer.checkout.flatMap((p): Option[] =>
    p.provider === 'stripe'
      ? [{ label: t.viaStripe(p.methods.map((m) => methodName(lang, m)).join(' / ')), provider: p.provider }]
      : p.methods.map((type) => ({ label: methodName(lang, type), provider: p.provider, method: type })),
  );
  if (options.length === 1) return checkout(ctx, lang, amount, options[0]!.provider, options[0]!.method);
  const q = await ctx.backend.payments!.quote(amount);
  const major = formatAmount(amount, offer.currency);
  const buttons = pairs(options.map((o) => ({ label: o.label, data: `/recharge ${major} ${o.provider}${o.method ? ` ${o.method}` : ''}` })));
  return ctx.reply({ text: t.chooseMethod(q.amountText, unitsText(lang, q.quota)), buttons });
}

async function checkout(ctx: BotContext, lang: Lang, amount: number, provider: 'stripe' | 'epay', method: string | undefined): Promise<unknown> {
  const user = await linkedUser(ctx);
  const order = await ctx.backend.payments!.checkout(user.id, {
    provider,
    method,
    amount,
    platform: ctx.message.platform,
    platformUserId: ctx.message.userId,
    locale: lang,
  });
  return ctx.reply({
    // Not a secret, but the buyer's own: kept out of groups (and ephemeral on Discord) like one.
    sensitive: true,
    text: payText(lang).checkout({
      tradeNo: order.tradeNo,
      amount: order.amountText,
      units: unitsText(lang, order.quota),
      bonus: order.bonusQuota > 0 ? unitsText(lang, order.bonusQuota) : null,
      url: order.checkoutUrl ?? '',
      until: formatDate(order.expiresAt),
      notify: !!ctx.transport.sendToUser,
    }),
  });
}

async function stars(ctx: BotContext, offer: RechargeOffer, lang: Lang, count: string | undefined): Promise<unknown> {
  const t = payText(lang);
  if (!offer.stars || !ctx.transport.sendInvoice) return ctx.reply(t.starsOnlyInTelegram);
  const { max, quotaPerStar, presets } = offer.stars;
  if (count === undefined) {
    const buttons = pairs(presets.map((q) => ({ label: t.starsButtonLabel(q.amount, unitsText(lang, q.quota)), data: `/recharge stars ${q.amount}` })));
    return ctx.reply({ text: t.starsMenu(unitsText(lang, quotaPerStar), max), buttons });
  }
  const n = positiveInt(count);
  if (n === null || n > max) return ctx.reply(t.starsUsage(max));
  const user = await linkedUser(ctx);
  const { invoice } = await ctx.backend.payments!.starsInvoice(user.id, { stars: n, platformUserId: ctx.message.userId, locale: lang });
  return ctx.transport.sendInvoice(ctx.message.chatId, invoice);
}

async function orders(ctx: BotContext, lang: Lang): Promise<unknown> {
  const t = payText(lang);
  const user = await linkedUser(ctx);
  const list = await ctx.backend.payments!.recentOrders(user.id, ORDERS_SHOWN);
  if (!list.length) return ctx.reply(t.noOrders);
  const lines = list.map((o) => `${formatDate(o.createdAt)} · ${o.tradeNo} · ${o.amountText} · ${unitsText(lang, o.quota)} · ${t.status[o.status] ?? o.status}`);
  return ctx.reply(t.orders(lines));
}

function pairs<T>(items: T[]): T[][] {
  const rows: T[][] = [];
  for (let i = 0; i < items.length; i += 2) rows.push(items.slice(i, i + 2));
  return rows;
}
