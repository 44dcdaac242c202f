// What a query string may hold, decided for every route once, when it is registered (an onRoute hook), so a new route
// cannot forget it:
//
//   /api/…     strict. A route declares `schema.querystring` built with `Query({...})` (routes/api/schemas.ts), or it
//              accepts no query at all; a path with `:params` must declare `schema.params`. Registration fails otherwise.
//   /v1beta/…  Gemini's own parameters only: `key` and `alt` (json | sse); anything else is refused, as Google does.
//   /v1/…      ignored, as OpenAI ignores unknown query parameters (Azure-style clients append `api-version`).
//   `config: { signedQuery: true }`: a third party writes the query (a payment gateway's callback, whose signed
//              parameters grow with its extensions); it is taken as declared, and the handler verifies its signature.
//
// On strict routes a preValidation hook refuses unknown keys, repeated keys (`?a=1&a=2`) and array syntax (`?a[]=1`)
// with a 400 naming the key, before any value can reach a database filter, and turns "5" / "true" into numbers and
// booleans where the schema says so (ajv runs with coerceTypes: false, so a JSON body's "5" is never taken for 5).
// ajv then checks types and bounds as for a body.
import type { FastifyInstance, FastifyRequest, RouteOptions, preValidationHookHandler } from 'fastify';
import { Type } from 'typebox';
import { RelayError } from '../errors.js';

interface ObjectSchema {
  type?: unknown;
  properties?: Record<string, { type?: unknown }>;
  additionalProperties?: unknown;
}

/** The query of a route that takes none. */
export const NoQuery = Type.Object({}, { additionalProperties: false });

/** Gemini's query parameters (the key may come as `?key=`; the SDKs ask for `alt=sse` when streaming). */
export const GeminiQuery = Type.Object(
  {
    key: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    alt: Type.Optional(Type.Enum(['json', 'sse'])),
  },
  { additionalProperties: false },
);

type Policy = 'strict' | 'gemini' | 'ignored' | 'untouched';

function policyOf(url: string): Policy {
  if (url.startsWith('/api/')) return 'strict';
  if (url.startsWith('/v1beta/')) return 'gemini';
  if (url.startsWith('/v1/')) return 'ignored';
  return 'untouched'; // /healthz and the bots' webhooks: they read no query
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The query string is written and signed by a third party (payment callbacks): exempt from the strict rule. */
    signedQuery?: boolean;
  }
}

export function installQueryRules(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const policy = route.config?.signedQuery ? 'untouched' : policyOf(route.url);
    if (policy === 'ignored' || policy === 'untouched') return;
    const where = `${String(route.method)} ${route.url}`;
    const schema = { ...(route.schema ?? {}) };
    if (!schema.querystring) schema.querystring = policy === 'gemini' ? GeminiQuery : NoQuery;
    const query = schema.querystring as ObjectSchema;
    if (query.type !== 'object' || query.additionalProperties !== false) {
      throw new Error(`route ${where}: its querystring schema must be an object with additionalProperties: false (use Query() from routes/api/schemas.ts)`);
    }
    if (policy === 'strict' && route.url.includes(':') && !schema.params) {
      throw new Error(`route ${where}: a path with parameters must declare schema.params`);
    }
    route.schema = schema;
    const hooks = route.preValidation === undefined ? [] : Array.isArray(route.preValidation) ? route.preValidation : [route.preValidation];
    route.preValidation = [checkQueryAndParams as preValidationHookHandler, ...hooks];
  });
}

async function checkQueryAndParams(request: FastifyRequest): Promise<void> {
  const schema = request.routeOptions.schema;
  const query = schema?.querystring as ObjectSchema | undefined;
  const properties = query?.properties ?? {};
  const values = request.query as Record<string, unknown>;
  for (const [key, value] of Object.entries(values)) {
    if (!Object.hasOwn(properties, key)) throw unknownParameter(key, Object.keys(properties));
    if (typeof value !== 'string') {
      throw new RelayError('invalid_request', `query parameter "${key}" is given more than once; send it once`, 400, { param: key });
    }
  }
  request.query = coerce(values, properties);
  const params = (schema?.params as ObjectSchema | undefined)?.properties;
  if (params) request.params = coerce(request.params as Record<string, unknown>, params);
}

function unknownParameter(key: string, allowed: string[]): RelayError {
  const shown = key.length > 64 ? `${key.slice(0, 64)}…` : key;
  const arrayHint = key.includes('[') ? ' (array syntax is not supported: send the parameter once)' : '';
  const accepted = allowed.length ? `this route accepts ${allowed.join(', ')}` : 'this route takes no query parameters';
  return new RelayError('invalid_request', `unknown query parameter "${shown}"${arrayHint}; ${accepted}`, 400, { param: shown });
}

// Exactly a number/boolean as text, or left as text so ajv names the field ("5.5" fails an integer schema).
const INTEGER = /^-?\d{1,15}$/;
const NUMBER = /^-?\d{1,15}(\.\d{1,15})?$/;

function convert(text: string, type: unknown): unknown {
  if (type === 'integer' && INTEGER.test(text)) return Number(text);
  if (type === 'number' && NUMBER.test(text)) return Number(text);
  if (type === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

function coerce(values: Record<string, unknown>, properties: Record<string, { type?: unknown }>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...values };
  for (const [key, value] of Object.entries(out)) {
    const type = properties[key]?.type;
    if (typeof value === 'string' && type !== undefined) out[key] = convert(value, type);
  }
  return out;
}
