// The OpenAPI document (/api/openapi.json): the management API from its TypeBox route schemas, the relay (/v1,
// /v1beta) and /healthz from routes/v1/openapi-docs.ts. Every route under those paths is in it, whatever its schema says
// (an undocumented one with a generated operationId), and every operation has an operationId, so client generators
// work. Only routes outside them (the console's pages, chat platforms' webhooks) may hide. The routes registered are
// kept (documentedRoutes) so a test can hold the document against them.
import type { FastifyInstance, RouteOptions } from 'fastify';
import swagger from '@fastify/swagger';
import { RELAY_DOCS } from '../routes/v1/openapi-docs.js';

const routesOf = new WeakMap<FastifyInstance, Array<{ method: string; url: string }>>();

/** A path of the API (documented whatever its schema says), as opposed to the console's pages or a bot's webhook. */
const isApiPath = (url: string) => url === '/healthz' || url.startsWith('/api/') || url.startsWith('/v1/') || url.startsWith('/v1beta/');

/** "getApiUsersId" for GET /api/users/:id: unique per method and path. */
export function generatedOperationId(method: string, url: string): string {
  const words = url.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return method.toLowerCase() + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

export async function installOpenApi(app: FastifyInstance): Promise<void> {
  const routes: Array<{ method: string; url: string }> = [];
  routesOf.set(app, routes);
  app.addHook('onRoute', (route: RouteOptions) => {
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD' && isApiPath(route.url)) routes.push({ method, url: route.url });
    }
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'relay-station',
        version: '0.1.0',
        description:
          'The management API (/api, a management key) and the relay (/v1: OpenAI and Anthropic wire formats; /v1beta and /v1/models/{model}:…: Gemini), keyed by a relay key. See docs/api.md.',
      },
      // Relative: the origin the document was fetched from (the relay serves both APIs on one port).
      servers: [{ url: '/', description: 'this relay' }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'a management key on /api; a relay key (sk-…) on /v1 and /v1beta' },
          xApiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'a relay key, as Anthropic clients send it' },
          googApiKey: { type: 'apiKey', in: 'header', name: 'x-goog-api-key', description: 'a relay key, as Google clients send it' },
          googKeyQuery: { type: 'apiKey', in: 'query', name: 'key', description: 'a relay key in the query (Gemini routes)' },
        },
      },
      security: [{ bearer: [] }],
    },
    transform: ({ schema, url, route }) => {
      const method = [route.method].flat().find((m) => m !== 'HEAD') ?? 'GET';
      if (!isApiPath(url)) return { schema, url };
      const { hide: _hidden, ...rest } = (schema ?? {}) as Record<string, unknown>;
      const doc = RELAY_DOCS[`${method} ${url}`];
      const merged: Record<string, unknown> = { ...rest, ...doc };
      merged.operationId ??= generatedOperationId(method, url);
      return { schema: merged as typeof schema, url };
    },
  });
}

/** Every route (method, fastify path) under the API's paths, as registered: what the document must cover. */
export function documentedRoutes(app: FastifyInstance): ReadonlyArray<{ method: string; url: string }> {
  return routesOf.get(app) ?? [];
}
