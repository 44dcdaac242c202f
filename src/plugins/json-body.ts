// The JSON body parser of every route: fastify's own (so prototype-poisoning protection stays) plus a nesting limit.
// Deeply nested JSON parses fine but later breaks recursive code (JSON.stringify, tokenizers, schema translators) with
// a RangeError: a 500 for what is a bad request. So depth is refused here, once, in the route's own error format.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RelayError } from '../errors.js';

/**
 * Levels of objects and arrays inside each other (the body itself is level 1). Real tool schemas stay far below:
 * OpenAI's structured outputs allow 10 levels of nested objects (about 20 JSON levels, `properties` → name → schema),
 * and a chat request wraps a schema in about 5 more (`tools[0].function.parameters`).
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether `value` nests objects/arrays more than `limit` levels deep. Walks the parsed value, not the text, and stops
 * at the limit, so its recursion is bounded and its cost is one visit per node (nothing next to JSON.parse).
 */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (limit <= 0) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'object' && item !== null && nestsDeeperThan(item, limit - 1)) return true;
    }
    return false;
  }
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (typeof item === 'object' && item !== null && nestsDeeperThan(item, limit - 1)) return true;
  }
  return false;
}

type Done = (err: Error | null, body?: unknown) => void;

/**
 * Parses a JSON body as every route does: fastify's own parser (its errors; prototype poisoning refused), then the
 * nesting limit. Also used by the direct chat route (routes/v1/direct.ts), so both answer a bad body alike.
 */
export function jsonBodyParser(app: FastifyInstance): (body: string, done: Done) => void {
  const parse = app.getDefaultJsonParser('error', 'error');
  return (body, done) =>
    parse(undefined as unknown as FastifyRequest, body, (err: Error | null, value: unknown) => {
      if (err) return done(err);
      if (nestsDeeperThan(value, MAX_JSON_DEPTH)) {
        return done(new RelayError('invalid_request', `request body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`));
      }
      done(null, value);
    });
}

export function installJsonBodyParser(app: FastifyInstance): void {
  const parse = jsonBodyParser(app);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request: FastifyRequest, body: string, done: Done) => parse(body, done));
}
