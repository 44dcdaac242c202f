// Every sentence the bots say about paying, in English and Simplified Chinese, in one place. The language comes from
// the platform's locale where it tells one (Telegram language_code, Discord interaction locale), else English; the
// "money arrived" notice uses the language the order was placed in. A bot-wide i18n can take these tables over as
// they are.
import { formatNumber, formatUsd } from './commands.js';
import { QUOTA_PER_USD } from '../../src/billing/decimal.js';

export type Lang = 'en' | 'zh';

/** "zh", "zh-hans", "zh-CN", "zh_TW" → zh; anything else (or nothing) → en. */
export const langOf = (locale: string | undefined): Lang => (locale?.toLowerCase().startsWith('zh') ? 'zh' : 'en');

const usd = (units: number): string => formatUsd(units / QUOTA_PER_USD);

/** 714285 → "714,285 units ($1.43)" / "714,285 额度（$1.43）". */
export function unitsText(lang: Lang, units: number): string {
  return lang === 'zh' ? `${formatNumber(units)} 额度（${usd(units)}）` : `${formatNumber(units)} ${units === 1 ? 'unit' : 'units'} (${usd(units)})`;
}

const METHOD_NAMES: Record<Lang, Record<string, string>> = {
  en: { alipay: 'Alipay', wxpay: 'WeChat Pay', wechat_pay: 'WeChat Pay', qqpay: 'QQ Pay', card: 'Card' },
  zh: { alipay: '支付宝', wxpay: '微信支付', wechat_pay: '微信支付', qqpay: 'QQ 钱包', card: '银行卡' },
};
export const methodName = (lang: Lang, method: string): string => METHOD_NAMES[lang][method] ?? method;

export interface OfferTextInput {
  rate: string;
  currency: string;
  min: string;
  max: string;
  bonus: Array<{ min: string; percent: number }>;
}

export const PAY_TEXT = {
  en: {
    privateOnly: 'For your safety I only take payments in a private chat. Message me directly (DM the bot) and send /recharge there.',
    offer: (o: OfferTextInput) =>
      `Top up your balance. 1 USD of quota (${formatNumber(QUOTA_PER_USD)} units) costs ${o.rate} ${o.currency}.\n` +
      `Pick an amount, or send /recharge <amount> (${o.min} to ${o.max}).` +
      (o.bonus.length ? `\nBonus: ${o.bonus.map((b) => `+${b.percent}% from ${b.min}`).join(', ')}.` : ''),
    starsButton: '⭐ Pay with Telegram Stars',
    ordersButton: '🧾 My orders',
    usage: (min: string, max: string) => `Usage: /recharge <amount>, from ${min} to ${max} (for example /recharge ${min.split(' ')[0]}).`,
    chooseMethod: (amount: string, units: string) => `${amount} buys ${units}. How do you want to pay?`,
    viaStripe: (methods: string) => `${methods} (Stripe)`,
    checkout: (o: { tradeNo: string; amount: string; units: string; bonus: string | null; url: string; until: string; notify: boolean }) =>
      `🧾 Order ${o.tradeNo}: ${o.amount} for ${o.units}${o.bonus ? ` (bonus included: ${o.bonus})` : ''}.\n` +
      `Pay here: ${o.url}\n` +
      `The link is valid until ${o.until}. ` +
      (o.notify ? "I'll message you here when the payment arrives." : 'Check /recharge orders to see when it has arrived.'),
    starsOnlyInTelegram: 'Telegram Stars can only be used in the Telegram bot.',
    invoiceTitle: 'Balance top-up',
    invoiceDescription: (units: string) => `${units} for your relay account`,
    starsMenu: (perStar: string, max: number) => `Pay with Telegram Stars: 1 ⭐ buys ${perStar}. Pick an amount, or send /recharge stars <1–${max}>.`,
    starsUsage: (max: number) => `Usage: /recharge stars <number of Stars, 1 to ${max}>`,
    starsButtonLabel: (stars: number, units: string) => `⭐ ${stars} → ${units}`,
    noOrders: 'No orders yet. Start one with /recharge.',
    orders: (lines: string[]) => `Your last orders:\n${lines.join('\n')}`,
    status: {
      pending: 'waiting for payment',
      paid: 'paid',
      expired: 'expired',
      failed: 'failed',
      refunded: 'refunded',
      partially_refunded: 'partly refunded',
      disputed: 'disputed',
    } as Record<string, string>,
    paid: (o: { amount: string; tradeNo: string; units: string; balance: string }) =>
      `✅ Payment received: ${o.amount} (order ${o.tradeNo}). ${o.units} added. Your balance is now ${o.balance}.`,
    invoiceRefused: {
      unknown: 'This invoice is not known. Start again with /recharge.',
      other: 'This invoice belongs to another account.',
      paid: 'This invoice is already paid.',
      expired: 'This invoice has expired. Start again with /recharge.',
      amount: 'The amount does not match the order. Start again with /recharge.',
      error: 'The payment cannot be checked right now. Please try again in a minute.',
    },
  },
  zh: {
    privateOnly: '为了你的安全，我只在私聊中收款。请直接私聊我，然后在私聊里发送 /recharge。',
    offer: (o: OfferTextInput) =>
      `余额充值。1 美元额度（${formatNumber(QUOTA_PER_USD)} 额度）售价 ${o.rate} ${o.currency}。\n` +
      `请选择金额，或发送 /recharge <金额>（${o.min} 至 ${o.max}）。` +
      (o.bonus.length ? `\n充值赠送：${o.bonus.map((b) => `满 ${b.min} 送 ${b.percent}%`).join('，')}。` : ''),
    starsButton: '⭐ 用 Telegram Stars 支付',
    ordersButton: '🧾 我的订单',
    usage: (min: string, max: string) => `用法：/recharge <金额>，${min} 至 ${max}（例如 /recharge ${min.split(' ')[0]}）。`,
    chooseMethod: (amount: string, units: string) => `${amount} 可购买 ${units}。请选择支付方式：`,
    viaStripe: (methods: string) => `${methods}（Stripe）`,
    checkout: (o: { tradeNo: string; amount: string; units: string; bonus: string | null; url: string; until: string; notify: boolean }) =>
      `🧾 订单 ${o.tradeNo}：${o.amount}，到账 ${o.units}${o.bonus ? `（含赠送 ${o.bonus}）` : ''}。\n` +
      `付款链接：${o.url}\n` +
      `链接有效期至 ${o.until}。` +
      (o.notify ? '到账后我会在这里通知你。' : '可发送 /recharge orders 查看是否到账。'),
    starsOnlyInTelegram: 'Telegram Stars 只能在 Telegram 机器人中使用。',
    invoiceTitle: '余额充值',
    invoiceDescription: (units: string) => `为你的中转站账户充值 ${units}`,
    starsMenu: (perStar: string, max: number) => `用 Telegram Stars 支付：1 ⭐ 可购买 ${perStar}。请选择数量，或发送 /recharge stars <1–${max}>。`,
    starsUsage: (max: number) => `用法：/recharge stars <Stars 数量，1 至 ${max}>`,
    starsButtonLabel: (stars: number, units: string) => `⭐ ${stars} → ${units}`,
    noOrders: '还没有订单。发送 /recharge 开始充值。',
    orders: (lines: string[]) => `你最近的订单：\n${lines.join('\n')}`,
    status: {
      pending: '等待付款',
      paid: '已支付',
      expired: '已过期',
      failed: '失败',
      refunded: '已退款',
      partially_refunded: '部分退款',
      disputed: '争议中',
    } as Record<string, string>,
    paid: (o: { amount: string; tradeNo: string; units: string; balance: string }) =>
      `✅ 已收到付款 ${o.amount}（订单 ${o.tradeNo}）。已增加 ${o.units}，当前余额 ${o.balance}。`,
    invoiceRefused: {
      unknown: '找不到这张账单，请重新发送 /recharge。',
      other: '这张账单属于另一个账户。',
      paid: '这张账单已经支付过了。',
      expired: '这张账单已过期，请重新发送 /recharge。',
      amount: '金额与订单不符，请重新发送 /recharge。',
      error: '暂时无法核对这笔付款，请稍后再试。',
    },
  },
} as const;

export type PayText = (typeof PAY_TEXT)['en'];
export const payText = (lang: Lang): PayText => PAY_TEXT[lang] as PayText;
