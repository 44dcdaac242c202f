// Everything the bot commands need from the relay, as one typed interface over plain data. The core never touches the
// database or the HTTP API: relay-backend.ts implements this over the relay's services (and test/bots/memory-backend.ts
// in memory, for tests). Every user-scoped call takes the relay user id (resolved once per message from the platform
// identity).
// Failures the user can act on are thrown as RelayError with a presentable message; the core words them.
import type { ChatFunction } from '../../src/relay/chat.js';
import type { Invoice, Platform } from './types.js';

export type Role = 'user' | 'admin' | 'root';

/** The relay account behind a linked chat identity. */
export interface BotUser {
  id: number;
  username: string;
  role: Role;
}

export interface PlatformIdentity {
  platform: Platform;
  platformUserId: string;
}

export interface AccountInfo {
  id: number;
  username: string;
  role: Role;
  group: string;
  /** Remaining quota units (500,000 = 1 USD). */
  quota: number;
  usedQuota: number;
  requestCount: number;
  status: 'enabled' | 'disabled';
  /** Low-balance warning threshold in units; null = off. */
  lowQuotaNotice: number | null;
}

export interface TokenInfo {
  id: number;
  name: string;
  /** The visible part only ("sk-AbCd…wxyz"); the full key exists only in CreatedToken, once. */
  keyPrefix: string;
  /** Remaining units; null = unlimited. */
  remainQuota: number | null;
  usedQuota: number;
  /** ISO 8601; null = never. */
  expiresAt: string | null;
  /** Empty = every model of the group. */
  models: string[];
  status: string;
}

export interface NewTokenInput {
  name: string;
  /** Units; null = unlimited. */
  quota: number | null;
  /** ISO 8601; null = never. */
  expiresAt: string | null;
  models: string[];
}

export interface CreatedToken extends TokenInfo {
  /** The full key: shown once, in a private chat, never stored by the bot. */
  key: string;
}

export interface GroupInfo {
  name: string;
  /** Exact decimal string ("0.5"). */
  ratio: string;
  description: string;
}

export interface GroupList {
  current: string;
  /** The groups the user may switch into (userSelectable), with the current one included when it is selectable. */
  selectable: GroupInfo[];
}

export interface RedeemResult {
  /** Units added. */
  quota: number;
  /** Balance afterwards. */
  balance: number;
}

export interface RechargeInfo {
  /** Where codes are bought; empty = not configured. */
  topUpLink: string;
  /** What 1 USD of quota costs in `currency`. */
  exchangeRate: number;
  currency: string;
}

export interface LogEntry {
  /** ISO 8601. */
  createdAt: string;
  type: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  quota: number;
  status: string;
  source: string;
  content: string;
}

export interface ModelPrice {
  model: string;
  group: string;
  groupRatio: string;
  /** Per-token pricing: USD per 1M prompt / completion tokens after the group ratio. Null when priced per call. */
  inputUsdPerMillion: number | null;
  outputUsdPerMillion: number | null;
  /** Per-call pricing (image models and the like), after the group ratio. */
  perCallUsd: number | null;
}

/** A type alias, not an interface, so it passes as the relay's ChatMessage (which has an index signature). */
export type StoredMessage = {
  role: 'system' | 'user' | 'assistant';
  content: string;
};

/** One conversation per (platform, chat, user) is active; /new starts another. */
export interface ConversationKey {
  platform: Platform;
  chatId: string;
  userId: number;
}

export interface Conversation {
  id: number;
  model: string;
  title: string | null;
  /** Oldest first, already trimmed to the history size. */
  messages: StoredMessage[];
}

export interface BotSettings {
  /** Effective value: the user's choice, else the admin default (option botAutoTitle). */
  autoTitle: boolean;
  /** Effective chat model: the user's choice, else option botChatModel. */
  chatModel: string;
  /** Cheap model for titles (option botTitleModel). */
  titleModel: string;
  /** Messages kept per conversation (option botHistoryMessages). */
  historyMessages: number;
  lowQuotaNotice: number | null;
}

/** null resets a setting to the admin default. */
export interface SettingsPatch {
  autoTitle?: boolean | null;
  chatModel?: string | null;
  lowQuotaNotice?: number | null;
}

export interface ChannelInfo {
  id: number;
  name: string;
  type: string;
  status: string;
  disabledReason: string | null;
  priority: number;
  responseTimeMs: number | null;
}

export interface NewCodesInput {
  quota: number;
  count: number;
  name: string;
}

export interface UserSummary extends AccountInfo {
  links: PlatformIdentity[];
}

/** One price: `amount` in the currency's minor unit (Stars: whole Stars). */
export interface RechargeQuote {
  amount: number;
  /** "10.00 CNY", "100 ⭐". */
  amountText: string;
  /** Units credited, bonus included. */
  quota: number;
  bonusQuota: number;
}

/** What online payment offers right now. */
export interface RechargeOffer {
  currency: string;
  exchangeRate: number;
  minAmount: number;
  maxAmount: number;
  presets: RechargeQuote[];
  bonusTiers: Array<{ minAmount: number; percent: number }>;
  /** Checkout-link providers: Stripe (its methods: card, alipay, wechat_pay) and EPay (its types: alipay, wxpay, …). */
  checkout: Array<{ provider: 'stripe' | 'epay'; methods: string[] }>;
  /** Telegram Stars, when enabled. */
  stars: { quotaPerStar: number; presets: RechargeQuote[]; max: number } | null;
}

export interface RechargeOrder {
  tradeNo: string;
  provider: string;
  amountText: string;
  quota: number;
  bonusQuota: number;
  status: string;
  /** Where to pay (checkout providers, while pending). */
  checkoutUrl: string | null;
  /** ISO 8601. */
  expiresAt: string;
  createdAt: string;
}

export interface CheckoutInput {
  provider: 'stripe' | 'epay';
  /** EPay type; default the first offered. */
  method?: string;
  /** Minor units. */
  amount: number;
  platform: Platform;
  platformUserId: string;
  locale: 'en' | 'zh';
}

/** Payments from the chat (docs/payments.md). Throws RelayError with a presentable message when a choice is refused. */
export interface BotPayments {
  /** null: online payment is off (/recharge then explains redemption codes). */
  offer(): Promise<RechargeOffer | null>;
  quote(amount: number): Promise<RechargeQuote>;
  /** Creates an order and its checkout link. */
  checkout(userId: number, input: CheckoutInput): Promise<RechargeOrder>;
  /** Creates a Telegram Stars order and the invoice to send for it. */
  starsInvoice(userId: number, input: { stars: number; platformUserId: string; locale: 'en' | 'zh' }): Promise<{ order: RechargeOrder; invoice: Invoice }>;
  recentOrders(userId: number, limit: number): Promise<RechargeOrder[]>;
  /** Telegram's pre_checkout_query: null = go ahead, else why not. */
  starsPreCheckout(q: { payload: string; payerId: string; currency: string; amount: number }): Promise<'unknown' | 'other' | 'paid' | 'expired' | 'amount' | null>;
  /** Telegram's successful_payment: credits the order (once per charge id). */
  starsPaid(p: { payload: string; payerId: string; currency: string; amount: number; chargeId: string }): Promise<void>;
  /** Telegram's refunded_payment. */
  starsRefunded(p: { payload: string; chargeId: string; amount: number }): Promise<void>;
}

export interface BotBackend {
  /** Online payment; absent where the relay offers none (the in-memory test backend). */
  payments?: BotPayments;

  // Identity
  resolveLink(platform: Platform, platformUserId: string): Promise<BotUser | null>;
  /** Throws RelayError invalid_code (unknown/expired) or conflict (this identity is already linked). */
  linkWithCode(platform: Platform, platformUserId: string, code: string): Promise<BotUser>;
  /** Option botRegistration: may /register create accounts from the chat? */
  registrationOpen(): Promise<boolean>;
  /** Creates an account linked to this identity. Throws forbidden when option botRegistration is off. */
  register(platform: Platform, platformUserId: string, displayName: string): Promise<BotUser>;

  // Account
  getAccount(userId: number): Promise<AccountInfo>;
  listTokens(userId: number): Promise<TokenInfo[]>;
  createToken(userId: number, input: NewTokenInput): Promise<CreatedToken>;
  /** Throws not_found when the token is not this user's. */
  deleteToken(userId: number, tokenId: number): Promise<void>;
  listGroups(userId: number): Promise<GroupList>;
  /** Throws group_not_allowed / not_found. */
  switchGroup(userId: number, group: string): Promise<void>;
  /** Throws invalid_code / already_redeemed. `platform` is recorded as the usage log's source. */
  redeem(userId: number, code: string, platform: Platform): Promise<RedeemResult>;
  rechargeInfo(): Promise<RechargeInfo>;
  recentLogs(userId: number, limit: number): Promise<LogEntry[]>;
  listModels(userId: number): Promise<string[]>;
  /** Throws model_not_found / model_not_priced. */
  price(model: string, userId: number): Promise<ModelPrice>;

  /** The relay's in-process chat call: billed and logged like an API call. */
  chat: ChatFunction;

  // Conversations
  /** The active conversation for this key, created with `model` when there is none. */
  activeConversation(key: ConversationKey, model: string): Promise<Conversation>;
  /** Appends and trims the stored history to the option botHistoryMessages (oldest dropped first). */
  appendMessages(conversationId: number, messages: StoredMessage[]): Promise<void>;
  setConversationTitle(conversationId: number, title: string): Promise<void>;
  setConversationModel(conversationId: number, model: string): Promise<void>;
  /** Deactivates the current one and starts an empty conversation. */
  newConversation(key: ConversationKey, model: string): Promise<Conversation>;

  // Settings
  getSettings(userId: number): Promise<BotSettings>;
  updateSettings(userId: number, patch: SettingsPatch): Promise<BotSettings>;

  // Admin
  isAdmin(userId: number): Promise<boolean>;
  listChannels(): Promise<ChannelInfo[]>;
  /** Throws not_found. */
  setChannelEnabled(channelId: number, enabled: boolean): Promise<ChannelInfo>;
  /** The plain codes, shown once to the admin who asked. */
  createRedemptionCodes(adminUserId: number, input: NewCodesInput): Promise<string[]>;
  /** By numeric id or username; null when nobody matches. */
  findUser(query: string): Promise<UserSummary | null>;
  /** Every chat identity linked to an admin or root account (where channel alerts go). */
  adminIdentities(): Promise<PlatformIdentity[]>;
}
