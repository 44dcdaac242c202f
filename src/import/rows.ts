// The source rows as typed values, whatever the driver returned (MySQL tinyint for booleans, PostgreSQL int8 as
// strings, SQLite numbers). Schemas read from the projects' GORM models (model/*.go): one-api v0.6.x and new-api; older
// versions miss some columns, which then read as their GORM default.
import type { Row, SourceDb } from './source.js';
import { ImportUsageError } from './source.js';

export type Variant = 'one-api' | 'new-api';

export interface SourceUser {
  id: number;
  username: string;
  password: string;
  displayName: string;
  role: number; // 1 common, 10 admin, 100 root
  status: number; // 1 enabled, 2 disabled, 3 deleted (one-api)
  deleted: boolean; // new-api soft delete (deleted_at)
  group: string;
  quota: bigint;
  usedQuota: bigint;
  requestCount: number;
  createdAt: Date | null;
}

export interface SourceToken {
  id: number;
  userId: number;
  key: string;
  name: string;
  status: number; // 1 enabled, 2 disabled, 3 expired, 4 exhausted
  createdAt: Date | null;
  accessedAt: Date | null;
  /** null = never */
  expiresAt: Date | null;
  remainQuota: bigint;
  unlimited: boolean;
  usedQuota: bigint;
  /** null = every model; [] = none (new-api with limits on and an empty list) */
  models: string[] | null;
  allowIps: string[];
  group: string;
  deleted: boolean;
}

export interface SourceChannel {
  id: number;
  type: number;
  keys: string[];
  /** new-api multi-key channels: how many keys were disabled there. */
  disabledKeys: number;
  status: number; // 1 enabled, 2 manually disabled, 3 auto-disabled
  name: string;
  weight: number;
  baseUrl: string;
  other: string;
  models: string[];
  groups: string[];
  modelMapping: string;
  priority: number;
  /** one-api's `config` JSON ({api_version, region, ...}) */
  config: Record<string, unknown>;
  systemPrompt: string;
  paramOverride: string;
  headerOverride: string;
}

export interface SourceRedemption {
  id: number;
  creatorId: number;
  key: string;
  status: number; // 1 unused, 2 disabled, 3 used
  name: string;
  quota: bigint;
  createdAt: Date | null;
  redeemedAt: Date | null;
  redeemedBy: number;
  /** new-api: null = never */
  expiresAt: Date | null;
  deleted: boolean;
}

export interface SourceLog {
  id: number;
  userId: number;
  createdAt: Date | null;
  type: number; // 1 topup, 2 consume, 3 manage, 4 system, 5 error, 6 refund
  content: string;
  tokenName: string;
  tokenId: number;
  modelName: string;
  quota: bigint;
  promptTokens: number;
  completionTokens: number;
  channelId: number;
  latencyMs: number;
  stream: boolean;
  group: string;
  other: Record<string, unknown>;
}

/* ---------------------------------------------------------------- value readers */

const str = (r: Row, col: string): string => (r[col] === null || r[col] === undefined ? '' : String(r[col]));

function big(r: Row, col: string): bigint {
  const v = r[col];
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return BigInt(v.trim());
  return 0n;
}

const int = (r: Row, col: string, fallback = 0): number => {
  const v = r[col];
  if (v === null || v === undefined || v === '') return fallback;
  const n = Number(v);
  return Number.isFinite(n) ? Math.trunc(n) : fallback;
};

function bool(r: Row, col: string): boolean {
  const v = r[col];
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return Number(v) !== 0;
  if (Buffer.isBuffer(v)) return v.length > 0 && v[0] !== 0;
  return ['1', 't', 'true'].includes(String(v ?? '').toLowerCase());
}

/** Unix seconds → Date; 0 and negative are "none". */
function unix(r: Row, col: string): Date | null {
  const s = int(r, col);
  return s > 0 ? new Date(s * 1000) : null;
}

/** GORM's soft delete column: set means deleted. */
const softDeleted = (r: Row): boolean => r.deleted_at !== null && r.deleted_at !== undefined && r.deleted_at !== '';

const list = (text: string, separator: string | RegExp): string[] =>
  [...new Set(text.split(separator).map((s) => s.trim()).filter(Boolean))];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A JSON column: text, or already parsed by the driver (MySQL and PostgreSQL `json` columns). */
function jsonObject(r: Row, col: string): Record<string, unknown> {
  const v = r[col];
  if (isObject(v) && !Buffer.isBuffer(v) && !(v instanceof Date)) return v;
  try {
    const parsed: unknown = JSON.parse(str(r, col));
    return isObject(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

/* ---------------------------------------------------------------- detection */

const REQUIRED = ['users', 'tokens', 'channels'];

/** one-api or new-api, told apart by new-api's token model limits; anything else is refused. */
export async function detectVariant(source: SourceDb): Promise<{ variant: Variant; tables: Set<string> }> {
  const tables = await source.tables();
  const missing = REQUIRED.filter((t) => !tables.has(t));
  if (missing.length > 0) {
    throw new ImportUsageError(`${source.label} is not a one-api or new-api database (no ${missing.join(', ')} table)`);
  }
  const tokenColumns = await source.columns('tokens');
  if (!tokenColumns.has('key') || !tokenColumns.has('user_id')) {
    throw new ImportUsageError(`${source.label} is not a one-api or new-api database (tokens has no key column)`);
  }
  return { variant: tokenColumns.has('model_limits_enabled') ? 'new-api' : 'one-api', tables };
}

/* ---------------------------------------------------------------- rows */

export function readUser(r: Row): SourceUser {
  return {
    id: int(r, 'id'),
    username: str(r, 'username'),
    password: str(r, 'password'),
    displayName: str(r, 'display_name'),
    role: int(r, 'role', 1),
    status: int(r, 'status', 1),
    deleted: softDeleted(r),
    group: str(r, 'group') || 'default',
    quota: big(r, 'quota'),
    usedQuota: big(r, 'used_quota'),
    requestCount: int(r, 'request_count'),
    // new-api: created_at (unix seconds); one-hub and some forks: created_time.
    createdAt: unix(r, 'created_at') ?? unix(r, 'created_time'),
  };
}

export function readToken(r: Row, variant: Variant): SourceToken {
  const expired = int(r, 'expired_time', -1);
  let models: string[] | null;
  let allowIps: string[];
  if (variant === 'new-api') {
    models = bool(r, 'model_limits_enabled') ? list(str(r, 'model_limits'), ',') : null;
    allowIps = list(str(r, 'allow_ips').replace(/,/g, '\n'), /\r?\n/);
  } else {
    const m = list(str(r, 'models'), ',');
    models = m.length > 0 ? m : null;
    allowIps = list(str(r, 'subnet'), ',');
  }
  return {
    id: int(r, 'id'),
    userId: int(r, 'user_id'),
    key: str(r, 'key').trim(),
    name: str(r, 'name'),
    status: int(r, 'status', 1),
    createdAt: unix(r, 'created_time'),
    accessedAt: unix(r, 'accessed_time'),
    expiresAt: expired === -1 ? null : new Date(Math.max(expired, 0) * 1000),
    remainQuota: big(r, 'remain_quota'),
    unlimited: bool(r, 'unlimited_quota'),
    usedQuota: big(r, 'used_quota'),
    models,
    allowIps,
    group: str(r, 'group').trim(),
    deleted: softDeleted(r),
  };
}

/** new-api multi-key channels keep one key per line and a per-index status (1 = enabled). */
function channelKeys(r: Row): { keys: string[]; disabled: number } {
  const raw = str(r, 'key');
  const info = jsonObject(r, 'channel_info');
  if (info.is_multi_key !== true) return { keys: raw.trim() ? [raw.trim()] : [], disabled: 0 };
  const all = raw.split(/\r?\n/).map((k) => k.trim());
  const status = (info.multi_key_status_list ?? {}) as Record<string, unknown>;
  const keys: string[] = [];
  let disabled = 0;
  all.forEach((key, i) => {
    if (!key) return;
    const s = status[String(i)];
    if (s === undefined || Number(s) === 1) keys.push(key);
    else disabled++;
  });
  return { keys, disabled };
}

export function readChannel(r: Row): SourceChannel {
  const { keys, disabled } = channelKeys(r);
  return {
    id: int(r, 'id'),
    type: int(r, 'type'),
    keys,
    disabledKeys: disabled,
    status: int(r, 'status', 1),
    name: str(r, 'name').trim(),
    weight: int(r, 'weight'),
    baseUrl: str(r, 'base_url').trim(),
    other: str(r, 'other').trim(),
    models: list(str(r, 'models'), ','),
    groups: list(str(r, 'group'), ','),
    modelMapping: str(r, 'model_mapping').trim(),
    priority: int(r, 'priority'),
    config: jsonObject(r, 'config'),
    systemPrompt: str(r, 'system_prompt').trim(),
    paramOverride: str(r, 'param_override').trim(),
    headerOverride: str(r, 'header_override').trim(),
  };
}

export function readRedemption(r: Row): SourceRedemption {
  return {
    id: int(r, 'id'),
    creatorId: int(r, 'user_id'),
    key: str(r, 'key').trim(),
    status: int(r, 'status', 1),
    name: str(r, 'name').trim(),
    quota: big(r, 'quota'),
    createdAt: unix(r, 'created_time'),
    redeemedAt: unix(r, 'redeemed_time'),
    redeemedBy: int(r, 'used_user_id'),
    expiresAt: unix(r, 'expired_time'),
    deleted: softDeleted(r),
  };
}

export function readLog(r: Row, variant: Variant): SourceLog {
  return {
    id: int(r, 'id'),
    userId: int(r, 'user_id'),
    createdAt: unix(r, 'created_at'),
    type: int(r, 'type'),
    content: str(r, 'content'),
    tokenName: str(r, 'token_name'),
    tokenId: int(r, 'token_id'),
    modelName: str(r, 'model_name'),
    quota: big(r, 'quota'),
    promptTokens: int(r, 'prompt_tokens'),
    completionTokens: int(r, 'completion_tokens'),
    channelId: int(r, 'channel_id'),
    // one-api: elapsed_time in ms; new-api: use_time in seconds.
    latencyMs: variant === 'new-api' ? int(r, 'use_time') * 1000 : int(r, 'elapsed_time'),
    stream: bool(r, 'is_stream'),
    group: str(r, 'group'),
    other: jsonObject(r, 'other'),
  };
}

/** The options table as key → raw string value. */
export async function readOptions(source: SourceDb, tables: Set<string>): Promise<Map<string, string>> {
  if (!tables.has('options')) return new Map();
  const rows = await source.all('options');
  return new Map(rows.map((r) => [str(r, 'key'), str(r, 'value')]));
}
