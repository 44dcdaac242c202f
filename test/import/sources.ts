// Source databases for the import tests: a fresh MySQL/MariaDB database, PostgreSQL database or SQLite file per test,
// created from the one-api / new-api DDL (schemas.ts), filled with rows, and dropped afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { Dialect } from '../../src/import/source.js';
import type { Variant } from '../../src/import/rows.js';
import { createTestDatabase } from '../helpers/context.js';
import { ddl, quoteIdent, SCHEMAS } from './schemas.js';

/** The machine's MariaDB: root without a password (override with TEST_MYSQL_URL). */
export const MYSQL_ADMIN_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';

export type Rows = Record<string, Record<string, unknown>[]>;

export interface SourceDatabase {
  dialect: Dialect;
  /** What an operator would pass to --from. */
  url: string;
  insert(rows: Rows): Promise<void>;
  /** Every row of every table, for "the import changed nothing" checks. */
  snapshot(): Promise<string>;
  drop(): Promise<void>;
}

interface Conn {
  run(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

async function connect(dialect: Dialect, url: string): Promise<Conn> {
  if (dialect === 'mysql') {
    const conn = await mysql.createConnection({ uri: url, supportBigNumbers: true, bigNumberStrings: true, dateStrings: true });
    return { run: async (sql, params = []) => (await conn.query(sql, params))[0] as Record<string, unknown>[], close: () => conn.end() };
  }
  if (dialect === 'postgresql') {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return { run: async (sql, params = []) => (await client.query(sql, params)).rows, close: () => client.end() };
  }
  const db = new Database(url);
  return {
    run: async (sql, params = []) => {
      const stmt = db.prepare(sql);
      if (stmt.reader) return stmt.all(...params) as Record<string, unknown>[];
      stmt.run(...params);
      return [];
    },
    close: async () => void db.close(),
  };
}

function value(dialect: Dialect, v: unknown): unknown {
  if (typeof v === 'boolean' && dialect !== 'postgresql') return v ? 1 : 0;
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return dialect === 'mysql' ? v.toISOString().replace('T', ' ').replace('Z', '') : v.toISOString();
  return v;
}

export async function createSourceDatabase(dialect: Dialect, variant: Variant): Promise<SourceDatabase> {
  let url: string;
  let dropDatabase: () => Promise<void>;
  if (dialect === 'mysql') {
    const name = `relay_import_${randomBytes(5).toString('hex')}`;
    const admin = await connect('mysql', MYSQL_ADMIN_URL);
    await admin.run(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
    await admin.close();
    url = `${MYSQL_ADMIN_URL}/${name}`;
    dropDatabase = async () => {
      const c = await connect('mysql', MYSQL_ADMIN_URL);
      await c.run(`DROP DATABASE IF EXISTS ${name}`);
      await c.close();
    };
  } else if (dialect === 'postgresql') {
    const db = await createTestDatabase('postgresql');
    url = db.url;
    dropDatabase = db.drop;
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'relay-import-src-'));
    url = join(dir, `${variant}.db`);
    dropDatabase = async () => rmSync(dir, { recursive: true, force: true });
  }
  const conn = await connect(dialect, url);
  try {
    for (const statement of ddl(variant, dialect)) await conn.run(statement);
  } finally {
    await conn.close();
  }
  const q = (name: string) => quoteIdent(dialect, name);
  return {
    dialect,
    url,
    async insert(rows) {
      const c = await connect(dialect, url);
      try {
        for (const [table, list] of Object.entries(rows)) {
          for (const row of list) {
            const cols = Object.keys(row);
            const marks = cols.map((_, i) => (dialect === 'postgresql' ? `$${i + 1}` : '?'));
            await c.run(
              `INSERT INTO ${q(table)} (${cols.map(q).join(',')}) VALUES (${marks.join(',')})`,
              cols.map((col) => value(dialect, row[col])),
            );
          }
        }
        // PostgreSQL sequences do not advance for explicit ids.
        if (dialect === 'postgresql') {
          for (const table of Object.keys(rows)) {
            if (SCHEMAS[variant][table]?.some((col) => col.go === 'pk')) {
              await c.run(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), (SELECT MAX(id) FROM ${q(table)}))`);
            }
          }
        }
      } finally {
        await c.close();
      }
    },
    async snapshot() {
      const c = await connect(dialect, url);
      try {
        const out: Record<string, unknown> = {};
        for (const [table, columns] of Object.entries(SCHEMAS[variant])) {
          out[table] = await c.run(`SELECT * FROM ${q(table)} ORDER BY ${columns.map((col) => q(col.name)).slice(0, 3).join(',')}`);
        }
        return JSON.stringify(out, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
      } finally {
        await c.close();
      }
    },
    drop: dropDatabase,
  };
}
