// Serving the built console at / (without building it: a stand-in dist/web): hashed assets cached for a year, the
// page revalidated, the CSP on every answer, the SPA fallback for app paths only, and a clear 503 when not built.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { CONTENT_SECURITY_POLICY } from '../../src/plugins/console.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body></body></html>';

describe('the console at /', () => {
  let dir: string;
  let ctx: TestContext;
  let app: FastifyInstance;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'console-static-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), INDEX);
    const js = 'console.log("console");'.repeat(100);
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), js);
    writeFileSync(join(dir, 'assets', 'index-abc123.js.gz'), gzipSync(js));
    ctx = await createTestContext('sqlite');
    app = await buildApp(ctx, { consoleDir: dir });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await ctx.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves index.html revalidated and assets immutable, with the CSP and a compressed copy when accepted', async () => {
    const page = await app.inject({ url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toBe(INDEX);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const asset = await app.inject({ url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip' } });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['content-encoding']).toBe('gzip');
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-(inline|eval)/);
  });

  it('answers app paths with the page, and leaves API paths and missing files to their 404s', async () => {
    for (const path of ['/tokens', '/admin/users', '/admin/logs?page=2']) {
      const res = await app.inject({ url: path });
      expect(res.statusCode, path).toBe(200);
      expect(res.body).toBe(INDEX);
    }
    expect((await app.inject({ method: 'HEAD', url: '/settings' })).statusCode).toBe(200);
    for (const path of ['/api/nope', '/api', '/v1/nope', '/v1beta/nope', '/healthz/x', '/assets/gone-123.js', '/robots.txt']) {
      const res = await app.inject({ url: path });
      expect(res.statusCode, path).toBe(404);
    }
    expect((await app.inject({ url: '/v1/nope' })).json()).toMatchObject({ error: { code: 'not_found' } });
    expect((await app.inject({ method: 'POST', url: '/tokens' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/healthz' })).json()).toMatchObject({ status: 'ok' });
  });

  it('says how to build it when it is not built', async () => {
    const other = await createTestContext('sqlite');
    const bare = await buildApp(other, { consoleDir: join(dir, 'missing') });
    try {
      const res = await bare.inject({ url: '/' });
      expect(res.statusCode).toBe(503);
      expect(res.body).toMatch(/npm run build/);
      expect((await bare.inject({ url: '/tokens' })).statusCode).toBe(404);
    } finally {
      await bare.close();
      await other.cleanup();
    }
  });
});
