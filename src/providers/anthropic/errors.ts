// What an Anthropic error means for routing. Body: {type:'error', error:{type, message}}
// (https://platform.claude.com/docs/en/api/errors). Classified by the error type first, by the HTTP status when the
// type is unknown or the body unreadable. Never throws.
import type { UpstreamErrorInfo, UpstreamErrorKind } from '../types.js';
import { isRecord } from '../json.js';

const KIND_BY_TYPE = new Map<string, UpstreamErrorKind>([
  ['authentication_error', 'invalid_key'],
  ['permission_error', 'invalid_key'],
  ['billing_error', 'no_credit'],
  ['rate_limit_error', 'rate_limited'],
  ['overloaded_error', 'overloaded'],
  ['api_error', 'overloaded'],
  ['timeout_error', 'overloaded'],
  ['invalid_request_error', 'bad_request'],
  ['not_found_error', 'bad_request'],
  ['request_too_large', 'bad_request'],
]);

// Out of money arrives as a 400 invalid_request_error; only the message tells it apart. Spend limits the account
// owner set behave the same way for us: the key cannot be used until someone acts.
const NO_CREDIT_MESSAGE = /credit balance is too low|reached your specified (?:\w+ )*API usage limits|spend limit/i;

function kindOfStatus(status: number | undefined): UpstreamErrorKind {
  if (status === undefined) return 'other';
  if (status === 401 || status === 403) return 'invalid_key';
  if (status === 402) return 'no_credit';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'overloaded'; // includes Anthropic's 529 "overloaded"
  if (status >= 400) return 'bad_request';
  return 'other';
}

/** Classifies an error Anthropic described (also used for in-stream `error` events, which carry no status). */
export function anthropicErrorInfo(type: string | undefined, message: string, status?: number): UpstreamErrorInfo {
  const byType = type === undefined ? undefined : KIND_BY_TYPE.get(type);
  const kind = NO_CREDIT_MESSAGE.test(message) ? 'no_credit' : (byType ?? kindOfStatus(status));
  return type ? { kind, message, type } : { kind, message };
}

/** Reads `{type:'error', error:{type, message}}` (or a bare `{error:{...}}` from proxies in front of Anthropic). */
export function readErrorBody(body: unknown): { type?: string; message: string } | undefined {
  if (!isRecord(body) || !isRecord(body.error) || typeof body.error.message !== 'string') return undefined;
  const type = typeof body.error.type === 'string' ? body.error.type : undefined;
  return type ? { type, message: body.error.message } : { message: body.error.message };
}

export function parseAnthropicError(status: number, bodyText: string): UpstreamErrorInfo {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    parsed = undefined;
  }
  const described = readErrorBody(parsed);
  if (described) return anthropicErrorInfo(described.type, described.message, status);

  const snippet = bodyText.replace(/\s+/g, ' ').trim().slice(0, 200);
  const message = snippet
    ? `Anthropic upstream answered HTTP ${status} with an unreadable body: ${snippet}`
    : `Anthropic upstream answered HTTP ${status} with an empty body`;
  return { kind: kindOfStatus(status), message };
}
