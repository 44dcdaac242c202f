// Test contexts on a real database: a fresh SQLite file, or a fresh PostgreSQL database created for the test file and
// dropped afterwards. Every suite that touches data runs on both (see `dbKinds`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { loadConfig, type Config } from '../../src/config.js';
import { openDb, type Db } from '../../src/db/client.js';
import type { RateLimitStore } from '../../src/rate-limit/store.js';
import { migrate } from '../../src/db/migrate.js';
import { prepareChannelKeys } from '../../src/db/channel-keys-start.js';
import { createLocalBus, type InvalidationBus } from '../../src/cache/bus.js';
import { OptionsStore } from '../../src/services/options.js';
import { createGuessLimiters } from '../../src/services/auth.js';
import { MemoryRateLimitStore } from '../../src/rate-limit/memory-store.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { bootstrap } from '../../src/bootstrap.js';
import { buildApp } from '../../src/app.js';
import type { AppContext } from '../../src/context.js';
import type { FastifyInstance } from 'fastify';
import { RelayService } from '../../src/relay/service.js';

export type DbKind = 'sqlite' | 'postgresql';

/** Where the test databases are created. The machine's PostgreSQL: trust auth, user postgres, database test. */
export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
export const TEST_ADMIN_KEY = 'rsm-test-admin-key-0123456789abcdef';
/** The master key of the channel keys in tests (never a key file in the working directory). */
export const TEST_SECRET_KEY = Buffer.alloc(32, 7).toString('base64');

/** Every data suite runs on both databases (.ci/run starts PostgreSQL where it is down). */
export const dbKinds: DbKind[] = ['sqlite', 'postgresql'];

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(kind: DbKind): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'relay-test-'));
    return { url: `file:${join(dir, 'relay.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `relay_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface TestContext extends AppContext {
  bus: InvalidationBus;
  /** Close everything and drop the database. */
  cleanup(): Promise<void>;
}

/** What an instance shares with others (tests of several instances on one database): its bus and its limit counters. */
export interface InstanceParts {
  bus?: (db: Db, config: Config) => Promise<InvalidationBus>;
  rateLimits?: RateLimitStore;
}

export async function createTestContext(
  kind: DbKind,
  env: Record<string, string> = {},
  database?: TestDatabase,
  parts: InstanceParts = {},
): Promise<TestContext> {
  const testDb = database ?? (await createTestDatabase(kind));
  const config: Config = loadConfig({
    RELAY_ADMIN_KEY: TEST_ADMIN_KEY,
    RELAY_SECRET_KEY: TEST_SECRET_KEY,
    LOG_LEVEL: 'silent',
    ...env,
    DATABASE_URL: testDb.url,
  });
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const db = await openDb(config.databaseUrl);
  await migrate(db);
  const secrets = await prepareChannelKeys(config, db, log);
  await bootstrap(db, config.adminKey);
  const bus = parts.bus ? await parts.bus(db, config) : createLocalBus();
  const options = new OptionsStore(db, bus);
  await options.load();
  const rateLimits = parts.rateLimits ?? new MemoryRateLimitStore();
  return {
    config,
    db,
    bus,
    options,
    log,
    secrets,
    guesses: createGuessLimiters(rateLimits),
    rateLimits,
    metrics: new Metrics(),
    async cleanup() {
      await bus.close();
      await db.close();
      if (!database) await testDb.drop();
    },
  };
}

export interface TestApp {
  app: FastifyInstance;
  relay: RelayService;
  ctx: TestContext;
  adminKey: string;
  /** Authorization header for the root's management key. */
  admin: { authorization: string };
  close(): Promise<void>;
}

export async function createTestApp(
  kind: DbKind,
  env: Record<string, string> = {},
  opts: ConstructorParameters<typeof RelayService>[1] = {},
  /** Another instance on this database (the caller drops it), with these shared parts. */
  shared?: { database: TestDatabase } & InstanceParts,
): Promise<TestApp> {
  const ctx = await createTestContext(kind, env, shared?.database, shared);
  const relay = new RelayService(ctx, opts);
  const app = await buildApp(ctx, { relay });
  app.addHook('onClose', () => relay.close());
  await app.ready();
  return {
    app,
    relay,
    ctx,
    adminKey: TEST_ADMIN_KEY,
    admin: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
    async close() {
      await app.close();
      await ctx.cleanup();
    },
  };
}
