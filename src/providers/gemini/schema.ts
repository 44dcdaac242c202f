// JSON Schema (as OpenAI clients write it) → the OpenAPI-subset Schema Gemini accepts for function parameters and
// responseSchema. Gemini answers 400 to keywords outside its subset (additionalProperties, $schema, $ref, unsupported
// string formats, "required" naming missing properties, an OBJECT with empty properties), so this keeps only what it
// knows, inlines local $refs and folds type unions into `nullable`/`anyOf`.
import { isRecord } from '../json.js';

type Schema = Record<string, unknown>;

/** Keywords of Gemini's Schema message; everything else is dropped. */
const ALLOWED = new Set([
  'type',
  'format',
  'title',
  'description',
  'nullable',
  'enum',
  'maxItems',
  'minItems',
  'properties',
  'required',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'pattern',
  'example',
  'anyOf',
  'propertyOrdering',
  'default',
  'items',
  'minimum',
  'maximum',
]);

const FORMATS: Record<string, ReadonlySet<string>> = {
  string: new Set(['enum', 'date-time']),
  number: new Set(['float', 'double']),
  integer: new Set(['int32', 'int64']),
};

/** $ref chains deeper than this (or cycles) become a plain object rather than recursing forever. */
const MAX_REF_DEPTH = 8;

interface Walk {
  root: Schema;
  depth: number;
}

function resolveRef(ref: string, walk: Walk): Schema | undefined {
  const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
  if (!match) return undefined;
  const defs = walk.root[match[1] as string];
  const name = (match[2] as string).replace(/~1/g, '/').replace(/~0/g, '~');
  return isRecord(defs) && isRecord(defs[name]) ? defs[name] : undefined;
}

/** Folds `type: ["string","null"]` and `anyOf/oneOf: [X, {type:"null"}]` into Gemini's `nullable`. */
function normalizeUnions(schema: Schema): Schema {
  const out: Schema = { ...schema };
  if (Array.isArray(out.type)) {
    const types = out.type.filter((t): t is string => typeof t === 'string');
    const nonNull = types.filter((t) => t !== 'null');
    if (types.includes('null')) out.nullable = true;
    if (nonNull.length <= 1) out.type = nonNull[0];
    else {
      delete out.type;
      out.anyOf = nonNull.map((type) => ({ type }));
    }
  }
  const union = out.anyOf ?? out.oneOf;
  delete out.oneOf;
  if (Array.isArray(union)) {
    const members = union.filter(isRecord);
    const nonNull = members.filter((m) => m.type !== 'null');
    if (nonNull.length < members.length) out.nullable = true;
    if (nonNull.length === 1) {
      delete out.anyOf;
      return normalizeUnions({ ...(nonNull[0] as Schema), ...out });
    }
    out.anyOf = nonNull;
  }
  if (out.const !== undefined && out.enum === undefined) out.enum = [out.const];
  return out;
}

function clean(input: unknown, walk: Walk): Schema {
  if (!isRecord(input)) return {};
  let schema = input;
  if (typeof schema.$ref === 'string') {
    if (walk.depth >= MAX_REF_DEPTH) return { type: 'object' };
    const target = resolveRef(schema.$ref, walk);
    if (!target) return { type: 'object' };
    const { $ref: _ref, ...siblings } = schema;
    return clean({ ...target, ...siblings }, { ...walk, depth: walk.depth + 1 });
  }
  schema = normalizeUnions(schema);

  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (!ALLOWED.has(key)) continue;
    switch (key) {
      case 'properties': {
        if (!isRecord(value)) break;
        const props: Schema = {};
        for (const [name, sub] of Object.entries(value)) props[name] = clean(sub, walk);
        if (Object.keys(props).length > 0) out.properties = props;
        break;
      }
      case 'items':
        out.items = clean(Array.isArray(value) ? value[0] : value, walk);
        break;
      case 'anyOf':
        if (Array.isArray(value) && value.length > 0) out.anyOf = value.map((m) => clean(m, walk));
        break;
      case 'enum':
        // Gemini's enum is string-only.
        if (Array.isArray(value) && value.every((v) => typeof v === 'string')) out.enum = value;
        break;
      case 'format': {
        const allowed = typeof schema.type === 'string' ? FORMATS[schema.type] : undefined;
        if (typeof value === 'string' && allowed?.has(value)) out.format = value;
        break;
      }
      default:
        out[key] = value;
    }
  }
  if (Array.isArray(out.required)) {
    const names = isRecord(out.properties) ? Object.keys(out.properties) : [];
    const required = out.required.filter((n): n is string => typeof n === 'string' && names.includes(n));
    if (required.length > 0) out.required = required;
    else delete out.required;
  }
  if (out.enum !== undefined && out.type === undefined) out.type = 'string';
  return out;
}

/** A JSON Schema → Gemini Schema. */
export function toGeminiSchema(schema: unknown): Schema {
  return clean(schema, { root: isRecord(schema) ? schema : {}, depth: 0 });
}

/** Function parameters; undefined when the function takes none (Gemini rejects an OBJECT with no properties). */
export function toGeminiParameters(schema: unknown): Schema | undefined {
  const cleaned = toGeminiSchema(schema);
  if (cleaned.type === 'object' && cleaned.properties === undefined) return undefined;
  return Object.keys(cleaned).length > 0 ? cleaned : undefined;
}

/**
 * Gemini Schema → JSON Schema for OpenAI-format upstreams (inbound Gemini clients): type names lower-cased
 * ("OBJECT" → "object"), `nullable` folded into a type union, Gemini-only keywords dropped.
 */
export function fromGeminiSchema(input: unknown): Schema {
  if (!isRecord(input)) return {};
  const out: Schema = {};
  for (const [key, value] of Object.entries(input)) {
    switch (key) {
      case 'type':
        out.type = typeof value === 'string' ? value.toLowerCase() : value;
        break;
      case 'properties':
        if (isRecord(value)) {
          out.properties = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromGeminiSchema(v)]));
        }
        break;
      case 'items':
        out.items = fromGeminiSchema(value);
        break;
      case 'anyOf':
        if (Array.isArray(value)) out.anyOf = value.map(fromGeminiSchema);
        break;
      case 'nullable':
      case 'propertyOrdering':
        break;
      case 'format':
        if (value !== 'enum') out.format = value;
        break;
      default:
        out[key] = value;
    }
  }
  if (input.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  return out;
}
