// Where Prometheus reads the metrics: GET /metrics on the main port with `Authorization: Bearer <METRICS_TOKEN>`, and/or
// a port of its own (METRICS_PORT, bound to METRICS_HOST, 127.0.0.1 by default) without a token. With neither
// configured the metrics are not exposed (the main port answers 404) and process metrics are not even collected.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { RelayError } from '../errors.js';
import { bearerFrom } from '../auth/secrets.js';

/** Starts collecting what only a scrape reads (process metrics, the database pool). */
function collect(ctx: AppContext): void {
  ctx.metrics.collectDefaults();
  if (ctx.db.kind === 'postgresql') ctx.metrics.watchPool(ctx.db.pool);
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export function installMetricsRoute(app: FastifyInstance, ctx: AppContext): void {
  const token = ctx.config.metricsToken;
  if (!token) return;
  collect(ctx);
  const expected = digest(token);
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    const given = bearerFrom(request.headers);
    // Compared as digests: constant time whatever the lengths.
    if (!given || !timingSafeEqual(digest(given), expected)) {
      throw new RelayError(given ? 'invalid_key' : 'missing_key', 'the metrics need Authorization: Bearer <METRICS_TOKEN>');
    }
    const body = await ctx.metrics.registry.metrics();
    return reply.header('content-type', ctx.metrics.registry.contentType).send(body);
  });
}

export interface MetricsServer {
  address: string;
  close(): Promise<void>;
}

export async function startMetricsServer(ctx: AppContext): Promise<MetricsServer | undefined> {
  const port = ctx.config.metricsPort;
  if (port === undefined) return undefined;
  collect(ctx);
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '/').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    ctx.metrics.registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': ctx.metrics.registry.contentType }).end(body),
      (err: unknown) => {
        ctx.log.error({ err }, 'metrics could not be collected');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics could not be collected\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, ctx.config.metricsHost, resolve);
  });
  const { address, port: bound } = server.address() as AddressInfo;
  return {
    address: `http://${address.includes(':') ? `[${address}]` : address}:${bound}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
