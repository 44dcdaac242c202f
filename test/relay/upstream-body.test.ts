// The upstream HTTP client (src/relay/forward.ts + upstream-body.ts) against a real local HTTP server: whole bodies and
// their limit, streams in order, backpressure towards a fast upstream while the reader stalls, stopping a call, the
// head timeout, an abort signal, and URLs taken as undici's URL parsing would take them.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Forwarder, UpstreamUnreachable, readBytes, readText } from '../../src/relay/forward.js';

let server: Server;
let base: string;
const forwarder = new Forwarder();
/** Bytes the `/flood` handler has handed to its socket so far. */
let flooded = 0;
const seenPaths: string[] = [];

const MB = 1024 * 1024;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    seenPaths.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/json') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    if (url.pathname === '/chunks') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let i = 0;
      const next = () => {
        if (i === 50) return void res.end();
        res.write(`data: ${i++}\n\n`);
        setImmediate(next);
      };
      return next();
    }
    if (url.pathname === '/burst') {
      // 20 HTTP chunks written at once: they reach the relay in one socket read (or very few).
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < 20; i++) res.write(`data: ${i}\n\n`);
      return void res.end();
    }
    if (url.pathname === '/big') {
      res.writeHead(200);
      for (let i = 0; i < 8; i++) res.write(Buffer.alloc(256 * 1024, 97));
      return void res.end();
    }
    if (url.pathname === '/flood') {
      flooded = 0;
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 98);
      const pump = () => {
        while (flooded < 64 * MB) {
          flooded += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => res.removeAllListeners('drain'));
      return pump();
    }
    if (url.pathname === '/slow-head') return void setTimeout(() => res.writeHead(200).end('late'), 2000).unref();
    res.writeHead(200).end(req.url);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await forwarder.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const get = (path: string, extra: { firstByteTimeoutMs?: number; signal?: AbortSignal } = {}) =>
  forwarder.send({ method: 'GET', url: `${base}${path}`, headers: {} }, { firstByteTimeoutMs: extra.firstByteTimeoutMs }, extra.signal);

describe('upstream bodies', () => {
  it('reads a whole body, with its status and headers', async () => {
    const res = await get('/json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(await readText(res)).toBe('{"ok":true}');
  });

  it('stops reading a whole body at its limit and keeps what came', async () => {
    const res = await get('/big');
    const bytes = await readBytes(res, 300 * 1024);
    expect(bytes.length).toBe(300 * 1024);
    expect(bytes.every((b) => b === 97)).toBe(true);
  });

  it('gives a stream chunk by chunk, in order, to its end', async () => {
    const res = await get('/chunks');
    let text = '';
    for await (const chunk of res.body) text += chunk.toString();
    expect(text).toBe(Array.from({ length: 50 }, (_, i) => `data: ${i}\n\n`).join(''));
  });

  it('hands over what arrived since the last read in one piece, not one HTTP chunk at a time', async () => {
    const res = await get('/burst');
    let text = '';
    let reads = 0;
    for await (const chunk of res.body) {
      text += chunk.toString();
      reads++;
    }
    expect(text).toBe(Array.from({ length: 20 }, (_, i) => `data: ${i}\n\n`).join(''));
    expect(reads).toBeLessThan(20);
  });

  it('pauses a fast upstream while the reader stalls (backpressure), then reads it all', async () => {
    const res = await get('/flood');
    const iterator = res.body[Symbol.asyncIterator]();
    const first = await iterator.next();
    await new Promise((resolve) => setTimeout(resolve, 400));
    // Without backpressure the server would have written all 64 MB by now; with it, only what the socket buffers hold.
    expect(flooded).toBeLessThan(24 * MB);
    let total = first.done ? 0 : first.value.length;
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) total += r.value.length;
    expect(total).toBe(64 * MB);
  });

  it('stops a stream when destroyed: the reader gets the reason', async () => {
    const res = await get('/flood');
    const iterator = res.body[Symbol.asyncIterator]();
    await iterator.next();
    const reason = new UpstreamUnreachable('aborted', 'request aborted: the client left');
    res.body.destroy(reason);
    await expect(iterator.next()).rejects.toBe(reason);
    res.body.destroy(); // a second time changes nothing
  });

  it('times out a response head that does not come', async () => {
    const error = await get('/slow-head', { firstByteTimeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamUnreachable);
    expect((error as UpstreamUnreachable).kind).toBe('timeout');
  });

  it('stops at an abort signal, before the head and after it', async () => {
    const before = await get('/slow-head', { signal: AbortSignal.timeout(100) }).catch((e: unknown) => e);
    expect((before as UpstreamUnreachable).kind).toBe('timeout');
    const controller = new AbortController();
    controller.abort();
    const already = await get('/json', { signal: controller.signal }).catch((e: unknown) => e);
    expect((already as UpstreamUnreachable).kind).toBe('aborted');
    const during = new AbortController();
    const res = await get('/flood', { signal: during.signal });
    const iterator = res.body[Symbol.asyncIterator]();
    await iterator.next();
    during.abort();
    await expect(iterator.next()).rejects.toBeDefined();
  });

  it('sends paths as the URL parser writes them', async () => {
    seenPaths.length = 0;
    await readText(await get('/v1/models/a b:generate?x=1'));
    await readText(await get('/v1/x/../y'));
    await readText(await get('?q=1'));
    expect(seenPaths).toEqual(['/v1/models/a%20b:generate?x=1', '/v1/y', '/?q=1']);
  });

  it('refuses a URL that is not http(s) as an unreachable upstream', async () => {
    const error = await forwarder.send({ method: 'GET', url: 'ftp://127.0.0.1/x', headers: {} }, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamUnreachable);
  });
});
