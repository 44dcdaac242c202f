// The console's chart data: GET /api/usage/series (the caller's usage per day and model; admins may ask for one user or
// everyone) and GET /api/admin/overview (admin: traffic, errors and write-offs per day, top models and users, channel
// health), GET /api/channel-health (admin: the channel part alone, for the channel list). Read-only; the queries are
// in src/services/insights.ts.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { RelayError } from '../../errors.js';
import { accountOf, isAdmin } from '../../plugins/management-auth.js';
import { DEFAULT_STATS_DAYS, parseQueryTime } from '../../services/logs.js';
import { adminOverview, channelHealth, usageSeries } from '../../services/insights.js';
import type { AppContext } from '../../context.js';
import type { RelayService } from '../../relay/service.js';
import { Id, NoQuery, Query, errorResponses } from './schemas.js';

const QueryTime = (what: string) =>
  Type.Optional(Type.String({ description: `${what}: ISO 8601 time (e.g. 2026-01-31T00:00:00Z) or UTC date (2026-01-31)` }));
const Range = {
  from: QueryTime(`inclusive start; default ${DEFAULT_STATS_DAYS} days before \`to\``),
  to: QueryTime('exclusive end; default now'),
};

const Int = Type.Integer({ minimum: 0 });
const Numbers = Type.Array(Int, { description: 'one value per entry of `days`' });

const UsageSeries = Type.Object({
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  days: Type.Array(Type.String({ description: 'UTC day, YYYY-MM-DD' })),
  models: Type.Array(Type.Object({ model: Type.String({ description: 'a model, or "other" for the rest' }), requests: Numbers, quota: Numbers })),
  total: Type.Object({ requests: Int, quota: Int, promptTokens: Int, completionTokens: Int }),
});

const ChannelHealth = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  type: Type.String(),
  status: Type.String(),
  disabledReason: Type.Union([Type.String(), Type.Null()]),
  responseTimeMs: Type.Union([Type.Integer(), Type.Null()]),
  testedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  requests24h: Type.Integer({ minimum: 0, description: 'relay calls routed to the channel in the last 24 hours' }),
  errors24h: Type.Integer({ minimum: 0, description: 'of those, the failed ones' }),
  lastError: Type.Union([Type.String(), Type.Null()], { description: 'the newest failure of the last 24 hours' }),
  lastErrorAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

const Ranked = Type.Object({ key: Type.String(), label: Type.String(), requests: Int, quota: Int });

const Overview = Type.Object({
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  days: Type.Array(
    Type.Object({
      day: Type.String(),
      requests: Int,
      quota: Int,
      errors: Int,
      writeOffs: Type.Integer({ minimum: 0, description: 'calls whose cost exceeded the balance (the rest not charged)' }),
      writeOffQuota: Type.Integer({ minimum: 0, description: 'units those calls could not be charged (the usage log writeOff column)' }),
    }),
  ),
  topModels: Type.Array(Ranked),
  topUsers: Type.Array(Ranked, { description: 'key = user id, label = username' }),
  channels: Type.Array(ChannelHealth),
});

function range(query: { from?: string; to?: string }): { from: Date; to: Date } {
  const to = parseQueryTime(query.to, 'to') ?? new Date();
  const from = parseQueryTime(query.from, 'from') ?? new Date(to.getTime() - DEFAULT_STATS_DAYS * 86_400_000);
  return { from, to };
}

export const insightRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext; relay: RelayService }> = async (api, { ctx }) => {

  api.get(
    '/usage/series',
    {
      schema: {
        tags: ['logs'],
        summary: 'Relay usage per UTC day and model (the biggest models, the rest as "other"); own, or admins: ?userId= / everyone (?all=true)',
        querystring: Query({
          ...Range,
          userId: Type.Optional(Id({ description: "admins: one user's usage" })),
          all: Type.Optional(Type.Boolean({ description: "admins: everyone's usage" })),
        }),
        response: { 200: UsageSeries, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const account = accountOf(request);
      const { userId, all } = request.query;
      if (!isAdmin(account) && ((userId !== undefined && userId !== account.id) || all)) {
        throw new RelayError('forbidden', 'you can only read your own usage', 403, { param: all ? 'all' : 'userId' });
      }
      if (all && userId !== undefined) throw new RelayError('invalid_request', 'give userId or all, not both', 400, { param: 'all' });
      return usageSeries(ctx, { ...range(request.query), userId: all ? undefined : (userId ?? account.id) });
    },
  );

  api.get(
    '/admin/overview',
    {
      config: { admin: true },
      schema: {
        tags: ['logs'],
        summary: 'Admin overview: requests, quota, errors and write-offs per UTC day; top models and users; channel health',
        querystring: Query(Range),
        response: { 200: Overview, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => adminOverview(ctx, range(request.query)),
  );
  api.get(
    '/channel-health',
    {
      config: { admin: true },
      schema: {
        tags: ['channels'],
        summary: 'Every channel with its last 24 hours of traffic, failures and newest failure message',
        querystring: NoQuery,
        response: { 200: Type.Object({ items: Type.Array(ChannelHealth) }), ...errorResponses(400, 401, 403) },
      },
    },
    async () => ({ items: await channelHealth(ctx) }),
  );
};
