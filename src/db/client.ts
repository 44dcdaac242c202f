// One factory picks the database by the URL scheme. Both generated clients have the same models; TypeScript sees them as
// different types, so the PostgreSQL one is cast to the SQLite one's type here, in this single place. Only the chosen
// database's client and driver are loaded: each Prisma client carries its own query compiler (megabytes of WebAssembly).
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type Database from 'better-sqlite3';
import type pg from 'pg';
import type { PrismaClient as SqlitePrismaClient } from '../generated/sqlite/client.js';
import { PgSql, SqliteSql } from './sql.js';

export type Prisma = SqlitePrismaClient;
export type { Prisma as PrismaNamespace } from '../generated/sqlite/client.js';

/**
 * The hot path (auth cache misses, reserve, settle, the usage log) talks to the database through `sql`, the typed
 * layer over the raw driver (src/db/sql.ts): Prisma costs 5–10× more per query, which the relay's latency budget
 * cannot afford. Management routes use Prisma. The raw handles are for the migration runner and test tooling.
 */
export type Db =
  | { kind: 'sqlite'; prisma: Prisma; sql: SqliteSql; sqlite: Database.Database; close(): Promise<void> }
  | { kind: 'postgresql'; prisma: Prisma; sql: PgSql; pool: pg.Pool; close(): Promise<void> };

/**
 * Each SQLite connection's page cache, in SQLite's notation (negative: KiB): SQLite's own default, 2 MB. better-sqlite3
 * builds SQLite with 16 MB, which the relay's connection filled with usage-log pages it only ever appends to: ~18 MB
 * of RSS after the bench's load for no speed (docs/performance.md). The OS caches the file too.
 */
const SQLITE_CACHE = -2000;

export function sqlitePath(databaseUrl: string): string {
  return resolve(databaseUrl.replace(/^file:/, ''));
}

export async function openDb(databaseUrl: string): Promise<Db> {
  if (databaseUrl.startsWith('file:')) {
    const [{ default: Database }, { PrismaBetterSqlite3 }, { PrismaClient: SqlitePrismaClient }] = await Promise.all([
      import('better-sqlite3'),
      import('@prisma/adapter-better-sqlite3'),
      import('../generated/sqlite/client.js'),
    ]);
    const path = sqlitePath(databaseUrl);
    mkdirSync(dirname(path), { recursive: true });
    const sqlite = new Database(path);
    // WAL lets readers run beside the single writer; NORMAL sync is durable across process crashes (not power loss).
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma(`cache_size = ${SQLITE_CACHE}`);
    const prisma = new SqlitePrismaClient({ adapter: new PrismaBetterSqlite3({ url: `file:${path}`, timeout: 5000 }) });
    await prisma.$queryRawUnsafe(`PRAGMA cache_size = ${SQLITE_CACHE}`); // the adapter's own connection
    return {
      kind: 'sqlite',
      prisma,
      sql: new SqliteSql(sqlite),
      sqlite,
      async close() {
        await prisma.$disconnect();
        sqlite.close();
      },
    };
  }
  const [{ default: pg }, { PrismaPg }, { PrismaClient: PgPrismaClient }] = await Promise.all([
    import('pg'),
    import('@prisma/adapter-pg'),
    import('../generated/postgresql/client.js'),
  ]);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 20 });
  // BIGINT (int8) arrives as a string by default; quota fits in a JS number (2^53 units = 18 billion USD).
  pool.on('error', () => {}); // idle-client errors surface on the next query instead of crashing the process
  const prisma = new PgPrismaClient({ adapter: new PrismaPg(pool) }) as unknown as Prisma;
  return {
    kind: 'postgresql',
    prisma,
    sql: new PgSql(pool),
    pool,
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}
