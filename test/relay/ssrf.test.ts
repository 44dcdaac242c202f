// The relay downloads image URLs itself for Gemini channels, so a client could aim it at the relay's own network
// (SSRF). Every such URL — loopback, private, link-local metadata, IPv6 loopback, disguised loopback, and redirects
// from an allowed server to any of those — is refused with a 400 image_fetch_refused before a connection is made, the
// upstream is never called, and the reservation is refunded. Only loopback servers started here are ever contacted:
// the non-loopback addresses below are refused before connecting (a regression would show as a different error code).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import OpenAI from 'openai';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { addChannel, balances, eventually, listen, seedAccount, type SeededAccount } from '../helpers/relay.js';
import { startFakeGemini, type FakeGemini } from '../fakes/gemini-upstream.js';

/** A real 1×1 PNG. */
const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg==';
/** The one address the image policy allows; the redirecting server listens there. */
const ALLOWED_IP = '127.0.0.2';

type Balances = Awaited<ReturnType<typeof balances>>;

interface LocalServer {
  server: Server;
  port: number;
  hits: string[];
}

/** A tiny HTTP server on a loopback address that records every path it is asked for. */
async function startServer(host: string, handle: (path: string, res: import('node:http').ServerResponse) => void): Promise<LocalServer> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '/');
    handle(req.url ?? '/', res);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, port: (server.address() as AddressInfo).port, hits };
}

function servePng(res: import('node:http').ServerResponse): void {
  const png = Buffer.from(PNG_BASE64, 'base64');
  res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length }).end(png);
}

describe('image URL downloads through the relay refuse internal addresses (SSRF)', () => {
  let t: TestApp;
  let gemini: FakeGemini;
  /** A live server on 127.0.0.1 that would happily answer: it must never be asked. */
  let internal: LocalServer;
  /** The allowed server (127.0.0.2): serves an image at /ok.png and redirects elsewhere. */
  let redirector: LocalServer;
  let account: SeededAccount;
  let client: OpenAI;

  beforeAll(async () => {
    internal = await startServer('127.0.0.1', (_path, res) => servePng(res));
    redirector = await startServer(ALLOWED_IP, (path, res) => {
      if (path === '/ok.png') return servePng(res);
      const to: Record<string, string> = {
        '/to-loopback': `http://127.0.0.1:${internal.port}/secret.png`,
        '/to-metadata': 'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
        '/to-loopback-v6': `http://[::1]:${internal.port}/secret.png`,
      };
      const location = to[path];
      if (!location) return void res.writeHead(404).end();
      res.writeHead(302, { location }).end();
    });
    gemini = await startFakeGemini();
    t = await createTestApp('sqlite', {}, { imageAddressPolicy: (ip) => ip === ALLOWED_IP });
    await t.ctx.options.update({ modelRatios: { 'gemini-2.5-flash': 0.15 }, completionRatios: { 'gemini-2.5-flash': 8 } });
    await addChannel(t, { type: 'gemini', baseUrl: gemini.url, models: ['gemini-2.5-flash'] });
    account = await seedAccount(t, { quota: 10_000_000 });
    const base = await listen(t);
    client = new OpenAI({ apiKey: account.key, baseURL: `${base}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await t?.close();
    await gemini?.close();
    for (const s of [internal, redirector]) if (s) await new Promise<void>((resolve) => s.server.close(() => resolve()));
  });

  function askAbout(url: string) {
    return client.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url } }] }],
    });
  }

  async function settledAfter(before: Balances) {
    let after: Balances | undefined;
    await eventually(async () => {
      after = await balances(t, account);
      expect(after.logs.length).toBe(before.logs.length + 1);
      expect(after.holds).toBe(0);
    });
    return after!;
  }

  it('downloads from the allowed address (so each refusal below is the policy at work, not a broken setup)', async () => {
    gemini.setScript(() => ({ kind: 'answer', parts: [{ text: 'A grey pixel.' }], usage: { promptTokenCount: 300, candidatesTokenCount: 4 } }));
    const before = await balances(t, account);
    const res = await askAbout(`http://${ALLOWED_IP}:${redirector.port}/ok.png`);
    expect(res.choices[0]!.message.content).toBe('A grey pixel.');
    expect(redirector.hits.at(-1)).toBe('/ok.png');
    expect((gemini.requests.at(-1)!.body as { contents: Array<{ parts: unknown[] }> }).contents[0]!.parts[1]).toEqual({
      inlineData: { mimeType: 'image/png', data: PNG_BASE64 },
    });
    const after = await settledAfter(before);
    expect(before.quota - after.quota).toBe(50); // 0.15 × (300 + 4×8) = 49.8 → 50
  });

  const cases: Array<[string, () => string, RegExp]> = [
    ['loopback 127.0.0.1 (a live server)', () => `http://127.0.0.1:${internal.port}/secret.png`, /127\.0\.0\.1 is a loopback address/],
    ['private 10.0.0.1', () => 'http://10.0.0.1/internal.png', /10\.0\.0\.1 is a private address/],
    ['cloud metadata 169.254.169.254', () => 'http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is a linkLocal address/],
    ['IPv6 loopback [::1]', () => `http://[::1]:${internal.port}/secret.png`, /::1 is a loopback address/],
    ['IPv4-mapped IPv6 loopback [::ffff:127.0.0.1]', () => `http://[::ffff:127.0.0.1]:${internal.port}/secret.png`, /is a loopback address/],
    ['loopback written as one decimal number (2130706433)', () => `http://2130706433:${internal.port}/secret.png`, /127\.0\.0\.1 is a loopback address/],
    ['the name localhost (what it resolves to is not said)', () => `http://localhost:${internal.port}/secret.png`, /localhost: it does not resolve to a public address/],
    ['an allowed server redirecting to 127.0.0.1', () => `http://${ALLOWED_IP}:${redirector.port}/to-loopback`, /127\.0\.0\.1 is a loopback address/],
    ['an allowed server redirecting to [::1]', () => `http://${ALLOWED_IP}:${redirector.port}/to-loopback-v6`, /::1 is a loopback address/],
    ['an allowed server redirecting to 169.254.169.254', () => `http://${ALLOWED_IP}:${redirector.port}/to-metadata`, /169\.254\.169\.254 is a linkLocal address/],
  ];

  it.each(cases)('refuses %s with 400 image_fetch_refused, never calls Gemini, refunds the reservation', async (_name, urlOf, reason) => {
    const url = urlOf();
    const upstreamCalls = gemini.requests.length;
    const redirectsBefore = redirector.hits.length;
    const before = await balances(t, account);

    const err = await askAbout(url).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, code: 'image_fetch_refused', type: 'invalid_request_error' });
    expect((err as Error).message).toMatch(/refusing to fetch/);
    expect((err as Error).message).toMatch(reason);

    expect(gemini.requests.length).toBe(upstreamCalls);
    expect(internal.hits).toEqual([]);
    // A redirect case asks the allowed server exactly once and goes no further.
    expect(redirector.hits.length - redirectsBefore).toBe(url.includes(`${ALLOWED_IP}:`) ? 1 : 0);

    const after = await settledAfter(before);
    expect(after.quota).toBe(before.quota);
    expect(after.used).toBe(before.used);
    expect(after.logs.at(-1)).toMatchObject({ status: 'error', type: 'error', quota: 0n, promptTokens: 0, completionTokens: 0 });
    expect(after.logs.at(-1)!.content).toMatch(/^image_fetch_refused: refusing to fetch/);
  });
});
