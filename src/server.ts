// The process: read config, open and migrate the database, build the app, listen, start the bots and background jobs,
// and shut all of it down gracefully on SIGTERM/SIGINT. The only file that starts a process.
import closeWithGrace from 'close-with-grace';
import pino from 'pino';
import { Redis } from 'ioredis';
import { loadConfig, ConfigError } from './config.js';
import { openDb } from './db/client.js';
import { migrate, MigrationError } from './db/migrate.js';
import { createLocalBus, createRedisBus, type InvalidationBus } from './cache/bus.js';
import { OptionsStore } from './services/options.js';
import { bootstrap } from './bootstrap.js';
import { buildApp, REDACT_PATHS } from './app.js';
import type { AppContext } from './context.js';
import { RelayService } from './relay/service.js';
import { loadEncoding } from './billing/tokenizer.js';
import { startBots } from '../bots/index.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const log = pino({ level: config.logLevel, redact: { paths: REDACT_PATHS, censor: '[redacted]' } });

  const db = openDb(config.databaseUrl);
  try {
    const applied = await migrate(db);
    if (applied.length) log.info({ applied }, 'database migrated');
  } catch (err) {
    log.fatal({ err }, err instanceof MigrationError ? err.message : 'could not open the database');
    process.exit(1);
  }

  const redisConnections: Redis[] = [];
  let bus: InvalidationBus = createLocalBus();
  if (config.redisUrl) {
    const publisher = new Redis(config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 });
    const subscriber = new Redis(config.redisUrl, { lazyConnect: false });
    redisConnections.push(publisher, subscriber);
    bus = await createRedisBus(publisher, subscriber);
  }

  const options = new OptionsStore(db, bus);
  await options.load();
  const ctx: AppContext = { config, db, bus, options, log };

  const boot = await bootstrap(db, config.adminKey);
  const relay = new RelayService(ctx);
  const app = await buildApp(ctx, { relay });
  const bots = startBots(ctx, relay, app);
  await relay.startBackground();
  // Load the tokenizer's rank table now rather than on the first request (≈0.5 s).
  loadEncoding('o200k_base');

  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an error');
    else log.info({ signal }, 'shutting down');
    await bots.stop();
    await app.close(); // stops accepting, lets in-flight requests settle their quota
    await relay.close();
    await bus.close();
    for (const r of redisConnections) r.disconnect();
    await db.close();
  });

  const address = await app.listen({ port: config.port, host: config.host });
  if (bots.platforms.length) log.info({ platforms: bots.platforms }, 'chat bots starting');
  if (boot.createdRootKey) {
    // Printed to stdout once, outside the structured log, so it does not end up in log aggregation by accident.
    process.stdout.write(
      `\n  relay-station is ready at ${address}\n` +
        `  Admin (root) management key — shown only this once, store it now:\n\n    ${boot.createdRootKey}\n\n` +
        (boot.createdRootPassword ? `  Root login: username "root", password "${boot.createdRootPassword}"\n\n` : ''),
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
