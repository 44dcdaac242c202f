// Read-only views for the console's charts: a user's usage by day and by model (the dashboard), and the admin overview
// (requests, quota, errors and write-offs by day; top models and users; channel health). Each is a few GROUP BY
// queries on the usage log bounded by a createdAt range, so they use its (createdAt) and (userId, createdAt) indexes
// on both databases; nothing is loaded row by row.
import { Prisma } from '../generated/sqlite/client.js';
import { checkRange, daysOf, num, utcDay } from './logs.js';
import type { ServiceContext } from './service-utils.js';

/** Relay calls only (not top-ups, redemptions or admin changes). */
const RELAY_TYPES = Prisma.sql`"type" IN ('consume', 'error')`;
/** The models a series names; the rest are summed as "other". */
export const SERIES_MODELS = 6;
const TOP_N = 10;

export interface ModelSeries {
  model: string;
  requests: number[];
  quota: number[];
}

export interface UsageSeries {
  from: string;
  to: string;
  days: string[];
  /** The biggest models by quota (then requests), and "other" when there are more. */
  models: ModelSeries[];
  total: { requests: number; quota: number; promptTokens: number; completionTokens: number };
}

interface DayModelRow {
  day: unknown;
  model: unknown;
  requests: unknown;
  quota: unknown;
  promptTokens: unknown;
  completionTokens: unknown;
}

/** Usage of one user (or everyone) per UTC day and model, between from (inclusive) and to (exclusive). */
export async function usageSeries(ctx: ServiceContext, q: { userId?: number; from: Date; to: Date }): Promise<UsageSeries> {
  checkRange(q.from, q.to, true);
  const where = [Prisma.sql`"createdAt" >= ${q.from}`, Prisma.sql`"createdAt" < ${q.to}`, RELAY_TYPES];
  if (q.userId !== undefined) where.push(Prisma.sql`"userId" = ${q.userId}`);
  const day = utcDay(ctx.db.kind);
  const rows = await ctx.db.prisma.$queryRaw<DayModelRow[]>`SELECT ${day} AS "day", "model", COUNT(*) AS "requests",
      COALESCE(SUM("quota"), 0) AS "quota", COALESCE(SUM("promptTokens"), 0) AS "promptTokens",
      COALESCE(SUM("completionTokens"), 0) AS "completionTokens"
    FROM "UsageLog" WHERE ${Prisma.join(where, ' AND ')} GROUP BY 1, 2`;

  const days = daysOf(q.from, q.to);
  const dayIndex = new Map(days.map((d, i) => [d, i]));
  const byModel = new Map<string, ModelSeries & { totalQuota: number; totalRequests: number }>();
  const total = { requests: 0, quota: 0, promptTokens: 0, completionTokens: 0 };
  for (const row of rows) {
    const i = dayIndex.get(String(row.day));
    if (i === undefined) continue;
    const model = String(row.model ?? '') || 'none';
    let series = byModel.get(model);
    if (!series) {
      series = { model, requests: days.map(() => 0), quota: days.map(() => 0), totalQuota: 0, totalRequests: 0 };
      byModel.set(model, series);
    }
    const requests = num(row.requests);
    const quota = num(row.quota);
    series.requests[i]! += requests;
    series.quota[i]! += quota;
    series.totalRequests += requests;
    series.totalQuota += quota;
    total.requests += requests;
    total.quota += quota;
    total.promptTokens += num(row.promptTokens);
    total.completionTokens += num(row.completionTokens);
  }
  const ranked = [...byModel.values()].sort(
    (a, b) => b.totalQuota - a.totalQuota || b.totalRequests - a.totalRequests || a.model.localeCompare(b.model),
  );
  const models: ModelSeries[] = ranked.slice(0, SERIES_MODELS).map(({ model, requests, quota }) => ({ model, requests, quota }));
  const rest = ranked.slice(SERIES_MODELS);
  if (rest.length > 0) {
    models.push({
      model: 'other',
      requests: days.map((_, i) => rest.reduce((sum, s) => sum + s.requests[i]!, 0)),
      quota: days.map((_, i) => rest.reduce((sum, s) => sum + s.quota[i]!, 0)),
    });
  }
  return { from: q.from.toISOString(), to: q.to.toISOString(), days, models, total };
}

export interface OverviewDay {
  day: string;
  requests: number;
  quota: number;
  errors: number;
  /** Calls whose cost exceeded what the balance could cover; the difference was not charged. */
  writeOffs: number;
  /** The units those calls could not be charged (the usage log's writeOff). */
  writeOffQuota: number;
}

export interface RankedEntry {
  key: string;
  label: string;
  requests: number;
  quota: number;
}

export interface ChannelHealth {
  id: number;
  name: string;
  type: string;
  status: string;
  disabledReason: string | null;
  responseTimeMs: number | null;
  testedAt: string | null;
  /** Relay calls routed to the channel in the last 24 hours, and how many of them failed. */
  requests24h: number;
  errors24h: number;
  /** The newest failure in those 24 hours: what the upstream (or the relay) said, and when. */
  lastError: string | null;
  lastErrorAt: string | null;
}

export interface Overview {
  from: string;
  to: string;
  days: OverviewDay[];
  topModels: RankedEntry[];
  topUsers: RankedEntry[];
  channels: ChannelHealth[];
}

interface DayRow {
  day: unknown;
  requests: unknown;
  quota: unknown;
  errors: unknown;
  writeOffs: unknown;
  writeOffQuota: unknown;
}
interface RankRow {
  key: unknown;
  requests: unknown;
  quota: unknown;
}

export async function adminOverview(ctx: ServiceContext, q: { from: Date; to: Date; now?: Date }): Promise<Overview> {
  checkRange(q.from, q.to, true);
  const prisma = ctx.db.prisma;
  const where = Prisma.sql`"createdAt" >= ${q.from} AND "createdAt" < ${q.to} AND ${RELAY_TYPES}`;
  const day = utcDay(ctx.db.kind);
  const [dayRows, modelRows, userRows, channels] = await Promise.all([
    prisma.$queryRaw<DayRow[]>`SELECT ${day} AS "day", COUNT(*) AS "requests", COALESCE(SUM("quota"), 0) AS "quota",
        SUM(CASE WHEN "status" = 'error' THEN 1 ELSE 0 END) AS "errors",
        SUM(CASE WHEN "writeOff" > 0 THEN 1 ELSE 0 END) AS "writeOffs", COALESCE(SUM("writeOff"), 0) AS "writeOffQuota"
      FROM "UsageLog" WHERE ${where} GROUP BY 1`,
    prisma.$queryRaw<RankRow[]>`SELECT "model" AS "key", COUNT(*) AS "requests", COALESCE(SUM("quota"), 0) AS "quota"
      FROM "UsageLog" WHERE ${where} GROUP BY 1 ORDER BY 3 DESC, 2 DESC, 1 LIMIT ${TOP_N}`,
    prisma.$queryRaw<RankRow[]>`SELECT "userId" AS "key", COUNT(*) AS "requests", COALESCE(SUM("quota"), 0) AS "quota"
      FROM "UsageLog" WHERE ${where} GROUP BY 1 ORDER BY 3 DESC, 2 DESC, 1 LIMIT ${TOP_N}`,
    channelHealth(ctx, q.now),
  ]);

  const perDay = new Map(dayRows.map((r) => [String(r.day), r]));
  const days = daysOf(q.from, q.to).map((d) => {
    const r = perDay.get(d);
    return {
      day: d,
      requests: num(r?.requests),
      quota: num(r?.quota),
      errors: num(r?.errors),
      writeOffs: num(r?.writeOffs),
      writeOffQuota: num(r?.writeOffQuota),
    };
  });
  const userIds = userRows.map((r) => Number(r.key));
  const users = await prisma.user.findMany({ where: { id: { in: userIds } }, select: { id: true, username: true } });
  const names = new Map(users.map((u) => [u.id, u.username]));
  const rank = (r: RankRow, label: string) => ({ key: String(r.key ?? ''), label, requests: num(r.requests), quota: num(r.quota) });
  return {
    from: q.from.toISOString(),
    to: q.to.toISOString(),
    days,
    topModels: modelRows.map((r) => rank(r, String(r.key ?? '') || 'none')),
    topUsers: userRows.map((r) => rank(r, names.get(Number(r.key)) ?? `#${String(r.key)}`)),
    channels,
  };
}

/**
 * Every channel's state with its last 24 hours of relay traffic: calls, failures, and the newest failure's message.
 * The usage log has no (channelId, createdAt) index on purpose (it would cost every settle), so this reads the day's
 * rows through the createdAt index and groups them; the newest failure per channel is one more indexed lookup.
 */
export async function channelHealth(ctx: ServiceContext, now = new Date()): Promise<ChannelHealth[]> {
  const prisma = ctx.db.prisma;
  const since = new Date(now.getTime() - 86_400_000);
  const [traffic, channels] = await Promise.all([
    prisma.$queryRaw<{ key: unknown; requests: unknown; errors: unknown; lastErrorId: unknown }[]>`SELECT "channelId" AS "key",
        COUNT(*) AS "requests", SUM(CASE WHEN "status" = 'error' THEN 1 ELSE 0 END) AS "errors",
        MAX(CASE WHEN "status" = 'error' THEN "id" END) AS "lastErrorId"
      FROM "UsageLog" WHERE "createdAt" >= ${since} AND ${RELAY_TYPES} AND "channelId" IS NOT NULL GROUP BY 1`,
    prisma.channel.findMany({
      orderBy: { id: 'asc' },
      select: { id: true, name: true, type: true, status: true, disabledReason: true, responseTimeMs: true, testedAt: true },
    }),
  ]);
  const byChannel = new Map(traffic.map((r) => [Number(r.key), r]));
  const errorIds = traffic.map((r) => r.lastErrorId).filter((id) => id !== null && id !== undefined).map(Number);
  const errors = errorIds.length
    ? await prisma.usageLog.findMany({ where: { id: { in: errorIds } }, select: { channelId: true, content: true, detail: true, createdAt: true } })
    : [];
  const lastErrors = new Map(errors.map((e) => [e.channelId, e]));
  return channels.map((c) => ({
    ...c,
    testedAt: c.testedAt ? c.testedAt.toISOString() : null,
    requests24h: num(byChannel.get(c.id)?.requests),
    errors24h: num(byChannel.get(c.id)?.errors),
    lastError: lastErrors.get(c.id)?.detail || lastErrors.get(c.id)?.content || null, // what the upstream said, for admins
    lastErrorAt: lastErrors.get(c.id)?.createdAt.toISOString() ?? null,
  }));
}
