// Every sentence the bots say, in English. zh.ts has the same shape (its type is `Messages`, this object's type), so a
// key missing there, or a function taking other arguments, fails the typecheck. Amounts are always units with dollars.
import { QUOTA_PER_USD } from '../../../src/billing/decimal.js';
import type { ErrorCode } from '../../../src/errors.js';
import type { ChannelInfo, TokenInfo, UsageWindow } from '../backend.js';
import { clip, formatNumber, formatUsd } from '../commands.js';

const usd = (units: number): string => formatUsd(units / QUOTA_PER_USD);

/** A command's words: what it does, what it takes, and the labels of its sub-commands, arguments and choices. */
export interface CommandWords {
  description: string;
  usage: string;
  sub?: Record<string, string>;
  args?: Record<string, string>;
  choices?: Record<string, string>;
}

export interface ReceiptText {
  promptTokens: number;
  completionTokens: number;
  cost: number;
  /** null in a group: nobody else's business. */
  balance: number | null;
}

/** The offer /recharge shows: the rate, the limits and the bonus tiers, as text. */
export interface OfferTextInput {
  rate: string;
  currency: string;
  min: string;
  max: string;
  bonus: Array<{ min: string; percent: number }>;
}

/** What a relay error carries that a sentence may use. */
export interface RelayErrorFacts {
  message: string;
  details: Record<string, unknown>;
}
export type ErrorText = (e: RelayErrorFacts) => string;

/** "quota exhausted" → "Quota exhausted."; a leading name like "gpt-4o" keeps its case. */
export function asSentence(message: string): string {
  const text = message.trim();
  if (!text) return '';
  const first = /^[a-z]+(\s|$)/.test(text) ? text.charAt(0).toUpperCase() + text.slice(1) : text;
  return /[.!?…]$/.test(first) ? first : `${first}.`;
}

/** The relay's sentence, and what to do next. */
const said =
  (hint?: string): ErrorText =>
  (e) =>
    hint ? `${asSentence(e.message)} ${hint}` : asSentence(e.message);

const statusWord: Record<string, string> = { enabled: 'enabled', disabled: 'disabled', auto_disabled: 'auto_disabled' };

export const en = {
  /** The language's own name, for /lang. */
  name: 'English',
  /** 1250000 → "1,250,000 units ($2.50)". */
  units: (n: number): string => `${formatNumber(n)} ${n === 1 ? 'unit' : 'units'} (${usd(n)})`,
  /** "2026-11-29T10:04:00.000Z" → "2026-11-29 10:04 UTC". */
  date: (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`,

  /** What each command does and takes, for /help, Telegram's command menu and Discord's slash commands. */
  commands: {
    start: { description: 'Welcome and help', usage: '' },
    help: { description: 'What I can do', usage: '' },
    lang: { description: 'Choose my language', usage: 'en | zh | auto', args: { language: 'Language' }, choices: { en: 'English', zh: '中文', auto: 'Follow my app' } },
    link: { description: 'Link this chat account with a code from the web console', usage: '<code>', args: { code: 'The link code from the web console' } },
    register: { description: 'Create a relay account for this chat account', usage: '' },
    web: { description: 'A one-time sign-in link to the web console', usage: '' },
    balance: { description: 'Your balance and usage', usage: '' },
    usage: { description: 'What you used today, in 7 and in 30 days', usage: '' },
    recharge: { description: 'Top up your balance', usage: '[amount]', args: { amount: 'How much to pay, e.g. 10 (empty: the choices)' } },
    redeem: { description: 'Add a redemption code to your balance', usage: '<code>', args: { code: 'The redemption code' } },
    logs: { description: 'Your most recent usage', usage: '[count, up to 20]', args: { count: 'How many entries (1–20)' } },
    tokens: { description: 'Your API keys', usage: '' },
    token: {
      description: 'Create or delete an API key',
      usage: 'new <name> [quota] [expiry] [models] | del <id>',
      sub: { new: 'Create an API key (shown once, in a private chat)', del: 'Delete an API key' },
      args: { name: 'Name of the key', quota: 'Limit: units or $ amount, e.g. $5 (none = unlimited)', expiry: 'Expires after, e.g. 12h, 30d, 2w', models: 'Only these models, comma-separated', id: 'The key to delete' },
    },
    groups: { description: 'Groups you can switch to, with their price ratios', usage: '' },
    group: { description: 'Switch to another group', usage: '<name>', args: { name: 'The group' } },
    models: { description: 'Models you can use', usage: '' },
    price: { description: 'What a model costs you', usage: '<model>', args: { model: 'The model' } },
    chat: { description: 'Chat with a model (in groups: turn chat mode on/off)', usage: '[text | off]', args: { text: 'Your message (empty: chat mode on; "off": off)', image: 'An image to ask about' } },
    new: { description: 'Start a new conversation', usage: '' },
    model: { description: 'Show or change your chat model', usage: '[name | default]', args: { name: 'The model (or "default")' } },
    title: { description: 'Automatic conversation titles on or off', usage: 'on | off | default', args: { setting: 'Titles' }, choices: { on: 'On', off: 'Off', default: 'Default' } },
    notify: { description: 'Warn me when my balance falls below an amount', usage: '<units | $amount> | off', args: { amount: 'Units or $ amount, e.g. $1; or "off"' } },
    receipt: { description: 'Show tokens, cost and balance under each answer', usage: 'on | off | default', args: { setting: 'Receipts' }, choices: { on: 'On', off: 'Off', default: 'Default' } },
    channels: { description: 'Channel health', usage: '' },
    channel: { description: 'Re-test, enable or disable a channel', usage: 'test|enable|disable <id>', args: { action: 'What to do', id: 'The channel' }, choices: { test: 'Re-test', enable: 'Enable', disable: 'Disable' } },
    codes: { description: 'Create redemption codes', usage: '<quota> <count> [name]', args: { quota: 'Worth of each code: units or $ amount', count: 'How many (1–100)', name: 'A name for the batch' } },
    user: { description: 'Look up a user', usage: '<id | username>', args: { user: 'User id or username' } },
  },

  notLinked:
    "Your chat account isn't linked to a relay account yet. Open the web console, create a link code, and send me /link <code> in a private chat.",
  notLinkedRegister: 'No account yet? Send /register to create one.',
  adminOnly: 'Sorry, that command is for administrators only.',
  unknownCommand: (name: string): string => `I don't know /${name}. See /help.`,
  somethingWrong: (ref: string): string => `Something went wrong (ref ${ref}). Please try again later.`,
  /** Refusals in a group, each with the way out. */
  privateOnly: {
    link: 'For your safety I only link accounts in a private chat. Message me directly (DM the bot) and send the command there.',
    register: 'For your safety I only create accounts in a private chat. Message me directly (DM the bot) and send the command there.',
    keys: 'For your safety I only show new keys in a private chat. Message me directly (DM the bot) and send the command there.',
    codes: 'For your safety I only show redemption codes in a private chat. Message me directly (DM the bot) and send the command there.',
    web: 'For your safety I only send sign-in links in a private chat. Message me directly (DM the bot) and send the command there.',
  },
  /** Discord: where a secret went instead of a public answer. */
  sentPrivately: '🔒 Sent to you privately (only you can see it).',
  buttons: {
    /** A button under someone else's message (Telegram shows it as a small notice). */
    notYours: 'This button belongs to someone else.',
    /** Platforms without buttons: the choices are numbered. */
    numbered: 'Reply with a number to choose.',
    spelledOut: (label: string, command: string): string => `${label}: send ${command}`,
    expired: 'That choice has expired; send the command again.',
  },

  help: {
    welcome: 'Hi! I manage your relay account and let you chat with models.',
    linkedAs: (username: string, isPrivate: boolean): string =>
      `You're linked as ${username}.${isPrivate ? ' Send me any message to chat with a model.' : ''}`,
    linkFirst: 'Link your relay account first: create a link code in the web console and send me /link <code> in a private chat.',
    registerHint: 'No account yet? /register creates one.',
    admin: 'Admin:',
  },

  lang: {
    current: (name: string, chosen: boolean): string =>
      `I answer you in ${name}${chosen ? '' : ' (from your app settings)'}. Choose: /lang en | zh | auto`,
    set: "OK, I'll answer in English from now on.",
    auto: "OK, I'll follow your app's language again.",
    usage: 'Usage: /lang en | zh | auto',
  },

  account: {
    linkUsage: 'Usage: /link <code> — create the code in the web console (Account → Link a chat account).',
    alreadyLinked: (username: string): string => `This chat account is already linked to ${username}.`,
    linked: (username: string): string => `Linked to ${username}. Try /balance, /tokens, or just send me a message to chat.`,
    alreadyRegistered: (username: string): string => `You already have an account: ${username}. See /balance.`,
    registered: (username: string): string =>
      `Welcome! Your account "${username}" is ready and linked to this chat. Try /balance or just send me a message.`,
    balance: (a: { username: string; group: string; quota: number; usedQuota: number; requestCount: number }): string =>
      `Account: ${a.username} (group ${a.group})\n` +
      `Balance: ${en.units(a.quota)}\n` +
      `Used: ${en.units(a.usedQuota)} over ${formatNumber(a.requestCount)} requests\n\n` +
      'Need more? See /recharge.',
    balanceButtons: { usage: '📊 Usage', tokens: '🔑 Keys', recharge: '💳 Top up' },
    rechargeAt: (link: string): string => `Buy a redemption code at ${link}, then send /redeem <code>.`,
    rechargeAsk: 'Ask an administrator for a redemption code, then send /redeem <code>.',
    rate: (rate: number, currency: string): string => `1 USD of quota (${formatNumber(QUOTA_PER_USD)} units) costs ${rate} ${currency}.`,
    redeemUsage: 'Usage: /redeem <code>',
    redeemed: (quota: number, balance: number): string => `Redeemed ${en.units(quota)}. Your balance is now ${en.units(balance)}.`,
    logsUsage: (max: number): string => `Usage: /logs [count from 1 to ${max}]`,
    noUsage: 'No usage yet.',
    logs: (lines: string[]): string => `Your last ${lines.length} entries:\n${lines.join('\n')}`,
    logLine: (l: { date: string; type: string; model: string; promptTokens: number; completionTokens: number; quota: number; failure: string }): string =>
      `${l.date} · ${l.type === 'consume' ? `${l.model || 'request'} · ${l.promptTokens}+${l.completionTokens} tokens` : l.type} · ` +
      `${formatNumber(l.quota)} units (${usd(l.quota)})${l.failure}`,
    usage: (w: { today: UsageWindow; week: UsageWindow; month: UsageWindow }): string => {
      const line = (label: string, u: UsageWindow) =>
        `${label}: ${formatNumber(u.requests)} ${u.requests === 1 ? 'request' : 'requests'} · ${formatNumber(u.tokens)} tokens · ${en.units(u.quota)}`;
      return `Your usage (UTC days):\n${line('Today', w.today)}\n${line('Last 7 days', w.week)}\n${line('Last 30 days', w.month)}\n\nDetails: /logs`;
    },
    web: (username: string, url: string, minutes: number): string =>
      `Your sign-in link to the web console, as ${username}. It works once, for ${minutes} minutes. Don't share it: it signs in as you.\n\n${url}`,
    webNotConfigured: "The web console's address isn't set, so I can't make a link. Ask the administrator to set the option publicUrl.",
  },

  tokens: {
    none: 'You have no tokens yet. Create one with /token new <name>.',
    list: (lines: string[]): string => `Your tokens:\n${lines.join('\n')}\n\nDelete one with /token del <id>.`,
    line: (t: TokenInfo): string => {
      const quota = t.remainQuota === null ? 'unlimited' : `${en.units(t.remainQuota)} left`;
      const expiry = t.expiresAt ? `expires ${en.date(t.expiresAt)}` : 'never expires';
      const models = t.models.length ? `models: ${t.models.join(', ')}` : 'all models';
      return `#${t.id} ${t.name} · ${t.keyPrefix} · ${quota} · ${expiry} · ${models}${t.status === 'enabled' ? '' : ` · ${t.status}`}`;
    },
    deleteButton: (id: number, name: string): string => `🗑 #${id} ${name}`,
    usage:
      'Usage:\n/token new <name> [quota] [expiry like 30d] [models,comma,separated]\n/token del <id>\n' +
      'Quota is in units (500,000 = 1 USD) or dollars like $5; leave it out for unlimited.',
    specUsage: 'Usage: /token new <name> [quota] [expiry like 30d] [models,comma,separated]',
    nameTooLong: 'Token names are at most 64 characters.',
    twoQuotas: (arg: string): string => `Two quota amounts given ("${arg}").`,
    quotaZero: 'The quota must be more than zero (leave it out for unlimited).',
    twoExpiries: (arg: string): string => `Two expiry times given ("${arg}").`,
    created: (name: string, id: number, key: string, line: string): string =>
      `Token "${name}" created (#${id}).\nYour key, shown only this once — store it now:\n\n${key}\n\n${line}`,
    delUsage: 'Usage: /token del <id> (see /tokens for the ids)',
    notFound: (id: number): string => `You have no token #${id}. See /tokens.`,
    confirm: (id: number, name: string, prefix: string): string => `Delete token #${id} "${name}" (${prefix})? Apps using it will stop working.`,
    deleteLabel: 'Delete',
    cancelLabel: 'Cancel',
    deleted: (id: number): string => `Token #${id} deleted. Apps using its key stop working now.`,
    cancelled: 'Cancelled: nothing was deleted.',
  },

  groups: {
    list: (current: string, lines: string[]): string =>
      `Your group: ${current}\n\n${lines.length ? lines.join('\n') : '(no groups are open for switching)'}\n\nSwitch with /group <name>.`,
    line: (g: { name: string; ratio: string; description: string; current: boolean }): string =>
      `${g.current ? '▶' : '•'} ${g.name} · ratio ${g.ratio}${g.description ? ` · ${g.description}` : ''}`,
    switchButton: (name: string, ratio: string): string => `${name} (×${ratio})`,
    usage: 'Usage: /group <name> (see /groups)',
    switched: (name: string, ratio: string | undefined): string => `You're now in group ${name}${ratio ? ` (price ratio ${ratio})` : ''}.`,
    noModels: 'No models are available to your group right now.',
    models: (models: string[]): string => `Models you can use (${models.length}):\n${models.map((m) => `• ${m}`).join('\n')}\n\nPrices: /price <model>`,
    priceUsage: 'Usage: /price <model> (see /models)',
    priceHead: (model: string, group: string, ratio: string): string => `${model} in group ${group} (ratio ${ratio}):`,
    perRequest: (usdText: string): string => `${usdText} per request`,
    input: (usdText: string): string => `Input: ${usdText} per 1M tokens`,
    output: (usdText: string): string => `Output: ${usdText} per 1M tokens`,
  },

  chat: {
    modeOff: 'Chat mode off: I only answer commands here now.',
    privateHint: 'Just send me a message: here, everything you write goes to the model.',
    modeOn: (model: string): string => `Chat mode on: your messages here now go to ${model}. Stop with /chat off.`,
    newConversation: (model: string): string => `New conversation started with ${model}.`,
    model: (model: string): string => `Your chat model: ${model}. Change it with /model <name> (see /models).`,
    pick: (model: string, page: number, pages: number): string =>
      `Your chat model: ${model}. Pick another${pages > 1 ? ` (page ${page} of ${pages})` : ''}:`,
    previous: '◀ Back',
    next: 'More ▶',
    modelDefault: '↺ Default',
    modelNotAvailable: (name: string): string => `${name} isn't available in your group. See /models.`,
    modelSet: (model: string): string => `Chat model set to ${model}.`,
    titleState: (on: boolean): string => `Automatic titles are ${on ? 'on' : 'off'}. Usage: /title on | off | default`,
    titleOn: 'Automatic titles on: each new conversation gets a short title (one small extra model call, billed).',
    titleOff: 'Automatic titles off.',
    receiptState: (on: boolean): string => `Receipts are ${on ? 'on' : 'off'}. Usage: /receipt on | off | default`,
    receiptOn: 'Receipts on: each answer ends with its tokens, cost and your balance (in groups: without the balance).',
    receiptOff: 'Receipts off.',
    receipt: (r: ReceiptText): string =>
      `🧾 ${formatNumber(r.promptTokens)} + ${formatNumber(r.completionTokens)} tokens · ${en.units(r.cost)}` +
      (r.balance === null ? '' : ` · balance ${en.units(r.balance)}`),
    notifyOff: 'Low-balance warnings off.',
    notifyState: (threshold: number | null): string =>
      `Low-balance warning is ${threshold === null ? 'off' : `at ${en.units(threshold)}`}. Usage: /notify <units | $amount> | off`,
    notifySet: (threshold: number): string => `I'll warn you when your balance falls below ${en.units(threshold)}.`,
    lowBalance: (after: number, threshold: number): string =>
      `⚠️ Your balance is low: ${en.units(after)} left (your warning threshold is ${en.units(threshold)}). ` +
      'Top up with /recharge. Turn this off with /notify off.',
    /** The group fallback when the warning cannot be sent privately: no amounts. */
    lowBalanceInGroup: (name: string): string =>
      `⚠️ ${name}, your balance has fallen below your warning threshold. Send me /balance in a private chat (I couldn't message you there).`,
    /** The question when an image comes without one. */
    imagePrompt: 'What is in this image?',
    imageUnreadable: "I couldn't read that image (PNG, JPEG, GIF or WebP, up to 10 MB).",
    imageStored: '[image]',
    /** QQ: an answer that outlives the platform's reply window. */
    windowClosing: '⏳ This answer is long and QQ only lets me reply for 5 minutes: I will send the rest as a new message. If it does not arrive, send me any message to get it.',
    restOfAnswer: '(continued) The rest of my last answer:',
    shortened: '…(answer shortened: QQ allows only 5 replies to one message)',
    placeholder: '…',
    empty: '(no answer)',
  },

  /** Paying from the chat (/recharge, docs/payments.md). */
  pay: {
    methods: { alipay: 'Alipay', wxpay: 'WeChat Pay', wechat_pay: 'WeChat Pay', qqpay: 'QQ Pay', card: 'Card' } as Record<string, string>,
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

  admin: {
    noChannels: 'No channels yet.',
    channels: (lines: string[]): string => `Channels:\n${lines.join('\n')}`,
    channelLine: (c: ChannelInfo): string => {
      const icon = c.status === 'enabled' ? '🟢' : c.status === 'auto_disabled' ? '🔴' : '⚪';
      const reason = c.disabledReason ? ` (${c.disabledReason})` : '';
      const speed = c.responseTimeMs === null ? '' : ` · ${c.responseTimeMs} ms`;
      const keys = c.keys.total > 1 ? ` · keys ${c.keys.enabled}/${c.keys.total}` : '';
      const tested = c.testedAt ? ` · tested ${en.date(c.testedAt)}` : '';
      const traffic = c.requests24h ? ` · 24h: ${formatNumber(c.requests24h)} calls, ${formatNumber(c.errors24h)} failed` : '';
      const last = c.lastError ? `\n   last error: ${clip(c.lastError)}` : '';
      return `${icon} #${c.id} ${c.name} · ${c.type} · ${statusWord[c.status] ?? c.status}${reason} · priority ${c.priority}${speed}${keys}${traffic}${tested}${last}`;
    },
    channelUsage: 'Usage: /channel test|enable|disable <id>',
    channelNow: (id: number, name: string, status: string): string => `Channel #${id} "${name}" is now ${statusWord[status] ?? status}.`,
    tested: (id: number, name: string, ok: boolean, status: string, ms: number | null, failures: string[]): string =>
      `Channel #${id} "${name}" ${ok ? `passed the test${ms === null ? '' : ` (${ms} ms)`}` : 'failed the test'}; it is ${statusWord[status] ?? status}.` +
      (failures.length ? `\n${failures.join('\n')}` : ''),
    testButton: '🔁 Re-test',
    enableButton: '🟢 Enable',
    disableButton: '⚪ Disable',
    alert: (id: number, name: string, reason: string): string =>
      `⚠️ Channel #${id} "${name}" was disabled automatically.\nReason: ${reason}\nRe-enable it with /channel enable ${id} once it is fixed.`,
    alertCooled: (id: number, name: string, key: string | null, reason: string, until: string, channelOut: boolean): string =>
      `⏸️ ${key ? `Key ${key} of channel` : 'Channel'} #${id} "${name}" is cooling down after repeated failures.\nReason: ${reason}\n` +
      `It is skipped until ${until}, then probed again.${channelOut ? '\nThe channel has no other usable key right now.' : ''}`,
    alertRecovered: (id: number, name: string, key: string | null): string =>
      `✅ ${key ? `Key ${key} of channel` : 'Channel'} #${id} "${name}" works again: its probe succeeded.`,
    codesUsage: (max: number): string => `Usage: /codes <quota in units or $amount> <count, up to ${max}> [name]`,
    codes: (count: number, quota: number, name: string, codes: string[]): string =>
      `${count} code(s) worth ${en.units(quota)} each ("${name}"), shown only this once:\n\n${codes.join('\n')}`,
    userUsage: 'Usage: /user <id | username>',
    noUser: (query: string): string => `No user matches "${query}".`,
    user: (u: { id: number; username: string; role: string; status: string; group: string; quota: number; usedQuota: number; requestCount: number; links: string[] }): string =>
      `User #${u.id} ${u.username} · ${u.role} · ${u.status}\n` +
      `Group: ${u.group}\n` +
      `Balance: ${en.units(u.quota)}\n` +
      `Used: ${en.units(u.usedQuota)} over ${formatNumber(u.requestCount)} requests\n` +
      `Chat links: ${u.links.length ? u.links.join(', ') : 'none'}`,
  },

  /**
   * Relay errors as people read them, one per code: the relay's own sentence (written for people, in English) and what
   * to do next. zh.ts words each code itself.
   */
  errors: {
    invalid_json: said(),
    invalid_request: said(),
    model_not_priced: said('See /models for the models you can use.'),
    content_filtered: said('Please rephrase your message.'),
    unsupported_image: said('Send a PNG, JPEG, GIF or WebP image.'),
    image_fetch_refused: said('Send the image itself rather than a link.'),
    invalid_code: said(),
    missing_key: said(),
    invalid_key: said(),
    key_expired: said(),
    key_disabled: said(),
    account_disabled: said('Contact the administrator.'),
    relay_token_on_api: said(),
    forbidden: said(),
    ip_not_allowed: said(),
    model_not_allowed: said('See /models for the models you can use.'),
    model_not_in_group: said('See /models for what your group offers.'),
    group_not_allowed: said('See /groups for the groups you can switch to.'),
    token_quota_exhausted: said('Top up with /recharge, then /redeem your code.'),
    account_quota_exhausted: said('Top up with /recharge, then /redeem your code.'),
    rate_limited: said('Please slow down and try again shortly.'),
    not_found: said(),
    model_not_found: said('See /models for the models you can use.'),
    conflict: said(),
    already_redeemed: said(),
    body_too_large: said(),
    no_channel: said('Please try again in a little while.'),
    not_configured: said('Please tell the administrator.'),
    upstream_error: said('Please try again in a little while.'),
    upstream_timeout: said('Please try again in a little while.'),
    internal_error: said('Please try again later.'),
  } satisfies Record<ErrorCode, ErrorText>,
};

export type Messages = typeof en;
