// Reading a Gemini request body. Google's REST API accepts proto field names in camelCase and snake_case alike
// (its own curl examples send "inline_data"/"mime_type"/"system_instruction"), so every lookup tries both.
// Validation failures name the field the way the client wrote the body: contents[2].parts[0].inlineData.data.
import { RelayError } from '../../../errors.js';
import { isRecord } from '../../../providers/json.js';

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** obj.fooBar ?? obj.foo_bar */
export function field(obj: Record<string, unknown>, camelName: string): unknown {
  return obj[camelName] ?? obj[snakeCase(camelName)];
}

export function invalid(message: string, param: string): RelayError {
  return new RelayError('invalid_request', message, 400, { param });
}

export function requireRecord(value: unknown, param: string): Record<string, unknown> {
  if (!isRecord(value)) throw invalid(`${param} must be an object`, param);
  return value;
}

export function requireArray(value: unknown, param: string, nonEmpty = false): unknown[] {
  if (!Array.isArray(value)) throw invalid(`${param} must be an array`, param);
  if (nonEmpty && value.length === 0) throw invalid(`${param} must not be empty`, param);
  return value;
}

export function requireString(value: unknown, param: string): string {
  if (typeof value !== 'string') throw invalid(`${param} must be a string`, param);
  return value;
}

export function optionalString(value: unknown, param: string): string | undefined {
  return value === undefined || value === null ? undefined : requireString(value, param);
}

export function optionalNumber(value: unknown, param: string, integer = false): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw invalid(`${param} must be ${integer ? 'an integer' : 'a number'}`, param);
  }
  return value;
}

export function optionalRecord(value: unknown, param: string): Record<string, unknown> | undefined {
  return value === undefined || value === null ? undefined : requireRecord(value, param);
}
