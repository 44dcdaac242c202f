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
  createdAt: string;
  lastUsedAt: string | null;
}

export interface Group {
  name: string;
  ratio: string;
  description: string;
  userSelectable: boolean;
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

export interface ChannelKey {
  id: number;
  /** Enough to tell keys apart ("sk-ab…wxyz"); the key itself is never returned. */
  mask: string;
  status: 'enabled' | 'disabled' | 'auto_disabled';
  disabledReason: string | null;
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
