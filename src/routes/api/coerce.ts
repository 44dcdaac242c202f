// Path parameters and query strings arrive as text, but the app's ajv runs with coerceTypes: false (so a JSON body's
// "5" is never taken for 5). This hook converts params/querystring values whose schema says integer, number or boolean
// before validation, and only when the text is exactly such a value ("5.5" stays text and fails an integer schema,
// naming the field), so routes can declare `id: Type.Integer()` and have it documented and checked as one.
import type { FastifyInstance, FastifyRequest } from 'fastify';

interface PropertySchema {
  type?: unknown;
}

const INTEGER = /^-?\d{1,15}$/;
const NUMBER = /^-?\d{1,15}(\.\d{1,15})?$/;

function convert(text: string, type: unknown): unknown {
  if (type === 'integer' && INTEGER.test(text)) return Number(text);
  if (type === 'number' && NUMBER.test(text)) return Number(text);
  if (type === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

function coerce(values: unknown, schema: unknown): unknown {
  const properties = (schema as { properties?: Record<string, PropertySchema> } | undefined)?.properties;
  if (!properties || typeof values !== 'object' || values === null) return values;
  const out: Record<string, unknown> = { ...(values as Record<string, unknown>) };
  for (const [key, value] of Object.entries(out)) {
    const type = properties[key]?.type;
    if (typeof value === 'string' && type !== undefined) out[key] = convert(value, type);
  }
  return out;
}

/** Adds the conversion to every route of `instance` (call it inside a route plugin; it stays encapsulated there). */
export function coerceParamsAndQuery(instance: FastifyInstance): void {
  instance.addHook('preValidation', async (request: FastifyRequest) => {
    const schema = request.routeOptions.schema;
    if (!schema) return;
    if (schema.params) request.params = coerce(request.params, schema.params);
    if (schema.querystring) request.query = coerce(request.query, schema.querystring);
  });
}
