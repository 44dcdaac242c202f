// The HTTP application: plugins, error handling, then the two route trees (/api management, /v1 relay).
// Building it does no I/O beyond what the context already opened, so tests build it and use inject() or listen(0).
import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { installErrorHandlers } from './plugins/error-handler.js';
import { apiRoutes } from './routes/api/index.js';
import { relayRoutes } from './routes/v1/index.js';
import { RelayService } from './relay/service.js';
import { PaymentService } from './payments/service.js';
import type { AppContext } from './context.js';

export interface BuildOptions {
  /** The relay (shared with the bots); built here when not given. */
  relay?: RelayService;
  /** Payments (shared with the bots); built here when not given. */
  payments?: PaymentService;
  /** pino options; false in tests that do not care about logs. */
  logger?: boolean | Record<string, unknown>;
}

/** Headers that carry secrets; pino replaces them before anything is written. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["x-goog-api-key"]',
  'req.headers["x-telegram-bot-api-secret-token"]',
  'req.headers.cookie',
];

export async function buildApp(ctx: AppContext, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: opts.logger === undefined ? ctx.log : undefined,
    logger: opts.logger === undefined ? undefined : opts.logger,
    bodyLimit: ctx.config.bodyLimitBytes,
    trustProxy: ctx.config.trustProxy,
    // The relay streams for minutes; per-route timeouts live on upstream calls, not on the socket.
    requestTimeout: 0,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  installErrorHandlers(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'relay-station management API', version: '0.1.0' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });

  app.get('/healthz', { schema: { hide: true } }, async (_request, reply) => {
    try {
      if (ctx.db.kind === 'sqlite') ctx.db.sqlite.prepare('SELECT 1').get();
      else await ctx.db.pool.query('SELECT 1');
      return { status: 'ok', database: ctx.db.kind };
    } catch (err) {
      return reply.status(503).send({ status: 'unavailable', database: ctx.db.kind, error: (err as Error).message });
    }
  });

  const relay = opts.relay ?? new RelayService(ctx);
  if (!opts.relay) app.addHook('onClose', () => relay.close());
  const payments = opts.payments ?? new PaymentService(ctx);
  await app.register(apiRoutes, { prefix: '/api', ctx, relay, payments });
  await app.register(relayRoutes, { relay });
  return app;
}
