// Query strings and headers are validated like bodies: every /api route refuses unknown, repeated and array-syntax
// keys with a 400 naming the key, numbers have bounds, and nothing reaches a database filter unchecked (these used to
// be 500s from Prisma's `where`). The relay: /v1beta takes Gemini's `key` and `alt` only; /v1 ignores its query.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import Fastify from 'fastify';
import { Type } from 'typebox';
import { createTestApp, dbKinds, type TestApp } from '../helpers/context.js';
import { seedAccount, type SeededAccount } from '../helpers/relay.js';
import { installQueryRules } from '../../src/plugins/query-rules.js';
import { installErrorHandlers } from '../../src/plugins/error-handler.js';
import { Query } from '../../src/routes/api/schemas.js';
import { expectError } from './account-helpers.js';

interface OpenApiDoc {
  paths: Record<string, Record<string, unknown>>;
}

describe.each(dbKinds)('query strings on %s', (kind) => {
  let t: TestApp;
  let account: SeededAccount;
  /** Every /api route as [method, url with its path parameters filled in]. */
  let routes: Array<[string, string]>;

  beforeAll(async () => {
    t = await createTestApp(kind);
    account = await seedAccount(t);
    const doc = (await t.app.inject({ url: '/api/openapi.json' })).json() as OpenApiDoc;
    routes = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/api/')) // the document also has the relay and /healthz
      .flatMap(([path, methods]) =>
        Object.keys(methods).map((method): [string, string] => [method.toUpperCase(), path.replace('{id}', '1').replace('{name}', 'default')]),
      );
  });
  afterAll(async () => t?.close());

  const get = (url: string, headers: Record<string, string> = t.admin) => t.app.inject({ url, headers });

  it('every /api route refuses an unknown key, a repeated key and array syntax, naming the key', async () => {
    expect(routes.length).toBeGreaterThan(20);
    // The EPay gateway's callbacks are the one exception (config.signedQuery): the gateway writes and signs their
    // parameters, and the handler checks the signature (test/payments/epay.test.ts).
    const gatewayCallbacks = routes.filter(([, url]) => url.startsWith('/api/payments/epay/'));
    expect(gatewayCallbacks.length).toBe(3);
    for (const [method, url] of routes) {
      if (gatewayCallbacks.some(([m, u]) => m === method && u === url)) continue;
      const unknown = await t.app.inject({ method: method as 'GET', url: `${url}?bogus=1`, headers: t.admin });
      expect(expectError(unknown, 400, 'invalid_request', 'bogus').message, `${method} ${url}`).toMatch(/unknown query parameter "bogus"/);
      const array = await t.app.inject({ method: method as 'GET', url: `${url}?x[]=1`, headers: t.admin });
      expect(expectError(array, 400, 'invalid_request', 'x[]').message, `${method} ${url}`).toMatch(/array syntax is not supported/);
    }
  });

  it('the examples that used to be 500s on /api/logs are 400s naming the key', async () => {
    for (const [query, param] of [['format=csv', 'format'], ['OR=x', 'OR'], ['type[]=x', 'type[]'], ['limit=-1', 'limit']]) {
      const res = await get(`/api/logs?${query}`);
      expect(expectError(res, 400, 'invalid_request', param).message).toContain(`"${param}"`);
    }
    // The message lists what the route does accept.
    expect(expectError(await get('/api/logs?format=csv'), 400, 'invalid_request').message).toMatch(/accepts page, pageSize, userId/);
    expect(expectError(await get('/api/me?x=1'), 400, 'invalid_request', 'x').message).toMatch(/takes no query parameters/);
  });

  it('a repeated key is refused even when the route knows it', async () => {
    for (const url of ['/api/logs?pageSize=1&pageSize=2', '/api/logs?model=a&model=b', '/api/redemptions?name=a&name=b', '/api/tokens?userId=1&userId=1']) {
      expect(expectError(await get(url), 400, 'invalid_request').message).toMatch(/given more than once/);
    }
  });

  it('numbers have bounds and types, strings have lengths', async () => {
    const cases: Array<[string, string]> = [
      ['/api/logs?pageSize=0', 'pageSize'],
      ['/api/logs?pageSize=201', 'pageSize'],
      ['/api/logs?page=1000001', 'page'],
      ['/api/logs?page=-1', 'page'],
      ['/api/logs?userId=2147483648', 'userId'],
      ['/api/logs?userId=99999999999999999999', 'userId'],
      ['/api/logs?tokenId=1.5', 'tokenId'],
      ['/api/logs?channelId=abc', 'channelId'],
      ['/api/logs?type=bogus', 'type'],
      ['/api/logs?from=yesterday', 'from'],
      ['/api/logs?from=2026-02-30', 'from'], // not a day: Date would roll it over to March 2nd
      ['/api/stats?to=2026-13-01', 'to'],
      [`/api/logs?model=${'m'.repeat(201)}`, 'model'],
      ['/api/stats?by=week', 'by'],
      ['/api/tokens?userId=0', 'userId'],
      ['/api/channels?status=gone', 'status'],
      ['/api/users/2147483648', 'id'],
      ['/api/users/0', 'id'],
      ['/api/pricing?group=', 'group'],
    ];
    for (const [url, param] of cases) expectError(await get(url), 400, 'invalid_request', param);
  });

  it('valid queries still work (numbers and booleans as text are converted)', async () => {
    expect((await get('/api/logs?page=1&pageSize=5&userId=1&type=consume')).statusCode).toBe(200);
    expect((await get('/api/stats?by=model&from=2026-01-01')).statusCode).toBe(200);
    expect((await get('/api/users?page=1&pageSize=1')).json()).toMatchObject({ total: expect.any(Number) });
  });

  it('a malformed Authorization header is named, on /api and on the relay; an empty one is a missing key', async () => {
    for (const authorization of ['Basic dXNlcjpwYXNz', `Bearer ${t.adminKey} extra`, 'Token abc']) {
      const err = expectError(await get('/api/me', { authorization }), 401, 'invalid_key');
      expect(err.message).toMatch(/Authorization header must be "Bearer <key>"/);
      expect(err.message).not.toContain(t.adminKey);
    }
    expectError(await get('/api/me', { authorization: 'Bearer ' }), 401, 'missing_key');
    const relay = await t.app.inject({ url: '/v1/models', headers: { authorization: `Basic ${account.key}` } });
    expect(expectError(relay, 401, 'invalid_key').message).toMatch(/Authorization header must be/);
    // Node joins a repeated x-api-key with ", ": two keys are not one.
    const twice = await t.app.inject({ url: '/v1/models', headers: { 'x-api-key': `${account.key}, ${account.key}` } });
    expect(expectError(twice, 401, 'invalid_key').message).toMatch(/x-api-key header must hold exactly one key/);
    // A malformed header does not break a public route.
    expect((await get('/api/pricing', { authorization: 'Basic abc' })).statusCode).toBe(200);
  });

  it('/v1 ignores its query string, as OpenAI does; /v1beta takes key and alt only, in Google’s error shape', async () => {
    const models = await t.app.inject({ url: '/v1/models?api-version=2024-02-01&x[]=1&x[]=2', headers: { authorization: `Bearer ${account.key}` } });
    expect(models.statusCode).toBe(200);

    // The key is checked before the query (relay auth runs before the body and the query are validated): send a good
    // one in the header, so what is left to refuse is the query string.
    const gemini = (query: string, headers: Record<string, string> = { 'x-goog-api-key': account.key }) =>
      t.app.inject({
        method: 'POST',
        url: `/v1beta/models/m:generateContent?${query}`,
        headers: { 'content-type': 'application/json', ...headers },
        payload: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] },
      });
    for (const [query, param, message] of [
      [`key=${account.key}&key=${account.key}`, 'key', /given more than once/],
      ['alt=xml', 'alt', /alt must be equal to one of the allowed values: json, sse/],
      ['foo=1', 'foo', /unknown query parameter "foo"; this route accepts key, alt/],
      ['alt[]=sse', 'alt[]', /array syntax/],
    ] as const) {
      const res = await gemini(query);
      expect(res.statusCode, query).toBe(400);
      const body = res.json() as { error: { code: number; message: string; status: string; reason: string } };
      expect(body.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT', reason: 'invalid_request' });
      expect(body.error.message, param).toMatch(message);
      expect(body.error.message).not.toContain(account.key);
    }
    // A repeated ?key= with no header key is refused as such, not taken for a missing key.
    const twice = await gemini(`key=${account.key}&key=${account.key}`, {});
    expect(twice.statusCode).toBe(400);
    expect(twice.json().error.message).toMatch(/given more than once/);
    // key and alt=sse as the Google clients send them pass validation (here: on to "no channel for m").
    const ok = await gemini(`key=${account.key}&alt=sse`, {});
    expect(ok.statusCode).not.toBe(400);
  });
});

describe('query rules refuse to register a route that forgot them', () => {
  const build = () => {
    const app = Fastify();
    installErrorHandlers(app);
    installQueryRules(app);
    return app;
  };

  it('an /api route whose querystring schema allows other keys', async () => {
    const app = build();
    expect(() => app.get('/api/things', { schema: { querystring: Type.Object({ page: Type.Optional(Type.Integer()) }) } }, async () => ({}))).toThrow(
      /GET \/api\/things: its querystring schema must be an object with additionalProperties: false/,
    );
  });

  it('an /api route with path parameters but no params schema', async () => {
    const app = build();
    expect(() => app.get('/api/things/:id', async () => ({}))).toThrow(/GET \/api\/things\/:id: a path with parameters must declare schema.params/);
  });

  it('a route with no querystring schema takes no query; Query() declares one', async () => {
    const app = build();
    app.get('/api/plain', async () => ({ ok: true }));
    app.get('/api/paged', { schema: { querystring: Query({ n: Type.Optional(Type.Integer({ minimum: 1, maximum: 9 })) }) } }, async (request) => request.query);
    await app.ready();
    expect((await app.inject({ url: '/api/plain' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/plain?a=1' })).statusCode).toBe(400);
    expect((await app.inject({ url: '/api/paged?n=3' })).json()).toEqual({ n: 3 });
    expect((await app.inject({ url: '/api/paged?n=10' })).statusCode).toBe(400);
    await app.close();
  });
});
