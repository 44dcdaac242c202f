// Usage logs (one row per relay request, redemption, top-up or admin change) and the usage totals built from them.
import { RelayError } from '../errors.js';
import { Prisma, type UsageLog } from '../generated/sqlite/client.js';
import { iso, units, type PageResult, type ServiceContext } from './service-utils.js';

export interface LogView {
  id: number;
  createdAt: string;
  type: string;
  source: string;
  userId: number;
  tokenId: number | null;
  tokenName: string;
  channelId: number | null;
  endpoint: string;
  model: string;
  upstreamModel: string;
  promptTokens: number;
  completionTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  groupRatio: string;
  modelRatio: string;
  completionRatio: string;
  quota: number;
  stream: boolean;
  latencyMs: number;
  ttftMs: number | null;
  status: string;
  /** What the caller was told (an error as `code: message`), or a note. */
  content: string;
  group: string;
  requestId: string | null;
  /** Relay calls: where the billed counts came from (upstream | local | mixed | none). */
  usageSource: string;
  /** Cost the balance could not cover: written off, not charged. */
  writeOff: number;
  /** Admins only: what the upstream said (keys scrubbed), when the caller was told less. */
  detail?: string;
  /** Admins only: every upstream attempt when there was more than one (a failover); else null. */
  attempts?: AttemptView[] | null;
}

/** One upstream attempt of a call, as the usage log keeps it (relay/pipeline.ts attemptsJson). */
export interface AttemptView {
  channelId: number;
  keyId: number | null;
  /** The upstream's HTTP status, or the relay's when the upstream never answered (timeout, connection). */
  status: number;
  code: string;
  /** A failure that means "broken for now" (server_error, overloaded, timeout, connection, rate_limited). */
  fault?: string;
  ms: number;
}

function attemptsOf(text: string | null): AttemptView[] | null {
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? (value as AttemptView[]) : null;
  } catch {
    return null;
  }
}

export interface LogFilter {
  userId?: number;
  tokenId?: number;
  tokenName?: string;
  channelId?: number;
  model?: string;
  type?: string;
  status?: string;
  source?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

/** `admin`: the viewer may read what upstreams said (the `detail` column). */
export function toLogView(row: UsageLog, admin = false): LogView {
  return {
    id: row.id,
    createdAt: row.createdAt.toISOString(),
    type: row.type,
    source: row.source,
    userId: row.userId,
    tokenId: row.tokenId,
    tokenName: row.tokenName,
    channelId: row.channelId,
    endpoint: row.endpoint,
    model: row.model,
    upstreamModel: row.upstreamModel,
    promptTokens: row.promptTokens,
    completionTokens: row.completionTokens,
    cacheReadTokens: row.cacheReadTokens,
    cacheWriteTokens: row.cacheWriteTokens,
    groupRatio: row.groupRatio,
    modelRatio: row.modelRatio,
    completionRatio: row.completionRatio,
    quota: units(row.quota),
    stream: row.stream,
    latencyMs: row.latencyMs,
    ttftMs: row.ttftMs,
    status: row.status,
    content: row.content,
    group: row.group,
    requestId: row.requestId,
    usageSource: row.usageSource,
    writeOff: units(row.writeOff),
    ...(admin ? { detail: row.detail, attempts: attemptsOf(row.attempts) } : {}),
  };
}

export const NEWEST_FIRST = [{ createdAt: 'desc' }, { id: 'desc' }] as const;

/** The Prisma where-clause of a log filter. */
export function logWhere(filter: LogFilter) {
  const { from, to, ...exact } = filter;
  return { ...exact, createdAt: { gte: from, lt: to } };
}

export async function listLogs(
  ctx: ServiceContext,
  filter: LogFilter,
  page: { skip: number; take: number },
  admin = false,
): Promise<PageResult<LogView>> {
  const where = logWhere(filter);
  const [rows, total] = await Promise.all([
    ctx.db.prisma.usageLog.findMany({ where, orderBy: [...NEWEST_FIRST], skip: page.skip, take: page.take }),
    ctx.db.prisma.usageLog.count({ where }),
  ]);
  return { items: rows.map((row) => toLogView(row, admin)), total };
}

/** The user's latest `n` log rows (1..100), newest first. For the bots' usage command. */
export async function recentLogs(ctx: ServiceContext, userId: number, n: number): Promise<LogView[]> {
  const take = Math.min(Math.max(Math.trunc(n) || 1, 1), 100);
  const rows = await ctx.db.prisma.usageLog.findMany({ where: { userId }, orderBy: [...NEWEST_FIRST], take });
  return rows.map((row) => toLogView(row));
}

/* ---------------------------------------------------------------- stats */

export type StatsBy = 'day' | 'model' | 'token' | 'channel' | 'source';

export interface StatsTotals {
  requests: number;
  quota: number;
  promptTokens: number;
  completionTokens: number;
  /** Units written off: cost the balance could not cover (estimation error at the end of a balance). */
  writeOff: number;
}

export interface StatsItem extends StatsTotals {
  key: string;
  label: string;
}

export interface StatsResult {
  by: StatsBy;
  from: string;
  to: string;
  items: StatsItem[];
  total: StatsTotals;
}

export interface StatsQuery {
  by: StatsBy;
  /** Undefined = every user (admins only: the route decides). */
  userId?: number;
  from: Date;
  to: Date;
  /** Resolve channel ids to channel names (admins only: channel names are operator detail). */
  channelNames?: boolean;
}

const DAY_MS = 86_400_000;
/** Day grouping fills every day of the range, so the range is bounded. */
export const MAX_STATS_DAYS = 366;
/** Other groupings list at most this many keys, largest first (the totals still cover everything). */
const MAX_STATS_KEYS = 1000;

/** The UTC day (YYYY-MM-DD) of a usage log row: the one expression that differs by dialect. */
export function utcDay(kind: 'sqlite' | 'postgresql'): Prisma.Sql {
  return kind === 'sqlite' ? Prisma.sql`strftime('%Y-%m-%d', "createdAt")` : Prisma.sql`to_char("createdAt", 'YYYY-MM-DD')`;
}

function groupExpression(by: StatsBy, kind: 'sqlite' | 'postgresql'): Prisma.Sql {
  switch (by) {
    case 'day':
      return utcDay(kind);
    case 'model':
      return Prisma.sql`"model"`;
    case 'token':
      return Prisma.sql`"tokenId"`;
    case 'channel':
      return Prisma.sql`"channelId"`;
    case 'source':
      return Prisma.sql`"source"`;
  }
}

interface RawTotals {
  requests: unknown;
  quota: unknown;
  promptTokens: unknown;
  completionTokens: unknown;
  writeOff: unknown;
}
interface RawGroup extends RawTotals {
  key: unknown;
  tokenName: unknown;
}

/** A statistics time range: `from` before `to`, and at most MAX_STATS_DAYS when every day is listed. */
export function checkRange(from: Date, to: Date, byDay: boolean): void {
  if (!(from.getTime() < to.getTime())) {
    throw new RelayError('invalid_request', '`from` must be before `to`', 400, { param: 'from' });
  }
  if (byDay && to.getTime() - from.getTime() > MAX_STATS_DAYS * DAY_MS) {
    throw new RelayError('invalid_request', `a daily series covers at most ${MAX_STATS_DAYS} days`, 400, { param: 'from' });
  }
}

/** COUNT/SUM come back as bigint, numeric text or number depending on the driver; all are exact below 2^53. */
export const num = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));

function totalsOf(row: RawTotals | undefined): StatsTotals {
  return {
    requests: num(row?.requests),
    quota: num(row?.quota),
    promptTokens: num(row?.promptTokens),
    completionTokens: num(row?.completionTokens),
    writeOff: num(row?.writeOff),
  };
}

/**
 * Relay usage (log types consume and error) between `from` (inclusive) and `to` (exclusive), grouped by UTC day,
 * model, token, channel or source. Day grouping lists every day of the range, zeros included.
 */
export async function usageStats(ctx: ServiceContext, query: StatsQuery): Promise<StatsResult> {
  const { by, userId, from, to } = query;
  checkRange(from, to, by === 'day');
  const conditions = [
    Prisma.sql`"createdAt" >= ${from}`,
    Prisma.sql`"createdAt" < ${to}`,
    Prisma.sql`"type" IN ('consume', 'error')`,
  ];
  if (userId !== undefined) conditions.push(Prisma.sql`"userId" = ${userId}`);
  const where = Prisma.join(conditions, ' AND ');
  const sums = Prisma.sql`COUNT(*) AS "requests", COALESCE(SUM("quota"), 0) AS "quota",
    COALESCE(SUM("promptTokens"), 0) AS "promptTokens", COALESCE(SUM("completionTokens"), 0) AS "completionTokens",
    COALESCE(SUM("writeOff"), 0) AS "writeOff"`;
  const group = groupExpression(by, ctx.db.kind);
  const order = by === 'day' ? Prisma.sql`ORDER BY 1` : Prisma.sql`ORDER BY "quota" DESC, "requests" DESC, 1`;

  const prisma = ctx.db.prisma;
  const [groups, totals] = await Promise.all([
    prisma.$queryRaw<RawGroup[]>`SELECT ${group} AS "key", MAX("tokenName") AS "tokenName", ${sums}
      FROM "UsageLog" WHERE ${where} GROUP BY 1 ${order} LIMIT ${MAX_STATS_KEYS}`,
    prisma.$queryRaw<RawTotals[]>`SELECT ${sums} FROM "UsageLog" WHERE ${where}`,
  ]);

  let items: StatsItem[] = groups.map((row) => {
    const key = row.key === null || row.key === undefined || row.key === '' ? 'none' : String(row.key);
    const label = by === 'token' && typeof row.tokenName === 'string' && row.tokenName ? row.tokenName : key;
    return { key, label, ...totalsOf(row) };
  });
  if (by === 'channel' && query.channelNames) items = await withChannelNames(ctx, items);
  if (by === 'day') items = fillDays(items, from, to);
  return { by, from: from.toISOString(), to: to.toISOString(), items, total: totalsOf(totals[0]) };
}

async function withChannelNames(ctx: ServiceContext, items: StatsItem[]): Promise<StatsItem[]> {
  const ids = items.map((item) => Number(item.key)).filter((id) => Number.isInteger(id));
  const channels = await ctx.db.prisma.channel.findMany({ where: { id: { in: ids } }, select: { id: true, name: true } });
  const names = new Map(channels.map((c) => [String(c.id), c.name]));
  return items.map((item) => ({ ...item, label: names.get(item.key) ?? item.label }));
}

/** Every UTC day (YYYY-MM-DD) touched by [from, to), in order. */
export function daysOf(from: Date, to: Date): string[] {
  const out: string[] = [];
  const first = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate());
  for (let t = first; t < to.getTime(); t += DAY_MS) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/** Every UTC day of [from, to), in order, with zeros where nothing happened. */
function fillDays(items: StatsItem[], from: Date, to: Date): StatsItem[] {
  const byDay = new Map(items.map((item) => [item.key, item]));
  return daysOf(from, to).map(
    (key) => byDay.get(key) ?? { key, label: key, requests: 0, quota: 0, promptTokens: 0, completionTokens: 0, writeOff: 0 },
  );
}

/** Parses a query-string time: full ISO 8601 with a zone, or a bare date (UTC midnight). 400 names the field. */
export function parseQueryTime(value: string | undefined, param: string): Date | undefined {
  if (value === undefined) return undefined;
  const isoLike = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;
  const date = new Date(value);
  if (!isoLike.test(value) || Number.isNaN(date.getTime()) || !isCalendarDate(value.slice(0, 10))) {
    throw new RelayError('invalid_request', `${param} must be an ISO 8601 time such as 2026-01-31T00:00:00Z`, 400, {
      param,
    });
  }
  return date;
}

/** "2026-02-30" is not a day (Date would roll it over to March 2nd). */
function isCalendarDate(ymd: string): boolean {
  const [y, m, d] = ymd.split('-').map(Number) as [number, number, number];
  const probe = new Date(Date.UTC(y, m - 1, d));
  return probe.getUTCFullYear() === y && probe.getUTCMonth() === m - 1 && probe.getUTCDate() === d;
}

export const DEFAULT_STATS_DAYS = 30;
