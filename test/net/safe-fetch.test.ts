// The SSRF-safe fetcher against a local server on 127.0.0.1. No test ever connects anywhere else: net.connect and
// tls.connect are wrapped so that any other host throws before a socket exists, and every refusal below also asserts
// that no connection was even attempted for the refused address (refusals happen before connecting).
import { createServer, type Server } from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { describe, it, expect, beforeAll, afterAll, beforeEach, vi } from 'vitest';
import { guardedLookup, isPublicAddress, safeFetch, type SafeFetchOptions } from '../../src/net/safe-fetch.js';
import { RelayError } from '../../src/errors.js';

const PNG_BYTES = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
let server: Server;
let base: string;
let port: number;
const connections: string[] = [];

const realNetConnect = net.connect.bind(net);
beforeAll(async () => {
  vi.spyOn(net, 'connect').mockImplementation(((...args: Parameters<typeof net.connect>) => {
    const first: unknown = args[0];
    const host = typeof first === 'object' && first !== null ? String((first as { host?: unknown }).host) : String(args[1]);
    connections.push(host);
    if (host !== '127.0.0.1' && host !== 'images.test' && host !== 'rebind.test') {
      throw new Error(`test tried to connect to ${host}`);
    }
    return realNetConnect(...args);
  }) as typeof net.connect);
  vi.spyOn(tls, 'connect').mockImplementation((() => {
    throw new Error('test tried to open a TLS connection');
  }) as typeof tls.connect);

  server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/img.png') {
      res.writeHead(200, { 'content-type': 'image/png' }).end(PNG_BYTES);
    } else if (path.startsWith('/to?')) {
      res.writeHead(302, { location: decodeURIComponent(path.slice(4)) }).end();
    } else if (path === '/loop') {
      res.writeHead(302, { location: '/loop' }).end();
    } else if (path === '/declared-big') {
      res.writeHead(200, { 'content-length': '5000' }).end(Buffer.alloc(5000));
    } else if (path === '/streamed-big') {
      res.writeHead(200); // chunked: no length announced
      for (let i = 0; i < 10; i++) res.write(Buffer.alloc(1000));
      res.end();
    } else if (path === '/slow') {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.write(PNG_BYTES.subarray(0, 4)); // ...and never finishes
    } else {
      res.writeHead(404).end('not here');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  vi.restoreAllMocks();
});

beforeEach(() => {
  connections.length = 0;
});

const onlyLoopbackV4 = (ip: string) => ip === '127.0.0.1';
const options = (extra: Partial<SafeFetchOptions> = {}): SafeFetchOptions => ({
  maxBytes: 1024,
  timeoutMs: 2000,
  policy: onlyLoopbackV4,
  ...extra,
});

async function failure(url: string, opts: SafeFetchOptions): Promise<RelayError> {
  const error = await safeFetch(url, opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RelayError);
  return error as RelayError;
}

describe('safeFetch: allowed downloads', () => {
  it('downloads from an allowed address', async () => {
    const result = await safeFetch(`${base}/img.png`, options());
    expect(result).toEqual({ bytes: PNG_BYTES, contentType: 'image/png', finalUrl: `${base}/img.png` });
    expect(connections).toEqual(['127.0.0.1']);
  });

  it('connects a hostname to the address it was checked at, resolving it once', async () => {
    const resolve = vi.fn(async () => ['127.0.0.1']);
    const result = await safeFetch(`http://images.test:${port}/img.png`, options({ resolve }));
    expect(result.bytes).toEqual(PNG_BYTES);
    expect(resolve).toHaveBeenCalledTimes(1);
    expect(resolve).toHaveBeenCalledWith('images.test');
  });

  it('is not fooled by DNS rebinding: later answers are never used for the connection', async () => {
    const answers = [['127.0.0.1'], ['10.0.0.1'], ['169.254.169.254']];
    const resolve = vi.fn(async () => answers.shift() ?? ['10.0.0.1']);
    const result = await safeFetch(`http://rebind.test:${port}/img.png`, options({ resolve }));
    expect(result.bytes).toEqual(PNG_BYTES);
    expect(resolve).toHaveBeenCalledTimes(1);
  });

  it('follows a relative redirect and reports the final URL', async () => {
    const result = await safeFetch(`${base}/to?${encodeURIComponent('/img.png')}`, options());
    expect(result.finalUrl).toBe(`${base}/img.png`);
    expect(result.bytes).toEqual(PNG_BYTES);
  });
});

describe('safeFetch: refused before connecting', () => {
  it.each([
    ['127.0.0.1 under the default policy', () => `${base}/img.png`, '127.0.0.1 is a loopback address'],
    ['10.0.0.1', () => 'http://10.0.0.1/x.png', '10.0.0.1 is a private address'],
    ['the metadata address', () => 'http://169.254.169.254/latest/meta-data/', '169.254.169.254 is a linkLocal address'],
    ['[::1]', () => `http://[::1]:${port}/img.png`, '::1 is a loopback address'],
    ['IPv4-mapped loopback', () => `http://[::ffff:127.0.0.1]:${port}/img.png`, '::ffff:7f00:1 is a loopback address'],
    ['a decimal-encoded loopback', () => `http://2130706433:${port}/img.png`, '127.0.0.1 is a loopback address'],
    ['CGNAT', () => 'http://100.64.1.1/', '100.64.1.1 is a carrierGradeNat address'],
    ['0.0.0.0', () => `http://0.0.0.0:${port}/`, '0.0.0.0 is a unspecified address'],
  ])('%s', async (_name, url, reason) => {
    const error = await failure(url(), { maxBytes: 1024, timeoutMs: 2000 });
    expect(error.code).toBe('image_fetch_refused');
    expect(error.status).toBe(400);
    expect(error.message).toContain(reason);
    expect(connections).toEqual([]);
  });

  it('refuses a hostname that resolves to a private address, without connecting or saying what it resolved to', async () => {
    const resolve = vi.fn(async () => ['10.1.2.3']);
    const error = await failure('http://internal.test/x.png', { maxBytes: 1024, timeoutMs: 2000, resolve });
    expect(error.code).toBe('image_fetch_refused');
    expect(error.message).toBe('refusing to fetch internal.test: it does not resolve to a public address; only public addresses can be fetched');
    expect(resolve).toHaveBeenCalledWith('internal.test');
    expect(connections).toEqual([]);
  });

  it('refuses a hostname when any of its addresses is disallowed, naming none of them', async () => {
    const resolve = async () => ['93.184.216.34', 'fd00::1'];
    const error = await failure('https://mixed.test/x.png', { maxBytes: 1024, timeoutMs: 2000, resolve });
    expect(error.message).toBe('refusing to fetch mixed.test: it does not resolve to a public address; only public addresses can be fetched');
    expect(connections).toEqual([]);
  });

  it('answers a private name and a name that does not exist alike (no map of internal names)', async () => {
    const internal = await failure('http://db.internal/x.png', options({ resolve: async () => ['10.0.0.5'] }));
    const missing = await failure('http://db.internal/x.png', options({ resolve: async () => Promise.reject(Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' })) }));
    const empty = await failure('http://db.internal/x.png', options({ resolve: async () => [] }));
    expect(missing).toMatchObject({ code: internal.code, status: internal.status, message: internal.message });
    expect(empty).toMatchObject({ code: internal.code, message: internal.message });
  });

  it('refuses "localhost" through the system resolver', async () => {
    const error = await failure(`http://localhost:${port}/img.png`, { maxBytes: 1024, timeoutMs: 2000 });
    expect(error.code).toBe('image_fetch_refused');
    expect(error.message).toBe('refusing to fetch localhost: it does not resolve to a public address; only public addresses can be fetched');
    expect(connections).toEqual([]);
  });

  it.each([
    ['file:///etc/passwd', 'only http and https URLs can be fetched, not file:'],
    ['gopher://127.0.0.1/', 'only http and https URLs can be fetched, not gopher:'],
    ['http://user:pass@127.0.0.1/', 'URLs with credentials are not fetched'],
    ['not a url', '"not a url" is not a valid URL'],
  ])('refuses %s', async (url, reason) => {
    const error = await failure(url, options());
    expect(error.code).toBe('image_fetch_refused');
    expect(error.message).toBe(reason);
    expect(connections).toEqual([]);
  });
});

describe('safeFetch: redirects are checked hop by hop', () => {
  it.each([
    ['the metadata address', 'http://169.254.169.254/latest/meta-data/', '169.254.169.254 is a linkLocal address'],
    ['IPv6 loopback', () => `http://[::1]:${port}/img.png`, '::1 is a loopback address'],
    ['a hostname resolving to a private address', 'http://internal.test/x.png', 'internal.test: it does not resolve to a public address'],
    ['a non-http scheme', 'file:///etc/passwd', 'only http and https URLs can be fetched, not file:'],
  ])('refuses a redirect to %s', async (_name, target, reason) => {
    const location = typeof target === 'function' ? target() : target;
    const resolve = async () => ['10.0.0.1'];
    const error = await failure(`${base}/to?${encodeURIComponent(location)}`, options({ resolve }));
    expect(error.code).toBe('image_fetch_refused');
    expect(error.message).toContain(reason);
    expect(connections).toEqual(['127.0.0.1']); // only the allowed first hop
  });

  it('stops after maxRedirects', async () => {
    const error = await failure(`${base}/loop`, options({ maxRedirects: 2 }));
    expect(error.code).toBe('unsupported_image');
    expect(error.message).toBe(`image download from 127.0.0.1:${port} redirected more than 2 times`);
  });
});

describe('safeFetch: limits and failures', () => {
  it('refuses a body announced larger than maxBytes', async () => {
    const error = await failure(`${base}/declared-big`, options({ maxBytes: 4000 }));
    expect(error.code).toBe('unsupported_image');
    expect(error.message).toBe(`image from 127.0.0.1:${port} is larger than the 4000-byte limit`);
  });

  it('aborts a streamed body once it passes maxBytes', async () => {
    const error = await failure(`${base}/streamed-big`, options({ maxBytes: 2500 }));
    expect(error.message).toBe(`image from 127.0.0.1:${port} is larger than the 2500-byte limit`);
  });

  it('times out the whole download', async () => {
    const started = Date.now();
    const error = await failure(`${base}/slow`, options({ timeoutMs: 300 }));
    expect(error.code).toBe('unsupported_image');
    expect(error.message).toBe(`image download from 127.0.0.1:${port} took longer than 300 ms`);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('reports a non-2xx answer', async () => {
    const error = await failure(`${base}/missing.png`, options());
    expect(error.code).toBe('unsupported_image');
    expect(error.message).toBe(`image download from 127.0.0.1:${port} failed: HTTP 404`);
  });

  it('reports a name that does not resolve like a name that is not public', async () => {
    const resolve = async (): Promise<string[]> => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.test'), { code: 'ENOTFOUND' });
    };
    const error = await failure('http://nowhere.test/x.png', options({ resolve }));
    expect(error.code).toBe('image_fetch_refused');
    expect(error.message).toBe('refusing to fetch nowhere.test: it does not resolve to a public address; only public addresses can be fetched');
  });

  it('reports a network error by its code, without the address it failed at', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await failure(`http://images.test:${closedPort}/x.png`, options({ resolve: async () => ['127.0.0.1'] }));
    expect(error.code).toBe('unsupported_image');
    expect(error.message).toBe(`image download from images.test:${closedPort} failed: ECONNREFUSED`); // not "…127.0.0.1:port"
  });

  it('does not echo a key from an unparsable URL', async () => {
    const error = await failure('not a url?key=sk-abcdefghijklmnopqrstu', options());
    expect(error.message).toBe('"not a url?key=[redacted]" is not a valid URL');
  });
});

describe('guardedLookup (connect-time check for hosts not resolved beforehand)', () => {
  type Answer = { error: Error | null; address: unknown; family?: number };
  const ask = (lookup: ReturnType<typeof guardedLookup>, host: string, all: boolean) =>
    new Promise<Answer>((resolve) => lookup(host, { all }, (error, address, family) => resolve({ error, address, family })));

  it('resolves, checks and answers in both callback forms', async () => {
    const lookup = guardedLookup(onlyLoopbackV4, async () => ['127.0.0.1']);
    expect(await ask(lookup, 'ok.test', true)).toEqual({ error: null, address: [{ address: '127.0.0.1', family: 4 }], family: undefined });
    expect(await ask(lookup, 'ok.test', false)).toEqual({ error: null, address: '127.0.0.1', family: 4 });
  });

  it('refuses a host with a disallowed address', async () => {
    const lookup = guardedLookup(undefined, async () => ['169.254.169.254']);
    const { error } = await ask(lookup, 'metadata.test', true);
    expect(error).toBeInstanceOf(RelayError);
    expect((error as RelayError).code).toBe('image_fetch_refused');
    expect(error?.message).toBe('refusing to fetch metadata.test: it does not resolve to a public address; only public addresses can be fetched');
  });

  it('serves pinned addresses without resolving again', async () => {
    const resolve = vi.fn(async () => ['10.0.0.1']);
    const lookup = guardedLookup(onlyLoopbackV4, resolve, new Map([['pinned.test', ['127.0.0.1']]]));
    expect(await ask(lookup, 'pinned.test', false)).toEqual({ error: null, address: '127.0.0.1', family: 4 });
    expect(resolve).not.toHaveBeenCalled();
  });
});

describe('isPublicAddress', () => {
  it.each([
    ['8.8.8.8', true],
    ['93.184.216.34', true],
    ['2606:4700::1111', true],
    ['::ffff:8.8.8.8', true],
    ['127.0.0.1', false],
    ['127.255.0.9', false],
    ['10.0.0.1', false],
    ['172.16.0.1', false],
    ['172.31.255.255', false],
    ['192.168.1.1', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['0.0.0.0', false],
    ['0.1.2.3', false],
    ['224.0.0.1', false],
    ['255.255.255.255', false],
    ['240.0.0.1', false],
    ['192.0.2.1', false],
    ['::1', false],
    ['::', false],
    ['fe80::1', false],
    ['fc00::1', false],
    ['fd12:3456::1', false],
    ['ff02::1', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:10.0.0.1', false],
    ['::ffff:169.254.169.254', false],
    ['::7f00:1', false], // IPv4-compatible ::127.0.0.1
    ['64:ff9b::a00:1', false], // NAT64 of 10.0.0.1
    ['2002:a00:1::', false], // 6to4 of 10.0.0.1
    ['not-an-ip', false],
  ])('%s → %s', (ip, expected) => {
    expect(isPublicAddress(ip)).toBe(expected);
  });
});
