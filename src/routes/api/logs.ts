// Usage logs and usage statistics. Users see only their own; admins see everyone's and may filter by user.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { RelayError } from '../../errors.js';
import { accountOf, isAdmin } from '../../plugins/management-auth.js';
import { assertMayRead } from '../../services/permissions.js';
import { Page, Pagination, Query, errorResponses } from './schemas.js';
import { LogQuery, StatsQuery, StatsResponse, UsageLog } from './schemas-ops.js';
import { DEFAULT_STATS_DAYS, listLogs, parseQueryTime, usageStats, type LogFilter } from '../../services/logs.js';
import { pageArgs } from '../../services/service-utils.js';
import type { AppContext } from '../../context.js';
import type { RelayService } from '../../relay/service.js';
import { healthOfChannels } from '../../services/channels.js';

const tags = ['logs'];

/**
 * Whose data the caller may read: admins anyone's (or everyone's, when no userId is given); a user only their own,
 * and asking for another user's is refused rather than silently narrowed.
 */
function scopedUserId(request: FastifyRequest, asked: number | undefined): number | undefined {
  const account = accountOf(request);
  if (asked !== undefined) assertMayRead(account, asked, 'usage');
  return isAdmin(account) ? asked : account.id;
}

/** The list's filters from its query string, scoped to what the caller may read (shared with the CSV export). */
export function logFilter(request: FastifyRequest, query: Static<typeof LogQuery>): LogFilter {
  const { from, to, userId, ...exact } = query;
  return { ...exact, userId: scopedUserId(request, userId), from: parseQueryTime(from, 'from'), to: parseQueryTime(to, 'to') };
}

export async function logRoutes(instance: FastifyInstance, opts: { ctx: AppContext; relay?: Pick<RelayService, 'health'> }): Promise<void> {
  const { ctx } = opts;
  const api = instance.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/logs',
    {
      schema: {
        tags,
        summary: 'Usage logs, newest first (users: their own; admins: everyone, filterable)',
        querystring: Query({ ...Pagination.properties, ...LogQuery.properties }),
        response: { 200: Page(UsageLog), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { page, pageSize, ...query } = request.query;
      return listLogs(ctx, logFilter(request, query), pageArgs({ page, pageSize }), isAdmin(accountOf(request)));
    },
  );

  api.get(
    '/stats',
    {
      schema: {
        tags,
        summary: 'Relay usage totals grouped by UTC day, model, token, channel or source',
        querystring: StatsQuery,
        response: { 200: StatsResponse, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const query = request.query;
      const to = parseQueryTime(query.to, 'to') ?? new Date();
      const from = parseQueryTime(query.from, 'from') ?? new Date(to.getTime() - DEFAULT_STATS_DAYS * 86_400_000);
      const admin = isAdmin(accountOf(request));
      const stats = await usageStats(ctx, { by: query.by ?? 'day', userId: scopedUserId(request, query.userId), from, to, channelNames: admin });
      if (stats.by !== 'channel' || !admin) return stats;
      // Admins see each channel's health now beside its usage (channels since deleted: null).
      const ids = stats.items.map((i) => Number(i.key)).filter((id) => Number.isInteger(id));
      const health = await healthOfChannels(ctx, ids, opts.relay?.health);
      return { ...stats, items: stats.items.map((i) => ({ ...i, health: health.get(Number(i.key)) ?? null })) };
    },
  );
}
