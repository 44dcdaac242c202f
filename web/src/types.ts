// The API's resources as the console reads them (the server's TypeBox schemas are the source of truth).
export type Role = 'user' | 'admin' | 'root';

export interface Account {
  id: number;
  username: string;
  role: Role;
  group: string;
  quota: number;
  usedQuota: number;
  requestCount: number;
  status: 'enabled' | 'disabled';
  createdAt: string;
  quotaUsd: number;
  usedQuotaUsd: number;
}
export type User = Omit<Account, 'quotaUsd' | 'usedQuotaUsd'>;

export interface Page<T> {
  items: T[];
  total: number;
}

export interface Site {
  allowRegistration: boolean;
  telegramBotUsername: string;
  topUpLink: string;
  currency: string;
  exchangeRate: number;
  quotaPerUsd: number;
}

export interface Token {
  id: number;
  userId: number;
  name: string;
  keyPrefix: string;
  quota: number | null;
  usedQuota: number;
  expiresAt: string | null;
  models: string[];
  allowIps: string[];
  group: string | null;
  status: 'enabled' | 'disabled';
  /** Rate limits; null = none. */
  rpm: number | null;
  tpm: number | null;
  maxConcurrent: number | null;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface Group {
  name: string;
  ratio: string;
  description: string;
  userSelectable: boolean;
  /** Rate limits for each user of the group; null = none. */
  rpm: number | null;
  tpm: number | null;
}

export interface UsageLog {
  id: number;
  createdAt: string;
  type: string;
  source: string;
  userId: number;
  tokenName: string;
  channelId: number | null;
  model: string;
  promptTokens: number;
  completionTokens: number;
  quota: number;
  stream: boolean;
  latencyMs: number;
  status: string;
  content: string;
  /** Admins: every upstream attempt when the call failed over (more than one); else null. */
  attempts?: { channelId: number; keyId: number | null; status: number; code: string; fault?: string; ms: number }[] | null;
}

export interface UsageSeries {
  days: string[];
  models: { model: string; requests: number[]; quota: number[] }[];
  total: { requests: number; quota: number; promptTokens: number; completionTokens: number };
}

export interface ChannelHealth {
  id: number;
  name: string;
  type: string;
  status: string;
  disabledReason: string | null;
  responseTimeMs: number | null;
  testedAt: string | null;
  requests24h: number;
  errors24h: number;
  lastError: string | null;
  lastErrorAt: string | null;
}
export interface Overview {
  days: { day: string; requests: number; quota: number; errors: number; writeOffs: number; writeOffQuota: number }[];
  topModels: Ranked[];
  topUsers: Ranked[];
  channels: ChannelHealth[];
}
export interface Ranked {
  key: string;
  label: string;
  requests: number;
  quota: number;
}

export interface ModelPrice {
  model: string;
  groups: string[];
  available: boolean;
  priced: boolean;
  modelRatio: string | null;
  completionRatio: string | null;
  inputUsdPer1M: string | null;
  outputUsdPer1M: string | null;
  perRequestUsd: string | null;
  /** Long-prompt prices: above `above` prompt tokens the whole call costs these. */
  tiers: Array<{ above: number; modelRatio: string; completionRatio: string; inputUsdPer1M: string; outputUsdPer1M: string }>;
}
export interface Pricing {
  group: string;
  groupRatio: string;
  quotaPerUsd: number;
  recharge: { topUpLink: string; exchangeRate: number; currency: string };
  models: ModelPrice[];
}

/** Rolling health and the circuit breaker of a channel or key (src/relay/breaker.ts). */
export interface Health {
  state: 'closed' | 'open' | 'half_open';
  requests: number;
  successRate: number | null;
  p50LatencyMs: number | null;
  consecutiveFailures: number;
  lastError: string | null;
  lastErrorAt: string | null;
  cooldownUntil: string | null;
}
export interface ChannelKey {
  id: number;
  /** Enough to tell keys apart ("sk-ab…wxyz"); the key itself is never returned. */
  mask: string;
  status: 'enabled' | 'disabled' | 'auto_disabled';
  disabledReason: string | null;
  health?: Health;
}
export interface Channel {
  id: number;
  name: string;
  type: string;
  baseUrl: string;
  keys: ChannelKey[];
  models: string[];
  modelMapping: Record<string, string>;
  groups: string[];
  priority: number;
  weight: number;
  status: 'enabled' | 'disabled' | 'auto_disabled';
  disabledReason: string | null;
  testedAt: string | null;
  responseTimeMs: number | null;
  health?: Health;
}
export interface ChannelType {
  type: string;
  label: string;
  defaultBaseUrl: string | null;
  needsKey: boolean;
}
export interface ChannelTest {
  ok: boolean;
  channelStatus: string;
  responseTimeMs: number | null;
  keys: { keyId: number | null; mask: string; ok: boolean; status: number | null; message: string }[];
}

export interface Redemption {
  id: number;
  name: string;
  codePrefix: string;
  quota: number;
  status: 'unused' | 'redeemed' | 'disabled';
  redeemedBy: number | null;
  redeemedAt: string | null;
  createdAt: string;
}

export interface LinkedAccount {
  id: number;
  platform: string;
  platformUserId: string;
  createdAt: string;
}

export type PriceMap = Record<string, number | string>;
export interface Options {
  modelRatios: PriceMap;
  completionRatios: PriceMap;
  modelPrices: PriceMap;
  cacheReadRatios: PriceMap;
  cacheWriteRatios: PriceMap;
  defaultModelRatio: number | null;
  topUpLink: string;
  exchangeRate: number;
  currency: string;
  prohibitedWords: string[];
  checkCompletions: boolean;
  botRegistration: boolean;
  botNewUserQuota: number;
  botChatModel: string;
  botTitleModel: string;
  botAutoTitle: boolean;
  botHistoryMessages: number;
  botVisionModel: string;
  botReceipts: boolean;
  allowRegistration: boolean;
  telegramBotUsername: string;
  publicUrl: string;
  retryCount: number;
  autoDisableChannels: boolean;
  channelRetestSeconds: number;
}
