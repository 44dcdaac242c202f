// The HTTP application: plugins, error handling, the two route trees (/api management, /v1 relay) and the web console at /.
// Building it does no I/O beyond what the context already opened, so tests build it and use inject() or listen(0).
import Fastify, { type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { installErrorHandlers, type NotFoundFallback } from './plugins/error-handler.js';
import { registerConsole } from './plugins/console.js';
import { installJsonBodyParser } from './plugins/json-body.js';
import { installQueryRules } from './plugins/query-rules.js';
import { installOpenApi } from './plugins/openapi.js';
import { LOG_SERIALIZERS } from './auth/redact.js';
import { buildLazySerializer } from './plugins/lazy-serializers.js';
import { fastifyTrustProxy } from './config.js';
import { apiRoutes } from './routes/api/index.js';
import { relayRoutes } from './routes/v1/index.js';
import { RelayService } from './relay/service.js';
import { PaymentService } from './payments/service.js';
import type { AppContext } from './context.js';
import { query, sqlGet } from './db/sql.js';
import { installMetricsRoute } from './metrics/serve.js';

const SELECT_ONE = query('SELECT 1 AS "one"', (r) => r.int('one'));

export interface BuildOptions {
  /** The relay (shared with the bots); built here when not given. */
  relay?: RelayService;
  /** Payments (shared with the bots); built here when not given. */
  payments?: PaymentService;
  /** pino options; false in tests that do not care about logs. */
  logger?: boolean | Record<string, unknown>;
  /** Where the built web console is (default: dist/web of this package). */
  consoleDir?: string;
}

/** Headers that carry secrets; pino replaces them before anything is written. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["x-goog-api-key"]',
  'req.headers["x-telegram-bot-api-secret-token"]',
  'req.headers.cookie',
];

/** How request schemas are checked: as written (no coercion, nothing removed), stopping at the first error. */
const AJV_OPTIONS = { removeAdditional: false, coerceTypes: false, allErrors: false };

export async function buildApp(ctx: AppContext, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    // Every request log line goes through LOG_SERIALIZERS: URLs with `?key=…` and key-shaped text are redacted.
    loggerInstance: opts.logger === undefined ? ctx.log.child({}, { serializers: LOG_SERIALIZERS }) : undefined,
    logger: opts.logger === undefined || opts.logger === false ? opts.logger : { ...(opts.logger === true ? {} : opts.logger), serializers: LOG_SERIALIZERS },
    bodyLimit: ctx.config.bodyLimitBytes,
    trustProxy: fastifyTrustProxy(ctx.config.trustProxy),
    // The relay streams for minutes; per-route timeouts live on upstream calls, not on the socket.
    requestTimeout: 0,
    ajv: { customOptions: AJV_OPTIONS },
    schemaController: { compilersFactory: { buildSerializer: buildLazySerializer } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // The console registers its SPA fallback after the routes exist; the 404 handler asks it first.
  let fallback: NotFoundFallback = () => false;
  installErrorHandlers(app, () => fallback);
  installJsonBodyParser(app);
  installQueryRules(app);

  await installOpenApi(app);

  app.get('/healthz', async (request, reply) => {
    try {
      await sqlGet(ctx.db.sql, SELECT_ONE);
      return { status: 'ok', database: ctx.db.kind };
    } catch (err) {
      // The reason goes to the log only: a public endpoint must not say where the database lives or who logs in to it.
      request.log.error({ err }, 'health check: the database is unavailable');
      return reply.status(503).send({ status: 'unavailable', database: ctx.db.kind });
    }
  });

  installMetricsRoute(app, ctx);

  const relay = opts.relay ?? new RelayService(ctx);
  if (!opts.relay) app.addHook('onClose', () => relay.close());
  const payments = opts.payments ?? new PaymentService(ctx);
  await app.register(apiRoutes, { prefix: '/api', ctx, relay, payments });
  await app.register(relayRoutes, {
    relay,
    direct: { bodyLimit: ctx.config.bodyLimitBytes, trustProxy: fastifyTrustProxy(ctx.config.trustProxy), ajvOptions: AJV_OPTIONS },
  });
  fallback = (await registerConsole(app, opts.consoleDir)).fallback;
  return app;
}
