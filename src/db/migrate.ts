// Applies prisma/<provider>/migrations at start, keeping Prisma's own bookkeeping table (_prisma_migrations), so that
// `prisma migrate deploy` — where its engine binary exists — sees the same history. Idempotent: applied migrations are
// skipped by name; a changed file (checksum mismatch) or a failed earlier attempt stops the start with a clear error.
import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './client.js';

/** The repository's `prisma/` folder: two levels up from src/db/ when run from source, three from dist/src/db/. */
const migrationsRoot = findPrismaRoot(dirname(fileURLToPath(import.meta.url)));
/** The advisory lock id Prisma's engine takes while migrating PostgreSQL, so our runner and theirs exclude each other. */
const PRISMA_ADVISORY_LOCK = 72707369;

export class MigrationError extends Error {
  override name = 'MigrationError';
}

interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

function findPrismaRoot(from: string): string | undefined {
  for (let dir = from, i = 0; i < 5; dir = dirname(dir), i++) {
    if (existsSync(join(dir, 'prisma', 'schema.prisma'))) return join(dir, 'prisma');
  }
  return undefined;
}

function listMigrations(provider: 'sqlite' | 'postgresql'): Migration[] {
  // Starting without the migrations would leave an empty database that fails on every request: refuse instead.
  if (!migrationsRoot) throw new MigrationError('cannot find the prisma/ folder with the migrations next to the program');
  const dir = join(migrationsRoot, provider, 'migrations');
  if (!existsSync(dir)) throw new MigrationError(`no migrations for ${provider} in ${dir}`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: unknown;
  rolled_back_at: unknown;
}

function check(applied: AppliedRow[], all: Migration[]): Migration[] {
  const byName = new Map(applied.filter((r) => r.rolled_back_at === null).map((r) => [r.migration_name, r]));
  for (const row of byName.values()) {
    if (row.finished_at === null) {
      throw new MigrationError(
        `migration ${row.migration_name} failed earlier and was not rolled back; fix the database, then mark it rolled back`,
      );
    }
  }
  const pending: Migration[] = [];
  for (const m of all) {
    const row = byName.get(m.name);
    if (!row) pending.push(m);
    else if (row.checksum !== m.checksum) {
      throw new MigrationError(`migration ${m.name} was changed after it was applied (checksum mismatch)`);
    }
  }
  return pending;
}

/** Applies the pending migrations; `until` (tests of upgrades) stops after the migration of that name. */
export async function migrate(db: Db, opts: { until?: string } = {}): Promise<string[]> {
  return db.kind === 'sqlite' ? migrateSqlite(db, opts.until) : migratePostgres(db, opts.until);
}

function migrationsUpTo(provider: 'sqlite' | 'postgresql', until: string | undefined): Migration[] {
  const all = listMigrations(provider);
  if (until === undefined) return all;
  const last = all.findIndex((m) => m.name === until);
  if (last < 0) throw new MigrationError(`no migration named ${until}`);
  return all.slice(0, last + 1);
}

function migrateSqlite(db: Extract<Db, { kind: 'sqlite' }>, until: string | undefined): string[] {
  const s = db.sqlite;
  s.exec(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "finished_at" DATETIME, "migration_name" TEXT NOT NULL,
    "logs" TEXT, "rolled_back_at" DATETIME, "started_at" DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0)`);
  // BEGIN IMMEDIATE takes the write lock before reading, so two processes cannot both apply the same migration.
  const run = s.transaction(() => {
    const applied = s.prepare('SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"').all() as AppliedRow[];
    const pending = check(applied, migrationsUpTo('sqlite', until));
    for (const m of pending) {
      s.exec(m.sql);
      s.prepare(
        `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
         VALUES (?, ?, current_timestamp, ?, current_timestamp, 1)`,
      ).run(randomUUID(), m.checksum, m.name);
    }
    return pending.map((m) => m.name);
  });
  return run.immediate();
}

async function migratePostgres(db: Extract<Db, { kind: 'postgresql' }>, until: string | undefined): Promise<string[]> {
  const client = await db.pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`);
    const { rows } = await client.query<AppliedRow>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"',
    );
    const pending = check(rows, migrationsUpTo('postgresql', until));
    for (const m of pending) {
      // Each migration and its bookkeeping row commit together; PostgreSQL DDL is transactional.
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
           VALUES ($1, $2, now(), $3, now(), 1)`,
          [randomUUID(), m.checksum, m.name],
        );
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new MigrationError(`migration ${m.name} failed: ${(err as Error).message}`);
      }
    }
    return pending.map((m) => m.name);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK]).catch(() => {});
    client.release();
  }
}
