// Field checks for the /v1/messages body. Each failure is a 400 that names the field with a dotted path
// ("messages.2.content.0.type"), the same convention as fromValidation in src/errors.ts.
import { RelayError } from '../../../errors.js';
import { isRecord, type JsonObject } from '../../../providers/json.js';

export function invalid(param: string, reason: string): RelayError {
  return new RelayError('invalid_request', `${param}: ${reason}`, 400, { param });
}

export function requireRecord(value: unknown, param: string): JsonObject {
  if (!isRecord(value)) throw invalid(param, 'must be an object');
  return value;
}

export function requireString(value: unknown, param: string): string {
  if (typeof value !== 'string') throw invalid(param, 'must be a string');
  return value;
}

export function requireNonEmptyString(value: unknown, param: string): string {
  if (typeof value !== 'string' || value === '') throw invalid(param, 'must be a non-empty string');
  return value;
}

export function optionalString(value: unknown, param: string): string | undefined {
  return value === undefined || value === null ? undefined : requireString(value, param);
}

export function optionalNumber(value: unknown, param: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(param, 'must be a number');
  return value;
}

export function optionalBoolean(value: unknown, param: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalid(param, 'must be a boolean');
  return value;
}

export function requireArray(value: unknown, param: string): unknown[] {
  if (!Array.isArray(value)) throw invalid(param, 'must be an array');
  return value;
}

/** A content block: an object with a string `type`. */
export function requireBlock(value: unknown, param: string): JsonObject & { type: string } {
  const block = requireRecord(value, param);
  if (typeof block.type !== 'string') throw invalid(`${param}.type`, 'must be a string');
  return block as JsonObject & { type: string };
}
