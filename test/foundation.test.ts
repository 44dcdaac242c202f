import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestApp, dbKinds, type TestApp } from './helpers/context.js';
import { productionNodeFlags, repoRoot } from '../bench/child.js';

describe.each(dbKinds)('foundation on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(async () => t?.close());

  it('reports health with the database kind', async () => {
    const res = await t.app.inject({ url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', database: kind });
  });

  it('answers 503 when the database fails, without the error (it can name hosts and users)', async () => {
    const leak = new Error('connect ECONNREFUSED 10.9.8.7:5432 (user relay_admin)');
    // The database layer fails the way a dead server does (SQLite throws at once; pg rejects).
    const sql = t.ctx.db.sql;
    const restore =
      sql.kind === 'sqlite'
        ? vi.spyOn(sql, 'get').mockImplementation(() => {
            throw leak;
          })
        : vi.spyOn(sql, 'get').mockImplementation(() => Promise.reject(leak));
    const res = await t.app.inject({ url: '/healthz' });
    restore.mockRestore();
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'unavailable', database: kind });
  });
});

describe('production start', () => {
  it('the Dockerfile runs the service with the same node flags as npm start', () => {
    const flags = productionNodeFlags();
    expect(flags.length).toBeGreaterThan(0);
    const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'));
    expect(JSON.parse(cmd![1]!)).toEqual(['node', ...flags, 'dist/src/server.js']);
  });
});
