// What an OpenAI-family error answer means for routing. The canonical body is {error:{message,type,code,param}};
// compatible providers vary it ({error:"text"}, {message}, {object:"error",message}, {code:20015,message}), so the
// fields are looked for in each of those places. Never throws: a proxy's HTML page is still an answer to classify.
import type { UpstreamErrorInfo, UpstreamErrorKind } from '../types.js';
import { isRecord, snippet, stringOf, tryParseJson } from '../json.js';

interface ErrorFields {
  message: string | undefined;
  type: string | undefined;
  code: string | undefined;
}

/** Codes/types that mean the upstream account has no money left (OpenAI, Moonshot, DeepSeek, Zhipu 1113, DashScope). */
const NO_CREDIT = new Set([
  'insufficient_quota',
  'billing_hard_limit_reached',
  'billing_not_active',
  'exceeded_current_quota_error',
  'insufficient_balance',
  'insufficient_user_quota',
  'arrearage',
  '1113',
]);

/** Codes/types that mean the key itself is bad (OpenAI, Moonshot, DashScope, Zhipu 1000–1004). */
const INVALID_KEY = new Set([
  'invalid_api_key',
  'account_deactivated',
  'invalid_authentication_error',
  'invalid_authentication',
  'invalidapikey',
  'authentication_error',
  '1000',
  '1001',
  '1002',
  '1003',
  '1004',
]);

const RATE_LIMITED = new Set(['rate_limit_exceeded', 'rate_limit_error', 'rate_limit_reached_error']);
const OVERLOADED = new Set(['server_error', 'overloaded_error', 'engine_overloaded_error', 'service_unavailable']);

function codeString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** The error fields of a parsed body, or undefined when the body carries none. */
export function errorFieldsOf(body: unknown): ErrorFields | undefined {
  if (!isRecord(body)) return undefined;
  const inner = body.error;
  if (typeof inner === 'string') return { message: inner, type: undefined, code: codeString(body.code) };
  if (isRecord(inner)) {
    return {
      message: stringOf(inner.message) ?? stringOf(body.message),
      type: stringOf(inner.type),
      code: codeString(inner.code) ?? codeString(inner.status),
    };
  }
  const message = stringOf(body.message) ?? stringOf(body.detail);
  if (message === undefined) return undefined;
  return { message, type: stringOf(body.type), code: codeString(body.code) };
}

function matches(set: ReadonlySet<string>, fields: ErrorFields): boolean {
  return [fields.code, fields.type].some((v) => v !== undefined && set.has(v.toLowerCase()));
}

/** Status first where it is unambiguous, then the provider's code/type (which also classifies in-stream errors). */
export function kindOf(status: number, fields: ErrorFields): UpstreamErrorKind {
  if (matches(NO_CREDIT, fields) || status === 402) return 'no_credit';
  if (status === 401 || matches(INVALID_KEY, fields)) return 'invalid_key';
  if (fields.code === 'content_filter') return 'bad_request';
  if (status === 429 || matches(RATE_LIMITED, fields)) return 'rate_limited';
  if (status >= 500 || matches(OVERLOADED, fields)) return 'overloaded';
  if (status === 400 || status === 404 || status === 413 || status === 422) return 'bad_request';
  if (status < 400 && fields.type === 'invalid_request_error') return 'bad_request';
  return 'other';
}

/**
 * Without a readable body only the status speaks: a rejected key, no money, busy and throttled are unambiguous; any
 * other 4xx from an unreadable body is more likely a wrong base URL than the client's fault, so it is not bad_request.
 */
export function kindOfStatusOnly(status: number): UpstreamErrorKind {
  if (status === 401) return 'invalid_key';
  if (status === 402) return 'no_credit';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'overloaded';
  return 'other';
}

export function infoOf(status: number, fields: ErrorFields): UpstreamErrorInfo {
  const info: UpstreamErrorInfo = {
    kind: kindOf(status, fields),
    message: fields.message || `upstream answered HTTP ${status}`,
  };
  if (fields.type !== undefined) info.type = fields.type;
  if (fields.code !== undefined) info.code = fields.code;
  return info;
}

export function parseOpenAIError(status: number, bodyText: string): UpstreamErrorInfo {
  const fields = errorFieldsOf(tryParseJson(bodyText));
  if (fields) return infoOf(status, fields);
  const text = snippet(bodyText);
  return {
    kind: kindOfStatusOnly(status),
    message: text ? `upstream answered HTTP ${status}: ${text}` : `upstream answered HTTP ${status}`,
  };
}
