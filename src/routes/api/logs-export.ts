// GET /api/logs/export: the usage logs as a CSV download, with the same filters and scoping as GET /api/logs (users:
// their own rows; admins: everyone's, filterable), streamed row page by row page.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { logsCsv } from '../../services/log-export.js';
import type { AppContext } from '../../context.js';
import { errorResponses } from './schemas.js';
import { LogQuery } from './schemas-ops.js';
import { logFilter } from './logs.js';
import { accountOf, isAdmin } from '../../plugins/management-auth.js';

export const logExportRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (api, { ctx }) => {

  api.get(
    '/logs/export',
    {
      schema: {
        tags: ['logs'],
        summary: 'Usage logs as CSV (UTF-8 with BOM), newest first, with the filters of GET /api/logs; streamed',
        querystring: Type.Object(LogQuery.properties, { additionalProperties: false }),
        produces: ['text/csv'],
        response: {
          200: { description: 'CSV file', content: { 'text/csv': { schema: { type: 'string' } } } },
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      const filter = logFilter(request, request.query);
      const day = new Date().toISOString().slice(0, 10);
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="usage-logs-${day}.csv"`)
        .header('cache-control', 'no-store')
        .send(logsCsv(ctx, filter, isAdmin(accountOf(request))) as unknown as string); // a stream: fastify pipes it (the schema documents the text)
    },
  );
};
