// The settings every SQLite connection of a process runs with (src/db/client.ts): WAL, NORMAL sync, a busy timeout, and
// SQLite's own 2 MB page cache on both connections (ours and Prisma's adapter's), not better-sqlite3's 16 MB, which
// filled with usage-log pages and cost ~18 MB of RSS under load.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/db/client.js';

describe('SQLite connection settings', () => {
  let dir: string;
  let db: Db;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'relay-sqlite-settings-'));
    db = await openDb(`file:${join(dir, 'relay.db')}`);
  });
  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the hot path connection in WAL mode with NORMAL sync and a 2 MB page cache', () => {
    if (db.kind !== 'sqlite') throw new Error('expected SQLite');
    expect(db.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.sqlite.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(db.sqlite.pragma('cache_size', { simple: true })).toBe(-2000);
  });

  it("gives Prisma's own connection the same 2 MB page cache", async () => {
    const rows = await db.prisma.$queryRawUnsafe<Array<{ cache_size: number | bigint }>>('PRAGMA cache_size');
    expect(Number(rows[0]?.cache_size)).toBe(-2000);
  });
});
