// The hot path's SQL (token lookup, ledger reserve/settle/sweep, usage-log insert), one small typed layer over both
// drivers; Prisma keeps the schema, the migrations and the management queries.
//
// - A statement is written once, with `?` placeholders and `{now}` for the current UTC time as Prisma stores it; each
//   driver gets its own rendering ($1…$n for node-postgres).
// - A query that reads rows names a decoder that checks every column it uses (`row.int('id')`), so a schema change
//   fails loudly at the first read instead of flowing on through an unchecked cast. The drivers differ in what they
//   return (BIGINT is a string from pg and a number from SQLite; booleans are 0/1 in SQLite; times are Date or text):
//   the decoders take both.
// - SQLite runs synchronously (the SQLite ledger relies on it: nothing interleaves inside a call); PostgreSQL is async
//   with transactions on one pooled connection. `sqlGet` reads the same way from either.
import type Database from 'better-sqlite3';
import type pg from 'pg';

export type Param = string | number | bigint | boolean | null;

/** Stands for the current time in a statement's text. */
export const NOW = '{now}';

/** A statement that returns rows, each decoded into R. */
export interface Query<R> {
  readonly text: string;
  readonly decode: (row: Row) => R;
}

/** A statement run for its effect (the number of rows it changed). */
export interface Command {
  readonly text: string;
}

export function query<R>(text: string, decode: (row: Row) => R): Query<R> {
  return { text, decode };
}

export function command(text: string): Command {
  return { text };
}

/** One result row, read column by column with the type each column must have. */
export class Row {
  constructor(
    private readonly values: Record<string, unknown>,
    private readonly text: string,
  ) {}

  int(name: string): number {
    const v = this.values[name];
    if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
    if (typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)) return Number(v);
    if (typeof v === 'string' && /^-?\d{1,16}$/.test(v) && Number.isSafeInteger(Number(v))) return Number(v); // pg BIGINT
    return this.#wrong(name, 'an integer');
  }

  intOrNull(name: string): number | null {
    return this.values[name] === null ? null : this.int(name);
  }

  string(name: string): string {
    const v = this.values[name];
    return typeof v === 'string' ? v : this.#wrong(name, 'a string');
  }

  stringOrNull(name: string): string | null {
    return this.values[name] === null ? null : this.string(name);
  }

  bool(name: string): boolean {
    const v = this.values[name];
    if (typeof v === 'boolean') return v;
    if (v === 0 || v === 1) return v === 1; // SQLite
    return this.#wrong(name, 'a boolean');
  }

  boolOrNull(name: string): boolean | null {
    return this.values[name] === null ? null : this.bool(name);
  }

  /** A DateTime column as epoch milliseconds (pg: Date; SQLite as Prisma writes it: ISO text, or epoch ms). */
  timeOrNull(name: string): number | null {
    const v = this.values[name];
    if (v === null) return null;
    const ms = v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : typeof v === 'number' ? v : NaN;
    return Number.isFinite(ms) ? ms : this.#wrong(name, 'a time');
  }

  #wrong(name: string, what: string): never {
    const v = this.values[name];
    throw new TypeError(`column "${name}" is ${v === undefined ? 'missing' : `not ${what} (${typeof v})`} in: ${this.text.slice(0, 120)}`);
  }
}

/* ------------------------------------------------------------------------------------------------- SQLite ---- */

/** Prisma's SQLite adapter stores DateTime as ISO-8601 text with an explicit offset; {now} writes the same. */
const SQLITE_NOW = `strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')`;

export class SqliteSql {
  readonly kind = 'sqlite';
  readonly #statements = new Map<string, Database.Statement>();

  constructor(readonly db: Database.Database) {}

  get<R>(q: Query<R>, ...params: Param[]): R | undefined {
    const row = this.#prepare(q.text).get(...sqliteParams(params)) as Record<string, unknown> | undefined;
    return row === undefined ? undefined : q.decode(new Row(row, q.text));
  }

  all<R>(q: Query<R>, ...params: Param[]): R[] {
    const rows = this.#prepare(q.text).all(...sqliteParams(params)) as Record<string, unknown>[];
    return rows.map((row) => q.decode(new Row(row, q.text)));
  }

  run(c: Command, ...params: Param[]): number {
    return this.#prepare(c.text).run(...sqliteParams(params)).changes;
  }

  /** `fn` in one BEGIN IMMEDIATE transaction (the write lock first: nothing can slip in between its reads and writes). */
  transaction<A extends unknown[], T>(fn: (...args: A) => T): (...args: A) => T {
    const tx = this.db.transaction(fn);
    return (...args: A) => tx.immediate(...args);
  }

  #prepare(text: string): Database.Statement {
    let statement = this.#statements.get(text);
    if (!statement) this.#statements.set(text, (statement = this.db.prepare(text.replaceAll(NOW, SQLITE_NOW))));
    return statement;
  }
}

/** better-sqlite3 binds no booleans: they become 0/1, in place (the rest parameter's array is the call's own). */
function sqliteParams(params: Param[]): Array<Exclude<Param, boolean>> {
  for (let i = 0; i < params.length; i++) if (typeof params[i] === 'boolean') params[i] = params[i] ? 1 : 0;
  return params as Array<Exclude<Param, boolean>>;
}

/* --------------------------------------------------------------------------------------------- PostgreSQL ---- */

/** Prisma keeps DateTime in "timestamp without time zone" columns as UTC. */
const PG_NOW = `(now() AT TIME ZONE 'UTC')`;

export class PgSql {
  readonly kind = 'postgresql';
  readonly #texts = new Map<string, string>();

  constructor(private readonly client: pg.Pool | pg.PoolClient) {}

  async get<R>(q: Query<R>, ...params: Param[]): Promise<R | undefined> {
    const { rows } = await this.client.query<Record<string, unknown>>(this.#render(q.text), params);
    return rows[0] === undefined ? undefined : q.decode(new Row(rows[0], q.text));
  }

  async all<R>(q: Query<R>, ...params: Param[]): Promise<R[]> {
    const { rows } = await this.client.query<Record<string, unknown>>(this.#render(q.text), params);
    return rows.map((row) => q.decode(new Row(row, q.text)));
  }

  async run(c: Command, ...params: Param[]): Promise<number> {
    return (await this.client.query(this.#render(c.text), params)).rowCount ?? 0;
  }

  /** `fn` in one transaction on one pooled connection: committed when it returns, rolled back when it throws. */
  async transaction<T>(fn: (tx: PgSql) => Promise<T>): Promise<T> {
    const client = await (this.client as pg.Pool).connect();
    try {
      await client.query('BEGIN');
      const result = await fn(new PgSql(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  #render(text: string): string {
    let rendered = this.#texts.get(text);
    if (rendered === undefined) this.#texts.set(text, (rendered = toPg(text)));
    return rendered;
  }
}

/** `?` → `$1, $2, …` (outside quoted names and strings), {now} → the UTC time. */
function toPg(text: string): string {
  let n = 0;
  let out = '';
  let quote: string | undefined;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '?') {
      out += `$${++n}`;
      continue;
    }
    out += ch;
  }
  return out.replaceAll(NOW, PG_NOW);
}

/* ----------------------------------------------------------------------------------------------- either ---- */

export type Sql = SqliteSql | PgSql;

/** One row from either database. */
export async function sqlGet<R>(sql: Sql, q: Query<R>, ...params: Param[]): Promise<R | undefined> {
  return sql.kind === 'sqlite' ? sql.get(q, ...params) : sql.get(q, ...params);
}
