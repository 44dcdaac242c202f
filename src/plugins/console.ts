// The web console (web/, built by `npm run build` into dist/web) served by the relay itself at `/`:
// - hashed assets (/assets/*) with a year-long `immutable` cache; index.html revalidated on every load;
// - a strict Content-Security-Policy: scripts, styles, fonts and connections only from this origin, no inline script
//   or style, no eval, no framing;
// - single-page-app fallback: an unknown GET outside the APIs answers index.html, so /tokens or /admin/users can be
//   reloaded or bookmarked. /api, /v1, /v1beta, /healthz and /metrics keep their own JSON 404s.
// Build output sits beside compressed copies (.br, .gz) written by the build, sent to browsers that accept them.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Paths the console never answers for: their 404s stay the APIs' own. */
const API_PREFIXES = ['/api', '/v1', '/v1beta', '/healthz', '/metrics'];

export const isApiPath = (path: string): boolean =>
  API_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));

/** dist/web of this package, whether running from src/ (tests, tsx) or from the compiled dist/src. */
export function defaultConsoleDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return join(dir, 'dist', 'web');
}

function securityHeaders(res: { setHeader(name: string, value: string): unknown }, path: string): void {
  res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'same-origin');
  res.setHeader('x-frame-options', 'DENY');
  // Hashed file names change with their content, so they never need revalidation; everything else does.
  const hashed = /[\\/]assets[\\/]/.test(path);
  res.setHeader('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
}

export interface ConsoleHandle {
  /** Answers index.html for a path the app has no route for, or returns false when that path is not the console's. */
  fallback(request: FastifyRequest, reply: FastifyReply): boolean;
}

/** Serves the built console at `/` (registered on the root app, so reply.sendFile is available to the 404 handler). */
export async function registerConsole(app: FastifyInstance, dir = defaultConsoleDir()): Promise<ConsoleHandle> {
  const index = join(dir, 'index.html');
  if (!existsSync(index)) {
    app.log.warn({ dir }, 'the web console is not built (npm run build); / answers 503');
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply
        .status(503)
        .type('text/plain; charset=utf-8')
        .send('The web console is not built. Run `npm run build` (npm start does it), then restart.\n'),
    );
    return { fallback: () => false };
  }
  // Read once: a missing or unreadable build is an error at start, not on the first visitor.
  readFileSync(index);
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    wildcard: false, // one route per built file, so unknown paths reach the 404 handler (and the fallback below)
    preCompressed: true,
    index: ['index.html'],
    cacheControl: false, // set by securityHeaders
    setHeaders: securityHeaders,
    schemaHide: true,
  });
  return {
    fallback(request, reply) {
      const path = request.url.split('?')[0]!;
      if ((request.method !== 'GET' && request.method !== 'HEAD') || isApiPath(path)) return false;
      // A missing asset or file (a stale hashed name, a typo) is a real 404, not the app.
      if (path.startsWith('/assets/') || /\.[a-z0-9]+$/i.test(path)) return false;
      void reply.sendFile('index.html');
      return true;
    },
  };
}
