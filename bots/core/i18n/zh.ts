// 机器人说的每一句话（简体中文）。类型是 en.ts 的 Messages：缺一个键、或参数不一致，类型检查就会失败。
// Every sentence the bots say, in Simplified Chinese; typed as en.ts's Messages, so nothing can be missing.
import { QUOTA_PER_USD } from '../../../src/billing/decimal.js';
import { clip, formatNumber, formatUsd } from '../commands.js';
import type { UsageWindow } from '../backend.js';
import type { ErrorText, Messages } from './en.js';

const usd = (units: number): string => formatUsd(units / QUOTA_PER_USD);
const units = (n: number): string => `${formatNumber(n)} 额度（${usd(n)}）`;
const date = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

const statusWord: Record<string, string> = { enabled: '启用', disabled: '已停用', auto_disabled: '已自动停用' };
const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** A code worded in Chinese; `next` is what to do next. */
const say =
  (sentence: string | ((e: Parameters<ErrorText>[0]) => string), next = ''): ErrorText =>
  (e) =>
    `${typeof sentence === 'string' ? sentence : sentence(e)}${next}`;

export const zh: Messages = {
  name: '中文',
  units,
  date,

  commands: {
    start: { description: '欢迎与帮助', usage: '' },
    help: { description: '我能做什么', usage: '' },
    lang: { description: '选择语言', usage: 'en | zh | auto', args: { language: '语言' }, choices: { en: 'English', zh: '中文', auto: '跟随应用语言' } },
    link: { description: '用网页控制台的绑定码绑定这个聊天账号', usage: '<绑定码>', args: { code: '网页控制台里生成的绑定码' } },
    register: { description: '为这个聊天账号注册中转站账户', usage: '' },
    web: { description: '一次性登录网页控制台的链接', usage: '' },
    balance: { description: '余额与用量', usage: '' },
    usage: { description: '今天、近 7 天、近 30 天的用量', usage: '' },
    recharge: { description: '充值余额', usage: '[金额]', args: { amount: '支付金额，例如 10（留空：显示选项）' } },
    redeem: { description: '使用兑换码充值', usage: '<兑换码>', args: { code: '兑换码' } },
    logs: { description: '最近的使用记录', usage: '[条数，最多 20]', args: { count: '显示几条（1–20）' } },
    tokens: { description: '你的 API 令牌', usage: '' },
    token: {
      description: '创建或删除 API 令牌',
      usage: 'new <名称> [额度] [有效期] [模型] | del <编号>',
      sub: { new: '创建 API 令牌（只在私聊中显示一次）', del: '删除 API 令牌' },
      args: { name: '令牌名称', quota: '额度上限：额度数或美元，如 $5（不填为不限）', expiry: '有效期，如 12h、30d、2w', models: '只允许这些模型，逗号分隔', id: '要删除的令牌' },
    },
    groups: { description: '可切换的分组及其倍率', usage: '' },
    group: { description: '切换分组', usage: '<分组名>', args: { name: '分组' } },
    models: { description: '你可以使用的模型', usage: '' },
    price: { description: '某个模型的价格', usage: '<模型>', args: { model: '模型' } },
    chat: { description: '和模型聊天（群聊中：开启/关闭聊天模式）', usage: '[内容 | off]', args: { text: '你的消息（留空：开启聊天模式；off：关闭）', image: '要提问的图片' } },
    new: { description: '开始新对话', usage: '' },
    model: { description: '查看或更换聊天模型', usage: '[模型名 | default]', args: { name: '模型（或 default 恢复默认）' } },
    title: { description: '开启或关闭对话自动标题', usage: 'on | off | default', args: { setting: '自动标题' }, choices: { on: '开启', off: '关闭', default: '默认' } },
    notify: { description: '余额低于某个数额时提醒我', usage: '<额度 | $金额> | off', args: { amount: '额度数或美元，如 $1；或 off' } },
    receipt: { description: '每条回答下显示用量、费用和余额', usage: 'on | off | default', args: { setting: '账单' }, choices: { on: '开启', off: '关闭', default: '默认' } },
    channels: { description: '渠道健康状况', usage: '' },
    channel: { description: '重新测试、启用或停用渠道', usage: 'test|enable|disable <编号>', args: { action: '操作', id: '渠道' }, choices: { test: '重新测试', enable: '启用', disable: '停用' } },
    codes: { description: '生成兑换码', usage: '<额度> <数量> [名称]', args: { quota: '每个兑换码的额度：额度数或美元', count: '数量（1–100）', name: '这批兑换码的名称' } },
    user: { description: '查询用户', usage: '<编号 | 用户名>', args: { user: '用户编号或用户名' } },
  },

  notLinked: '你的聊天账号还没有绑定中转站账户。请打开网页控制台生成绑定码，然后在私聊中发送 /link <绑定码>。',
  notLinkedRegister: '还没有账户？发送 /register 注册一个。',
  adminOnly: '抱歉，这个命令只有管理员可以使用。',
  unknownCommand: (name) => `我不认识 /${name}。发送 /help 查看命令。`,
  somethingWrong: (ref) => `出错了（编号 ${ref}）。请稍后再试。`,
  privateOnly: {
    link: '为了你的安全，我只在私聊中绑定账号。请直接私聊我，然后在私聊里发送这个命令。',
    register: '为了你的安全，我只在私聊中注册账户。请直接私聊我，然后在私聊里发送这个命令。',
    keys: '为了你的安全，我只在私聊中显示新令牌。请直接私聊我，然后在私聊里发送这个命令。',
    codes: '为了你的安全，我只在私聊中显示兑换码。请直接私聊我，然后在私聊里发送这个命令。',
    web: '为了你的安全，我只在私聊中发送登录链接。请直接私聊我，然后在私聊里发送这个命令。',
  },
  sentPrivately: '🔒 已私下发送给你（只有你能看到）。',
  buttons: {
    notYours: '这个按钮属于别人。',
    numbered: '回复数字即可选择。',
    spelledOut: (label, command) => `${label}：发送 ${command}`,
    expired: '这个选项已过期，请重新发送命令。',
  },

  help: {
    welcome: '你好！我可以管理你的中转站账户，也可以陪你和模型聊天。',
    linkedAs: (username, isPrivate) => `你已绑定账户 ${username}。${isPrivate ? '直接给我发消息就能和模型聊天。' : ''}`,
    linkFirst: '请先绑定中转站账户：在网页控制台生成绑定码，然后在私聊中发送 /link <绑定码>。',
    registerHint: '还没有账户？发送 /register 注册一个。',
    admin: '管理员：',
  },

  lang: {
    current: (name, chosen) => `我正在用${name}回答你${chosen ? '' : '（跟随你的应用设置）'}。可选：/lang en | zh | auto`,
    set: '好的，之后我会用中文回答你。',
    auto: '好的，之后我会跟随你的应用语言。',
    usage: '用法：/lang en | zh | auto',
  },

  account: {
    linkUsage: '用法：/link <绑定码>（在网页控制台的“聊天账号”页面生成绑定码）。',
    alreadyLinked: (username) => `这个聊天账号已经绑定了 ${username}。`,
    linked: (username) => `已绑定到 ${username}。试试 /balance、/tokens，或者直接给我发消息聊天。`,
    alreadyRegistered: (username) => `你已经有账户了：${username}。发送 /balance 查看余额。`,
    registered: (username) => `欢迎！你的账户“${username}”已创建并绑定到这个聊天账号。试试 /balance，或者直接给我发消息。`,
    balance: (a) =>
      `账户：${a.username}（分组 ${a.group}）\n` +
      `余额：${units(a.quota)}\n` +
      `已用：${units(a.usedQuota)}，共 ${formatNumber(a.requestCount)} 次请求\n\n` +
      '需要充值？发送 /recharge。',
    balanceButtons: { usage: '📊 用量', tokens: '🔑 令牌', recharge: '💳 充值' },
    rechargeAt: (link) => `请在 ${link} 购买兑换码，然后发送 /redeem <兑换码>。`,
    rechargeAsk: '请向管理员获取兑换码，然后发送 /redeem <兑换码>。',
    rate: (rate, currency) => `1 美元额度（${formatNumber(QUOTA_PER_USD)} 额度）售价 ${rate} ${currency}。`,
    redeemUsage: '用法：/redeem <兑换码>',
    redeemed: (quota, balance) => `已兑换 ${units(quota)}。当前余额 ${units(balance)}。`,
    logsUsage: (max) => `用法：/logs [条数，1 到 ${max}]`,
    noUsage: '还没有使用记录。',
    logs: (lines) => `你最近的 ${lines.length} 条记录：\n${lines.join('\n')}`,
    logLine: (l) =>
      `${l.date} · ${l.type === 'consume' ? `${l.model || '请求'} · ${l.promptTokens}+${l.completionTokens} tokens` : (TYPE_WORDS[l.type] ?? l.type)} · ` +
      `${formatNumber(l.quota)} 额度（${usd(l.quota)}）${l.failure}`,
    usage: (w) => {
      const line = (label: string, u: UsageWindow) => `${label}：${formatNumber(u.requests)} 次请求 · ${formatNumber(u.tokens)} tokens · ${units(u.quota)}`;
      return `你的用量（按 UTC 日期）：\n${line('今天', w.today)}\n${line('近 7 天', w.week)}\n${line('近 30 天', w.month)}\n\n明细：/logs`;
    },
    web: (username, url, minutes) => `这是以 ${username} 身份登录网页控制台的链接，只能使用一次，${minutes} 分钟内有效。请勿分享：打开它的人会登录你的账户。\n\n${url}`,
    webNotConfigured: '管理员还没有设置网页控制台的地址，所以我无法生成链接。请让管理员设置 publicUrl 选项。',
  },

  tokens: {
    none: '你还没有令牌。发送 /token new <名称> 创建一个。',
    list: (lines) => `你的令牌：\n${lines.join('\n')}\n\n删除令牌：/token del <编号>。`,
    line: (t) => {
      const quota = t.remainQuota === null ? '不限额度' : `剩余 ${units(t.remainQuota)}`;
      const expiry = t.expiresAt ? `${date(t.expiresAt)} 过期` : '永不过期';
      const models = t.models.length ? `模型：${t.models.join(', ')}` : '全部模型';
      return `#${t.id} ${t.name} · ${t.keyPrefix} · ${quota} · ${expiry} · ${models}${t.status === 'enabled' ? '' : ` · ${statusWord[t.status] ?? t.status}`}`;
    },
    deleteButton: (id, name) => `🗑 #${id} ${name}`,
    usage: '用法：\n/token new <名称> [额度] [有效期，如 30d] [模型，逗号分隔]\n/token del <编号>\n额度可以写额度数（500,000 = 1 美元）或美元，如 $5；不填为不限额度。',
    specUsage: '用法：/token new <名称> [额度] [有效期，如 30d] [模型，逗号分隔]',
    nameTooLong: '令牌名称最多 64 个字符。',
    twoQuotas: (arg) => `额度写了两次（“${arg}”）。`,
    quotaZero: '额度必须大于零（不填即为不限额度）。',
    twoExpiries: (arg) => `有效期写了两次（“${arg}”）。`,
    created: (name, id, key, line) => `令牌“${name}”已创建（#${id}）。\n密钥只显示这一次，请立即保存：\n\n${key}\n\n${line}`,
    delUsage: '用法：/token del <编号>（编号见 /tokens）',
    notFound: (id) => `你没有 #${id} 号令牌。发送 /tokens 查看。`,
    confirm: (id, name, prefix) => `确定删除令牌 #${id}“${name}”（${prefix}）吗？使用它的应用将无法继续调用。`,
    deleteLabel: '删除',
    cancelLabel: '取消',
    deleted: (id) => `令牌 #${id} 已删除，使用它的应用从现在起无法调用。`,
    cancelled: '已取消，没有删除任何令牌。',
  },

  groups: {
    list: (current, lines) => `你的分组：${current}\n\n${lines.length ? lines.join('\n') : '（没有可自行切换的分组）'}\n\n切换分组：/group <分组名>。`,
    line: (g) => `${g.current ? '▶' : '•'} ${g.name} · 倍率 ${g.ratio}${g.description ? ` · ${g.description}` : ''}`,
    switchButton: (name, ratio) => `${name}（×${ratio}）`,
    usage: '用法：/group <分组名>（见 /groups）',
    switched: (name, ratio) => `你已切换到分组 ${name}${ratio ? `（价格倍率 ${ratio}）` : ''}。`,
    noModels: '你的分组目前没有可用的模型。',
    models: (models) => `你可以使用的模型（${models.length} 个）：\n${models.map((m) => `• ${m}`).join('\n')}\n\n价格：/price <模型>`,
    priceUsage: '用法：/price <模型>（见 /models）',
    priceHead: (model, group, ratio) => `${model}，分组 ${group}（倍率 ${ratio}）：`,
    perRequest: (usdText) => `每次请求 ${usdText}`,
    input: (usdText) => `输入：每百万 tokens ${usdText}`,
    output: (usdText) => `输出：每百万 tokens ${usdText}`,
  },

  chat: {
    modeOff: '聊天模式已关闭：现在我在这里只回应命令。',
    privateHint: '直接给我发消息就行：在私聊里，你发的每条消息都会交给模型。',
    modeOn: (model) => `聊天模式已开启：你在这里发的消息会交给 ${model}。发送 /chat off 关闭。`,
    newConversation: (model) => `已用 ${model} 开始新对话。`,
    model: (model) => `你的聊天模型：${model}。发送 /model <模型名> 更换（见 /models）。`,
    pick: (model, page, pages) => `你的聊天模型：${model}。选择其他模型${pages > 1 ? `（第 ${page}/${pages} 页）` : ''}：`,
    previous: '◀ 上一页',
    next: '下一页 ▶',
    modelDefault: '↺ 默认',
    modelNotAvailable: (name) => `你的分组不能使用 ${name}。发送 /models 查看。`,
    modelSet: (model) => `聊天模型已设为 ${model}。`,
    titleState: (on) => `自动标题目前${on ? '已开启' : '已关闭'}。用法：/title on | off | default`,
    titleOn: '自动标题已开启：每个新对话会得到一个简短标题（额外一次小的模型调用，会计费）。',
    titleOff: '自动标题已关闭。',
    receiptState: (on) => `账单目前${on ? '已开启' : '已关闭'}。用法：/receipt on | off | default`,
    receiptOn: '账单已开启：每条回答末尾会显示 tokens、费用和你的余额（群聊中不显示余额）。',
    receiptOff: '账单已关闭。',
    receipt: (r) =>
      `🧾 ${formatNumber(r.promptTokens)} + ${formatNumber(r.completionTokens)} tokens · ${units(r.cost)}` +
      (r.balance === null ? '' : ` · 余额 ${units(r.balance)}`),
    notifyOff: '低余额提醒已关闭。',
    notifyState: (threshold) => `低余额提醒${threshold === null ? '已关闭' : `阈值为 ${units(threshold)}`}。用法：/notify <额度 | $金额> | off`,
    notifySet: (threshold) => `余额低于 ${units(threshold)} 时我会提醒你。`,
    lowBalance: (after, threshold) => `⚠️ 你的余额不多了：剩余 ${units(after)}（提醒阈值 ${units(threshold)}）。发送 /recharge 充值；发送 /notify off 关闭提醒。`,
    lowBalanceInGroup: (name) => `⚠️ ${name}，你的余额已低于你设置的提醒阈值。请私聊我发送 /balance 查看（我无法私信你）。`,
    imagePrompt: '这张图片里有什么？',
    imageUnreadable: '我无法读取这张图片（支持 PNG、JPEG、GIF、WebP，最大 10 MB）。',
    imageStored: '[图片]',
    windowClosing: '⏳ 这个回答比较长，而 QQ 只允许我在 5 分钟内回复：剩余部分我会作为新消息发送。如果没有收到，给我发任意一条消息即可获取。',
    restOfAnswer: '（接上条）上一个回答的剩余部分：',
    shortened: '…（回答已截短：QQ 对一条消息最多允许回复 5 次）',
    placeholder: '…',
    empty: '（没有回答）',
  },

  pay: {
    methods: { alipay: '支付宝', wxpay: '微信支付', wechat_pay: '微信支付', qqpay: 'QQ 钱包', card: '银行卡' },
    privateOnly: '为了你的安全，我只在私聊中收款。请直接私聊我，然后在私聊里发送 /recharge。',
    offer: (o) =>
      `余额充值。1 美元额度（${formatNumber(QUOTA_PER_USD)} 额度）售价 ${o.rate} ${o.currency}。\n` +
      `请选择金额，或发送 /recharge <金额>（${o.min} 至 ${o.max}）。` +
      (o.bonus.length ? `\n充值赠送：${o.bonus.map((b) => `满 ${b.min} 送 ${b.percent}%`).join('，')}。` : ''),
    starsButton: '⭐ 用 Telegram Stars 支付',
    ordersButton: '🧾 我的订单',
    usage: (min, max) => `用法：/recharge <金额>，${min} 至 ${max}（例如 /recharge ${min.split(' ')[0]}）。`,
    chooseMethod: (amount, units) => `${amount} 可购买 ${units}。请选择支付方式：`,
    viaStripe: (methods) => `${methods}（Stripe）`,
    checkout: (o) =>
      `🧾 订单 ${o.tradeNo}：${o.amount}，到账 ${o.units}${o.bonus ? `（含赠送 ${o.bonus}）` : ''}。\n` +
      `付款链接：${o.url}\n` +
      `链接有效期至 ${o.until}。` +
      (o.notify ? '到账后我会在这里通知你。' : '可发送 /recharge orders 查看是否到账。'),
    starsOnlyInTelegram: 'Telegram Stars 只能在 Telegram 机器人中使用。',
    invoiceTitle: '余额充值',
    invoiceDescription: (units) => `为你的中转站账户充值 ${units}`,
    starsMenu: (perStar, max) => `用 Telegram Stars 支付：1 ⭐ 可购买 ${perStar}。请选择数量，或发送 /recharge stars <1–${max}>。`,
    starsUsage: (max) => `用法：/recharge stars <Stars 数量，1 至 ${max}>`,
    starsButtonLabel: (stars, units) => `⭐ ${stars} → ${units}`,
    noOrders: '还没有订单。发送 /recharge 开始充值。',
    orders: (lines) => `你最近的订单：\n${lines.join('\n')}`,
    status: {
      pending: '等待付款',
      paid: '已支付',
      expired: '已过期',
      failed: '失败',
      refunded: '已退款',
      partially_refunded: '部分退款',
      disputed: '争议中',
    },
    paid: (o) =>
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

  admin: {
    noChannels: '还没有渠道。',
    channels: (lines) => `渠道：\n${lines.join('\n')}`,
    channelLine: (c) => {
      const icon = c.status === 'enabled' ? '🟢' : c.status === 'auto_disabled' ? '🔴' : '⚪';
      const reason = c.disabledReason ? `（${c.disabledReason}）` : '';
      const speed = c.responseTimeMs === null ? '' : ` · ${c.responseTimeMs} ms`;
      const keys = c.keys.total > 1 ? ` · 密钥 ${c.keys.enabled}/${c.keys.total}` : '';
      const tested = c.testedAt ? ` · 测试于 ${date(c.testedAt)}` : '';
      const traffic = c.requests24h ? ` · 24 小时：${formatNumber(c.requests24h)} 次调用，${formatNumber(c.errors24h)} 次失败` : '';
      const last = c.lastError ? `\n   最近错误：${clip(c.lastError)}` : '';
      return `${icon} #${c.id} ${c.name} · ${c.type} · ${statusWord[c.status] ?? c.status}${reason} · 优先级 ${c.priority}${speed}${keys}${traffic}${tested}${last}`;
    },
    channelUsage: '用法：/channel test|enable|disable <编号>',
    channelNow: (id, name, status) => `渠道 #${id}“${name}”现在${statusWord[status] ?? status}。`,
    tested: (id, name, ok, status, ms, failures) =>
      `渠道 #${id}“${name}”${ok ? `测试通过${ms === null ? '' : `（${ms} ms）`}` : '测试失败'}；当前状态：${statusWord[status] ?? status}。` +
      (failures.length ? `\n${failures.join('\n')}` : ''),
    testButton: '🔁 重新测试',
    enableButton: '🟢 启用',
    disableButton: '⚪ 停用',
    alert: (id, name, reason) => `⚠️ 渠道 #${id}“${name}”已被自动停用。\n原因：${reason}\n修复后可发送 /channel enable ${id} 重新启用。`,
    alertCooled: (id, name, key, reason, until, channelOut) =>
      `⏸️ 渠道 #${id}“${name}”${key ? `的密钥 ${key}` : ''}连续失败，暂停使用。\n原因：${reason}\n暂停至 ${until}，之后会再探测。${channelOut ? '\n该渠道目前没有其他可用的密钥。' : ''}`,
    alertRecovered: (id, name, key) => `✅ 渠道 #${id}“${name}”${key ? `的密钥 ${key}` : ''}已恢复：探测请求成功。`,
    codesUsage: (max) => `用法：/codes <额度数或 $金额> <数量，最多 ${max}> [名称]`,
    codes: (count, quota, name, codes) => `${count} 个兑换码，每个 ${units(quota)}（“${name}”），只显示这一次：\n\n${codes.join('\n')}`,
    userUsage: '用法：/user <编号 | 用户名>',
    noUser: (query) => `没有找到“${query}”。`,
    user: (u) =>
      `用户 #${u.id} ${u.username} · ${u.role} · ${statusWord[u.status] ?? u.status}\n` +
      `分组：${u.group}\n` +
      `余额：${units(u.quota)}\n` +
      `已用：${units(u.usedQuota)}，共 ${formatNumber(u.requestCount)} 次请求\n` +
      `绑定的聊天账号：${u.links.length ? u.links.join(', ') : '无'}`,
  },

  errors: {
    invalid_json: say('请求格式不正确。'),
    invalid_request: say((e) => (e.details['param'] === 'group' ? '这个分组不存在。发送 /groups 查看可以切换的分组。' : `请求无效：${e.message}`)),
    model_not_priced: say('这个模型还没有设置价格，暂时不能使用。', '发送 /models 查看可用的模型。'),
    content_filtered: say('你的消息包含被禁止的内容。', '请换一种说法。'),
    unsupported_image: say('无法处理这张图片。', '请发送 PNG、JPEG、GIF 或 WebP 图片。'),
    image_fetch_refused: say('无法获取这张图片。', '请直接发送图片而不是链接。'),
    invalid_code: say((e) =>
      e.details['param'] === 'code'
        ? /disabled/.test(e.message) ? '这个兑换码已被停用。' : '这个兑换码不存在，请检查后重试。'
        : '绑定码不存在或已过期，请在网页控制台重新生成。',
    ),
    missing_key: say('缺少密钥。'),
    invalid_key: say('你的账户已不存在。', '请联系管理员。'),
    key_expired: say('密钥已过期。'),
    key_disabled: say('密钥已被停用。'),
    account_disabled: say('你的账户已被停用。', '请联系管理员。'),
    relay_token_on_api: say('这里不能使用中转令牌。'),
    forbidden: say((e) => (/registration/i.test(e.message) ? '暂不开放在聊天中注册。' : '你没有权限这样做。'), '请向管理员获取绑定码。'),
    ip_not_allowed: say('这个地址不被允许。'),
    model_not_allowed: say('这个令牌不能使用该模型。', '发送 /models 查看可用的模型。'),
    model_not_in_group: say(
      (e) => {
        const groups = Array.isArray(e.details['groups']) ? (e.details['groups'] as unknown[]).join('、') : '';
        return groups ? `你的分组不能使用这个模型（可用的分组：${groups}）。` : '你的分组不能使用这个模型。';
      },
      '发送 /models 查看你的分组提供的模型，或用 /groups 切换分组。',
    ),
    group_not_allowed: say('这个分组不能自行切换，请联系管理员。', '发送 /groups 查看可以切换的分组。'),
    token_quota_exhausted: say(quotaShort('令牌额度不足'), '请发送 /recharge 充值，然后用 /redeem 兑换。'),
    account_quota_exhausted: say(quotaShort('余额不足'), '请发送 /recharge 充值，然后用 /redeem 兑换。'),
    rate_limited: say(
      (e) => (num(e.details['retryAfter']) !== null ? `请求太频繁，请 ${num(e.details['retryAfter'])} 秒后再试。` : '请求太频繁。'),
      '请稍后再试。',
    ),
    not_found: say((e) => (/token/i.test(e.message) ? '没有找到这个令牌。' : /channel/i.test(e.message) ? '没有找到这个渠道。' : '没有找到。')),
    model_not_found: say('这个模型不存在或你的分组不能使用。', '发送 /models 查看可用的模型。'),
    conflict: say('这个聊天账号已经绑定了中转站账户。'),
    already_redeemed: say('这个兑换码已经被使用过了。'),
    body_too_large: say('内容太大了。'),
    no_channel: say('这个模型暂时没有可用的渠道。', '请稍后再试。'),
    not_configured: say('这项功能还没有配置好。', '请告诉管理员。'),
    upstream_error: say('上游服务出错了。', '请稍后再试。'),
    upstream_timeout: say('上游服务响应超时。', '请稍后再试。'),
    internal_error: say('服务器出错了。', '请稍后再试。'),
  },
};

/** Log types as the Chinese /logs names them. */
const TYPE_WORDS: Record<string, string> = { redeem: '兑换', topup: '充值', manage: '管理', error: '失败' };

/** "余额不足：需要 …，可用 …。" with the amounts when the relay gave them. */
function quotaShort(what: string) {
  return (e: Parameters<ErrorText>[0]): string => {
    const needed = num(e.details['needed']);
    const available = num(e.details['available']);
    return needed !== null && available !== null ? `${what}：本次需要 ${units(needed)}，可用 ${units(available)}。` : `${what}。`;
  };
}
