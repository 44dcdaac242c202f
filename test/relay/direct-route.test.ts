// The direct chat route (src/routes/v1/direct.ts) against the fastify route it stands in for: every kind of request,
// good and bad, is sent to both, and both must answer alike (status, content type, retry-after, body). The direct
// handler runs here on a server of its own that answers 599 for what it leaves to fastify, so the test also pins which
// requests it takes. And the app's own server: the direct handler sits in front of fastify's.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { addChannel, seedAccount, type SeededAccount } from '../helpers/relay.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import { directChatHandler } from '../../src/routes/v1/direct.js';
import { fastifyTrustProxy } from '../../src/config.js';
import { MAX_JSON_DEPTH } from '../../src/plugins/json-body.js';

const LEFT_TO_FASTIFY = 599;
const BODY_LIMIT = 65536;

interface Answer {
  status: number;
  type: string | undefined;
  retryAfter: string | undefined;
  body: string;
}

describe('direct chat route', () => {
  let t: TestApp;
  let up: FakeOpenAI;
  let direct: Server;
  let account: SeededAccount;
  let fenced: SeededAccount;
  let vipOnly: SeededAccount;

  beforeAll(async () => {
    up = await startFakeOpenAI({ keys: ['sk-upstream'] });
    t = await createTestApp('sqlite', { RELAY_BODY_LIMIT: String(BODY_LIMIT), TRUST_PROXY: 'loopback' });
    await t.ctx.db.prisma.group.create({ data: { name: 'vip', ratio: '2' } });
    await t.ctx.options.update({ modelRatios: { 'gpt-4o-mini': 1, 'vip-model': 1 } });
    await addChannel(t, { baseUrl: up.url, models: ['gpt-4o-mini'], groups: ['default'] });
    await addChannel(t, { baseUrl: up.url, models: ['vip-model'], groups: ['vip'] });
    account = await seedAccount(t);
    fenced = await seedAccount(t, { allowIps: ['10.1.2.3'] });
    vipOnly = await seedAccount(t, { quota: 1 });
    const handle = directChatHandler(t.app, {
      relay: t.relay,
      bodyLimit: BODY_LIMIT,
      trustProxy: fastifyTrustProxy(t.ctx.config.trustProxy),
      ajvOptions: { removeAdditional: false, coerceTypes: false, allErrors: false },
      log: t.app.log,
    });
    direct = createServer((req, res) => {
      if (!handle(req, res)) res.writeHead(LEFT_TO_FASTIFY).end();
    });
    await new Promise<void>((resolve) => direct.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => direct?.close(resolve));
    await t?.close();
    await up?.close();
  });

  const send = (path: string, headers: Record<string, string>, payload: string | Buffer): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const { port } = direct.address() as AddressInfo;
      const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, type: res.headers['content-type'], retryAfter: res.headers['retry-after'] as string | undefined, body: Buffer.concat(chunks).toString() }),
        );
      });
      req.on('error', reject);
      req.end(payload);
    });

  const both = async (payload: string, headers: Record<string, string> = {}, path = '/v1/chat/completions') => {
    const all = { 'content-type': 'application/json', authorization: `Bearer ${account.key}`, ...headers };
    const viaFastify = await t.app.inject({ method: 'POST', url: path, headers: all, payload });
    const fastify: Answer = {
      status: viaFastify.statusCode,
      type: viaFastify.headers['content-type'] as string | undefined,
      retryAfter: viaFastify.headers['retry-after'] as string | undefined,
      body: viaFastify.body,
    };
    return { fastify, direct: await send(path, { ...all, 'content-length': String(Buffer.byteLength(payload)) }, payload) };
  };

  const chat = (over: Record<string, unknown> = {}) => JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5, ...over });

  /** Taken by the direct route, and answered exactly as fastify answers it. */
  const same = async (payload: string, headers: Record<string, string> = {}) => {
    const r = await both(payload, headers);
    expect(r.direct.status).not.toBe(LEFT_TO_FASTIFY);
    expect(r.direct).toEqual(r.fastify);
    return r.direct;
  };

  it('refuses bad bodies exactly as the fastify route does', async () => {
    const deep = `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"x":${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}}`;
    const cases = [
      '{"model": "gpt-4o-mini", "messages": [',
      'null',
      '[]',
      '"text"',
      '{"__proto__": {"admin": true}, "model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}',
      '{"constructor": {"prototype": {"admin": true}}, "model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}',
      deep,
      chat({ model: undefined }),
      chat({ model: '' }),
      chat({ model: 42 }),
      chat({ messages: [] }),
      chat({ messages: 'Hi' }),
      chat({ messages: [{ role: 'wizard', content: 'Hi' }] }),
      chat({ messages: [{ content: 'Hi' }] }),
      chat({ max_tokens: 0 }),
      chat({ max_tokens: 1.5 }),
      chat({ max_tokens: '5' }),
      chat({ n: 200 }),
      chat({ stream: 'yes' }),
      chat({ stream_options: 'usage' }),
      chat({ tools: [{ function: {} }] }),
    ];
    for (const payload of cases) {
      const answer = await same(payload);
      expect(answer.status, payload.slice(0, 80)).toBe(400);
    }
  });

  it('refuses bad keys, fenced addresses and unreachable models exactly as the fastify route does', async () => {
    expect((await same(chat(), { authorization: '' })).status).toBe(401);
    expect((await same(chat(), { authorization: 'Bearer sk-not-a-key' })).status).toBe(401);
    expect((await same(chat(), { authorization: `Bearer ${t.adminKey}` })).status).toBe(401);
    expect((await same(chat(), { authorization: 'Basic abc' })).status).toBe(401);
    // The address behind a trusted proxy (TRUST_PROXY=loopback): the token allows only 10.1.2.3.
    expect((await same(chat(), { authorization: `Bearer ${fenced.key}` })).status).toBe(403);
    expect((await same(chat(), { authorization: `Bearer ${fenced.key}`, 'x-forwarded-for': '10.9.9.9' })).body).toContain('10.9.9.9');
    expect((await same(chat(), { authorization: `Bearer ${fenced.key}`, 'x-forwarded-for': '10.1.2.3' })).status).toBe(200);
    // Admission: a model of another group, a balance too small.
    expect((await same(chat({ model: 'vip-model' }))).status).toBe(403);
    expect((await same(chat(), { authorization: `Bearer ${vipOnly.key}` })).status).toBe(402);
  });

  it('answers good calls as the fastify route does, whole and streamed, with either JSON content type', async () => {
    for (const headers of [{}, { 'content-type': 'application/json; charset=utf-8' }, { 'content-type': 'Application/JSON' }] as Array<Record<string, string>>) {
      const { fastify, direct: d } = await both(chat(), headers);
      expect(d.status).toBe(200);
      expect(d.type).toBe(fastify.type);
      const [a, b] = [JSON.parse(fastify.body), JSON.parse(d.body)] as Array<Record<string, unknown>>;
      expect({ ...b, id: 'x', created: 0 }).toEqual({ ...a, id: 'x', created: 0 });
    }
    const { fastify, direct: d } = await both(chat({ stream: true, stream_options: { include_usage: true } }));
    expect(d.status).toBe(200);
    expect(d.type).toBe(fastify.type);
    const events = (body: string) => body.split('\n\n').filter(Boolean).map((e) => e.replace(/"(id|created)":\s*("[^"]*"|\d+)/g, ''));
    expect(events(d.body)).toEqual(events(fastify.body));
  });

  it('leaves to fastify what it does not take: other paths, a query, other content types, no or too long a body', async () => {
    const big = chat({ padding: 'x'.repeat(BODY_LIMIT) });
    const left = [
      await send('/v1/chat/completions?x=1', { 'content-type': 'application/json', 'content-length': String(chat().length) }, chat()),
      await send('/v1/completions', { 'content-type': 'application/json', 'content-length': String(chat().length) }, chat()),
      await send('/v1/chat/completions', { 'content-type': 'text/plain', 'content-length': String(chat().length) }, chat()),
      await send('/v1/chat/completions', { 'content-type': 'application/json', 'content-length': '0' }, ''),
      await send('/v1/chat/completions', { 'content-type': 'application/json', 'content-length': String(big.length) }, big),
      await send('/v1/chat/completions', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, chat()),
      await send('/v1/chat/completions', { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(chat().length) }, chat()),
    ];
    expect(left.map((a) => a.status)).toEqual(left.map(() => LEFT_TO_FASTIFY));
    // What fastify answers those (for the record: the app's server sends them there).
    expect((await t.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { 'content-type': 'application/json', authorization: `Bearer ${account.key}` }, payload: big })).statusCode).toBe(413);
  });

  it('drops a request whose client leaves halfway through its body: nothing is called, billed or crashed', async () => {
    const rowsBefore = await t.ctx.db.prisma.usageLog.count();
    const { port } = direct.address() as AddressInfo;
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const body = chat();
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nauthorization: Bearer ${account.key}\r\ncontent-length: ${body.length + 100}\r\n\r\n${body}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await send('/v1/chat/completions', { 'content-type': 'application/json', authorization: `Bearer ${account.key}`, 'content-length': String(body.length) }, body)).status).toBe(200);
    expect(await t.ctx.db.prisma.usageLog.count()).toBe(rowsBefore + 1); // the second request's row only
  });

  it('mirrors every hook the fastify route has: a hook added there must be added to direct.ts too', () => {
    const routes = t.app.printRoutes({ method: 'POST', includeHooks: true, commonPrefix: false }).split('\n');
    const at = routes.findIndex((line) => line.includes('/v1/chat/completions (POST)'));
    expect(at).toBeGreaterThanOrEqual(0);
    const hooks = [];
    for (let i = at + 1; i < routes.length && routes[i]!.includes('•'); i++) hooks.push(routes[i]!.replace(/^[│\s]*•\s*/, ''));
    expect(hooks).toEqual(['(onRequest) ["relayKeyAuth()"]']);
  });

  it('sits in front of fastify on the app’s own server', async () => {
    expect(t.app.server.listeners('request')).toHaveLength(1);
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const res = await fetch(`${address}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${account.key}` }, body: chat() });
    expect(res.status).toBe(200);
    const other = await fetch(`${address}/healthz`);
    expect(other.status).toBe(200);
  });
});
