// The database being moved out of: one-api's or new-api's MySQL/MariaDB, PostgreSQL or SQLite, opened read-only and
// read inside one read-only transaction, so every table comes from the same snapshot and nothing is ever written.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export type Dialect = 'mysql' | 'postgresql' | 'sqlite';
export type Row = Record<string, unknown>;

export interface SourceDb {
  dialect: Dialect;
  /** Where it is, without credentials: "mysql 127.0.0.1:3306/oneapi". */
  label: string;
  tables(): Promise<Set<string>>;
  columns(table: string): Promise<Set<string>>;
  count(table: string, afterId?: number): Promise<number>;
  /** Rows in id order, `size` at a time (keyset paging: `id > last`). */
  batches(table: string, size: number, afterId?: number): AsyncGenerator<Row[]>;
  /** A small table without an id column (options). */
  all(table: string): Promise<Row[]>;
  close(): Promise<void>;
}

/** A problem with the arguments or the databases that stops the import before it writes anything (exit code 2). */
export class ImportUsageError extends Error {
  override name = 'ImportUsageError';
}

export interface SourceLocation {
  dialect: Dialect;
  /** mysql/postgresql: a connection URL; sqlite: an absolute file path. */
  target: string;
  label: string;
}

/**
 * Understands what operators have at hand: `mysql://user:pass@host:3306/db` (or `mariadb://`), one-api's own Go DSN
 * `user:pass@tcp(host:3306)/db?parseTime=true`, `postgres://…`, and for SQLite `sqlite:path`, `file:path` or a plain
 * path to the .db file (one-api's `SQLITE_PATH` may carry `?_busy_timeout=…`, which is dropped).
 */
export function parseSourceUrl(raw: string): SourceLocation {
  const text = raw.trim();
  if (!text) throw new ImportUsageError('--from needs a database URL');
  const goDsn = /^(?:([^:@/]*)(?::([^@]*))?@)?tcp\(([^)]+)\)\/([^?]*)(?:\?.*)?$/.exec(text);
  if (goDsn) {
    const [, user = '', password = '', hostPort = '', database = ''] = goDsn;
    const url = new URL(`mysql://${hostPort}/${database}`);
    // The URL setters leave "%" alone: encode, so that the driver's decoding gives the password back as written.
    url.username = encodeURIComponent(user);
    url.password = encodeURIComponent(password);
    return mysqlLocation(url);
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase();
  if (scheme === 'mysql' || scheme === 'mariadb') return mysqlLocation(parseUrl(text));
  if (scheme === 'postgres' || scheme === 'postgresql') {
    const url = parseUrl(text);
    return { dialect: 'postgresql', target: text, label: `postgresql ${url.host}${url.pathname}` };
  }
  if (scheme === 'sqlite' || scheme === 'file' || scheme === undefined || /^[a-z]:[\\/]/i.test(text)) {
    const path = resolve(text.replace(/^(sqlite|file):(\/\/)?/i, '').replace(/\?.*$/, ''));
    if (!existsSync(path)) throw new ImportUsageError(`the SQLite file ${path} does not exist`);
    return { dialect: 'sqlite', target: path, label: `sqlite ${path}` };
  }
  throw new ImportUsageError(`--from: unsupported database "${scheme}:"; use mysql://, postgres:// or a SQLite file`);
}

function parseUrl(text: string): URL {
  try {
    return new URL(text);
  } catch {
    throw new ImportUsageError('--from is not a valid database URL');
  }
}

function mysqlLocation(url: URL): SourceLocation {
  if (!url.pathname.replace(/^\//, '')) throw new ImportUsageError('--from: the MySQL URL names no database');
  return { dialect: 'mysql', target: url.toString(), label: `mysql ${url.host}${url.pathname}` };
}

/** Opens the source read-only and starts the snapshot. Connection failures become one-line ImportUsageErrors. */
export async function openSource(location: SourceLocation): Promise<SourceDb> {
  try {
    if (location.dialect === 'mysql') return await openMysql(location);
    if (location.dialect === 'postgresql') return await openPostgres(location);
    return await openSqlite(location);
  } catch (err) {
    if (err instanceof ImportUsageError) throw err;
    throw new ImportUsageError(`cannot open the source database (${location.label}): ${oneLine(err)}`);
  }
}

export function oneLine(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown };
  const message = typeof e?.message === 'string' && e.message ? e.message : String(err);
  const first = message.split('\n')[0]!.trim();
  return first || (typeof e?.code === 'string' ? e.code : 'unknown error');
}

/** Keyset paging shared by the SQL dialects: `q` quotes an identifier, `p(n)` writes the n-th placeholder. */
async function* pages(
  query: (sql: string, params: unknown[]) => Promise<Row[]>,
  q: (name: string) => string,
  p: (n: number) => string,
  table: string,
  size: number,
  afterId: number,
): AsyncGenerator<Row[]> {
  let last = afterId;
  for (;;) {
    const rows = await query(`SELECT * FROM ${q(table)} WHERE ${q('id')} > ${p(1)} ORDER BY ${q('id')} LIMIT ${p(2)}`, [last, size]);
    if (rows.length === 0) return;
    yield rows;
    last = Number(rows[rows.length - 1]!.id);
    if (rows.length < size) return;
  }
}

async function openMysql(location: SourceLocation): Promise<SourceDb> {
  const mysql = await import('mysql2/promise');
  const conn = await mysql.createConnection({
    uri: location.target,
    // BIGINT and DECIMAL as strings: quota columns must not pass through a float.
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    connectTimeout: 10_000,
  });
  await conn.query('SET SESSION TRANSACTION READ ONLY');
  await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
  const query = async (sql: string, params: unknown[]) => (await conn.query(sql, params))[0] as Row[];
  const q = (name: string) => `\`${name}\``;
  return {
    dialect: 'mysql',
    label: location.label,
    async tables() {
      const rows = await query('SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()', []);
      return new Set(rows.map((r) => String(r.name)));
    },
    async columns(table) {
      const rows = await query(
        'SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?',
        [table],
      );
      return new Set(rows.map((r) => String(r.name)));
    },
    async count(table, afterId = 0) {
      const rows = await query(`SELECT COUNT(*) AS n FROM ${q(table)} WHERE ${q('id')} > ?`, [afterId]);
      return Number(rows[0]!.n);
    },
    batches: (table, size, afterId = 0) => pages(query, q, () => '?', table, size, afterId),
    all: (table) => query(`SELECT * FROM ${q(table)}`, []),
    async close() {
      await conn.query('ROLLBACK').catch(() => {});
      await conn.end();
    },
  };
}

async function openPostgres(location: SourceLocation): Promise<SourceDb> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: location.target, connectionTimeoutMillis: 10_000 });
  client.on('error', () => {}); // surfaces on the next query
  await client.connect();
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  const query = async (sql: string, params: unknown[]) => (await client.query(sql, params)).rows as Row[];
  const q = (name: string) => `"${name}"`;
  return {
    dialect: 'postgresql',
    label: location.label,
    async tables() {
      const rows = await query('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()', []);
      return new Set(rows.map((r) => String(r.name)));
    },
    async columns(table) {
      const rows = await query(
        'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1',
        [table],
      );
      return new Set(rows.map((r) => String(r.name)));
    },
    async count(table, afterId = 0) {
      const rows = await query(`SELECT COUNT(*) AS n FROM ${q(table)} WHERE ${q('id')} > $1`, [afterId]);
      return Number(rows[0]!.n);
    },
    batches: (table, size, afterId = 0) => pages(query, q, (n) => `$${n}`, table, size, afterId),
    all: (table) => query(`SELECT * FROM ${q(table)}`, []),
    async close() {
      await client.query('ROLLBACK').catch(() => {});
      await client.end();
    },
  };
}

async function openSqlite(location: SourceLocation): Promise<SourceDb> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(location.target, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  db.exec('BEGIN');
  const query = async (sql: string, params: unknown[]) => db.prepare(sql).all(...params) as Row[];
  const q = (name: string) => `"${name}"`;
  return {
    dialect: 'sqlite',
    label: location.label,
    async tables() {
      const rows = await query("SELECT name FROM sqlite_master WHERE type = 'table'", []);
      return new Set(rows.map((r) => String(r.name)));
    },
    async columns(table) {
      const rows = await query(`PRAGMA table_info(${q(table)})`, []);
      return new Set(rows.map((r) => String(r.name)));
    },
    async count(table, afterId = 0) {
      const rows = await query(`SELECT COUNT(*) AS n FROM ${q(table)} WHERE ${q('id')} > ?`, [afterId]);
      return Number(rows[0]!.n);
    },
    batches: (table, size, afterId = 0) => pages(query, q, () => '?', table, size, afterId),
    all: (table) => query(`SELECT * FROM ${q(table)}`, []),
    async close() {
      if (db.inTransaction) db.exec('ROLLBACK');
      db.close();
    },
  };
}
