// Helpers for the account API tests: make a user and log in as them, read error bodies, scan the database for a
// secret, and open a second app on the same database (a restart).
import { expect } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { createTestContext, type DbKind, type TestApp, type TestContext } from '../helpers/context.js';
import type { Db } from '../../src/db/client.js';

export interface LoggedInUser {
  id: number;
  username: string;
  password: string;
  key: string;
  auth: { authorization: string };
}

let counter = 0;

/** Creates a user through the admin API and logs in as them. */
export async function makeUser(
  t: TestApp,
  fields: { username?: string; password?: string; role?: 'user' | 'admin'; group?: string; quota?: number } = {},
): Promise<LoggedInUser> {
  const username = fields.username ?? `user${++counter}_${Date.now() % 100000}`;
  const password = fields.password ?? 'correct horse battery';
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/users',
    headers: t.admin,
    payload: { ...fields, username, password },
  });
  expect(created.statusCode, created.body).toBe(201);
  const id = (created.json() as { id: number }).id;
  const login = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
  expect(login.statusCode, login.body).toBe(200);
  const key = (login.json() as { key: string }).key;
  return { id, username, password, key, auth: { authorization: `Bearer ${key}` } };
}

export interface WireErrorBody {
  error: { message: string; type: string; code: string; param?: string | null; [k: string]: unknown };
}

/** Asserts the status and error code, and returns the error for further checks. */
export function expectError(res: LightMyRequestResponse, status: number, code: string, param?: string): WireErrorBody['error'] {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json() as WireErrorBody;
  expect(body.error.code).toBe(code);
  if (param !== undefined) expect(body.error.param).toBe(param);
  return body.error;
}

/** Every row of every table, as text: for proving a secret is stored nowhere. */
export async function dumpDatabase(db: Db): Promise<string> {
  const parts: string[] = [];
  if (db.kind === 'sqlite') {
    const tables = db.sqlite.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[];
    for (const { name } of tables) {
      parts.push(JSON.stringify(db.sqlite.prepare(`SELECT * FROM "${name}"`).all()));
    }
  } else {
    const tables = await db.pool.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`,
    );
    for (const { table_name } of tables.rows) {
      parts.push(JSON.stringify((await db.pool.query(`SELECT * FROM "${table_name}"`)).rows));
    }
  }
  expect(parts.length).toBeGreaterThan(5); // the scan really saw the schema
  return parts.join('\n');
}

export interface Restarted {
  app: FastifyInstance;
  ctx: TestContext;
  admin: { authorization: string };
  close(): Promise<void>;
}

/**
 * The same database as `t`, opened by a freshly started app: its own connections, bus, options, caches and relay,
 * nothing shared in memory with `t` (what a restarted process sees). Closing it leaves the database to `t`.
 */
export async function restarted(t: TestApp, kind: DbKind): Promise<Restarted> {
  const ctx = await createTestContext(kind, {}, { url: t.ctx.config.databaseUrl, drop: async () => {} });
  const app = await buildApp(ctx);
  await app.ready();
  return {
    app,
    ctx,
    admin: { authorization: `Bearer ${ctx.config.adminKey}` },
    async close() {
      await app.close();
      await ctx.cleanup();
    },
  };
}

/** Which topics the bus published while `fn` ran. */
export async function publishedDuring(t: TestApp, fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const topics = ['tokens', 'users', 'groups', 'channels', 'options'] as const;
  const unsubscribe = topics.map((topic) => t.ctx.bus.subscribe(topic, () => seen.push(topic)));
  try {
    await fn();
  } finally {
    for (const off of unsubscribe) off();
  }
  return [...new Set(seen)].sort();
}
