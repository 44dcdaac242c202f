// /api/openapi.json describes everything a client can call: the management API, the relay (/v1, /v1beta) and /healthz,
// each operation with an operationId, plus servers. Checked with a standard validator, and against the routes the app
// actually registered (so a new route cannot be left out).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import SwaggerParser from '@apidevtools/swagger-parser';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { documentedRoutes } from '../../src/plugins/openapi.js';

type Operation = { operationId?: string; security?: unknown[]; responses?: Record<string, unknown>; requestBody?: unknown };
type Doc = { openapi: string; servers?: Array<{ url: string }>; paths: Record<string, Record<string, Operation>> };

describe('the OpenAPI document', () => {
  let t: TestApp;
  let doc: Doc;

  beforeAll(async () => {
    t = await createTestApp('sqlite');
    const res = await t.app.inject({ url: '/api/openapi.json' });
    expect(res.statusCode).toBe(200);
    doc = res.json() as Doc;
  });
  afterAll(async () => t?.close());

  it('is a valid OpenAPI 3.0 document (swagger-parser), with servers', async () => {
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
    expect(doc.openapi).toBe('3.0.3');
    expect(doc.servers).toEqual([{ url: '/', description: 'this relay' }]);
  });

  it('has every registered route, each operation with its own operationId', () => {
    const routes = documentedRoutes(t.app);
    expect(routes.length).toBeGreaterThan(60);
    const missing = routes.filter(({ method, url }) => !doc.paths[url.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()]);
    expect(missing).toEqual([]);
    const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((op) => op.operationId));
    expect(ids.filter((id) => !id)).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('describes the relay and /healthz: their operations, keys and wire formats', () => {
    const op = (path: string, method: string) => doc.paths[path]?.[method];
    const expected: Array<[string, string, string]> = [
      ['/healthz', 'get', 'getHealth'],
      ['/v1/chat/completions', 'post', 'createChatCompletion'],
      ['/v1/completions', 'post', 'createCompletion'],
      ['/v1/embeddings', 'post', 'createEmbedding'],
      ['/v1/models', 'get', 'listModels'],
      ['/v1/models/{model}', 'get', 'retrieveModel'],
      ['/v1/models/{model}', 'post', 'geminiModelMethodV1'],
      ['/v1/messages', 'post', 'createMessage'],
      ['/v1/messages/count_tokens', 'post', 'countMessageTokens'],
      ['/v1/images/generations', 'post', 'createImage'],
      ['/v1/audio/speech', 'post', 'createSpeech'],
      ['/v1/audio/transcriptions', 'post', 'createTranscription'],
      ['/v1/moderations', 'post', 'createModeration'],
      ['/v1/rerank', 'post', 'rerank'],
      ['/v1beta/models', 'get', 'geminiListModels'],
      ['/v1beta/models/{model}', 'get', 'geminiGetModel'],
      ['/v1beta/models/{model}', 'post', 'geminiModelMethodV1beta'],
      ['/api/openapi.json', 'get', 'getOpenApiDocument'],
    ];
    for (const [path, method, id] of expected) expect(op(path, method)?.operationId, `${method} ${path}`).toBe(id);
    // Streams are described, and the keys each client sends; /healthz needs none.
    const chat = op('/v1/chat/completions', 'post')!;
    expect(Object.keys((chat.responses!['200'] as { content: object }).content)).toEqual(['application/json', 'text/event-stream']);
    expect(chat.requestBody).toMatchObject({ content: { 'application/json': { schema: { required: expect.arrayContaining(['model', 'messages']) } } } });
    expect(op('/v1beta/models/{model}', 'post')!.security).toEqual([{ googApiKey: [] }, { googKeyQuery: [] }, { bearer: [] }]);
    expect(op('/healthz', 'get')!.security).toEqual([]);
    // Management routes keep their generated ids.
    expect(op('/api/users/{id}', 'get')?.operationId).toBe('getApiUsersId');
  });
});
