// Assembles the running service from a config: database (migrated), invalidation bus, options, root account, relay,
// HTTP app, chat bots and background jobs, listening. server.ts calls it for the real process; the benchmark calls it so
// that it measures exactly what production runs. `close()` shuts everything down in the order that loses no charge.
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import { openDb, type Db } from './db/client.js';
import { migrate } from './db/migrate.js';
import { prepareChannelKeys } from './db/channel-keys-start.js';
import { createLocalBus, createRedisBus, type InvalidationBus } from './cache/bus.js';
import { createPgBus } from './cache/pg-bus.js';
import { OptionsStore } from './services/options.js';
import { bootstrap, type BootstrapResult } from './bootstrap.js';
import { buildApp, REDACT_PATHS } from './app.js';
import { LOG_SERIALIZERS } from './auth/redact.js';
import type { AppContext } from './context.js';
import { createGuessLimiters } from './services/auth.js';
import { MemoryRateLimitStore } from './rate-limit/memory-store.js';
import { RedisRateLimitStore } from './rate-limit/redis-store.js';
import { Metrics } from './metrics/metrics.js';
import { startMetricsServer } from './metrics/serve.js';
import { RelayService } from './relay/service.js';
import { PaymentService } from './payments/service.js';
import { startBots, type RunningBots } from '../bots/index.js';

export interface RelayStation {
  ctx: AppContext;
  app: FastifyInstance;
  relay: RelayService;
  bots: RunningBots;
  /** What bootstrap created (the root key on the first start: print it once). */
  boot: BootstrapResult;
  /** The listening address, e.g. http://127.0.0.1:3000. */
  address: string;
  close(): Promise<void>;
}

export function createLogger(config: Config): pino.Logger {
  // Header paths are censored outright; errors logged anywhere (relay, bots) have key-shaped text scrubbed.
  return pino({ level: config.logLevel, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, serializers: { err: LOG_SERIALIZERS.err } });
}

/**
 * Throws MigrationError when the database cannot be migrated, SecretKeyError when the master key of the channel keys
 * is missing or wrong (the caller reports either and exits).
 */
export async function startRelayStation(config: Config, log = createLogger(config)): Promise<RelayStation> {
  const db: Db = await openDb(config.databaseUrl);
  const closeOnError = async (err: unknown): Promise<never> => {
    await db.close();
    throw err;
  };
  const applied = await migrate(db).catch(closeOnError);
  if (applied.length) log.info({ applied }, 'database migrated');
  const secrets = await prepareChannelKeys(config, db, log).catch(closeOnError);

  const redisConnections: Redis[] = [];
  let bus: InvalidationBus = createLocalBus();
  if (config.redisUrl) {
    // Loaded only when configured: a SQLite relay has no use for the client's memory.
    const { Redis } = await import('ioredis');
    const publisher = new Redis(config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 });
    const subscriber = new Redis(config.redisUrl, { lazyConnect: false });
    redisConnections.push(publisher, subscriber);
    bus = await createRedisBus(publisher, subscriber);
  } else if (db.kind === 'postgresql') {
    bus = await createPgBus(config.databaseUrl, db.pool, log).catch(closeOnError);
  }

  const options = new OptionsStore(db, bus);
  await options.load();
  const rateLimits = redisConnections[0] ? new RedisRateLimitStore(redisConnections[0]) : new MemoryRateLimitStore();
  const ctx: AppContext = { config, db, bus, options, log, secrets, guesses: createGuessLimiters(rateLimits), rateLimits, metrics: new Metrics() };

  const boot = await bootstrap(db, config.adminKey);
  const relay = new RelayService(ctx);
  const payments = new PaymentService(ctx);
  const app = await buildApp(ctx, { relay, payments });
  const bots = await startBots(ctx, relay, app, payments);
  await relay.startBackground();
  payments.start();
  // The tokenizer's rank tables are not loaded here: a chat call from a balance far above its cost is reserved on a byte
  // bound and billed on the upstream's usage, so a table (~15 MB resident, ~0.3 s to load) is read at its first exact
  // count (a balance near its end, images, other endpoints, an upstream that reports no usage).

  const address = await app.listen({ port: config.port, host: config.host });
  const metricsServer = await startMetricsServer(ctx);
  if (metricsServer) log.info({ address: metricsServer.address }, 'metrics served');
  if (bots.platforms.length) log.info({ platforms: bots.platforms }, 'chat bots starting');
  if (config.trustProxy === true) {
    log.warn('TRUST_PROXY=true believes X-Forwarded-For from every client; list your proxies instead (docs/api.md#client-address)');
  }

  return {
    ctx,
    app,
    relay,
    bots,
    boot,
    address,
    async close() {
      await bots.stop();
      await app.close(); // stops accepting, lets in-flight requests settle their quota
      await metricsServer?.close();
      await relay.close();
      payments.close();
      await bus.close();
      for (const r of redisConnections) r.disconnect();
      await db.close();
    },
  };
}
