// What a Gemini error means. Google's body is google.rpc.Status: {error:{code,message,status,details}}. A bad key is
// a 400 INVALID_ARGUMENT whose details carry ErrorInfo reason API_KEY_INVALID, so the reason is checked before the status.
import type { UpstreamErrorInfo, UpstreamErrorKind } from '../types.js';
import { kindOfStatusOnly } from '../openai/errors.js';
import { isRecord, snippet, stringOf, tryParseJson } from '../json.js';

const KEY_REASONS = new Set(['API_KEY_INVALID', 'API_KEY_SERVICE_BLOCKED', 'API_KEY_HTTP_REFERRER_BLOCKED', 'CONSUMER_SUSPENDED']);

/** ErrorInfo reasons found in details[]. */
function reasonsOf(details: unknown): string[] {
  if (!Array.isArray(details)) return [];
  return details.flatMap((d) => (isRecord(d) && typeof d.reason === 'string' ? [d.reason] : []));
}

function kindOf(status: number, rpcStatus: string | undefined, reasons: string[], message: string): UpstreamErrorKind {
  if (reasons.some((r) => KEY_REASONS.has(r))) return 'invalid_key';
  if (status === 401 || status === 403 || rpcStatus === 'UNAUTHENTICATED' || rpcStatus === 'PERMISSION_DENIED') {
    return 'invalid_key';
  }
  // "Gemini API free tier is not available in your country. Please enable billing on your project."
  if (rpcStatus === 'FAILED_PRECONDITION' && /billing/i.test(message)) return 'no_credit';
  if (status === 429 || rpcStatus === 'RESOURCE_EXHAUSTED') return 'rate_limited';
  if (status >= 500 || rpcStatus === 'UNAVAILABLE' || rpcStatus === 'INTERNAL' || rpcStatus === 'DEADLINE_EXCEEDED') {
    return 'overloaded';
  }
  if (status === 400 || status === 404 || rpcStatus === 'INVALID_ARGUMENT' || rpcStatus === 'NOT_FOUND') {
    return 'bad_request';
  }
  return 'other';
}

/** Classifies a parsed error object (from an error answer, or a `data:` event inside a stream). */
export function geminiErrorInfo(status: number, body: unknown): UpstreamErrorInfo | undefined {
  // Some proxies wrap the Status in a one-element array.
  const root = Array.isArray(body) ? body[0] : body;
  if (!isRecord(root) || !isRecord(root.error)) return undefined;
  const error = root.error;
  const rpcStatus = stringOf(error.status);
  const httpStatus = typeof error.code === 'number' && status < 400 ? error.code : status;
  const reasons = reasonsOf(error.details);
  const message = stringOf(error.message) || `upstream answered HTTP ${httpStatus}`;
  const info: UpstreamErrorInfo = { kind: kindOf(httpStatus, rpcStatus, reasons, message), message };
  if (rpcStatus) info.type = rpcStatus;
  const code = reasons[0] ?? rpcStatus;
  if (code) info.code = code;
  return info;
}

export function parseGeminiError(status: number, bodyText: string): UpstreamErrorInfo {
  const info = geminiErrorInfo(status, tryParseJson(bodyText));
  if (info) return info;
  const text = snippet(bodyText);
  return { kind: kindOfStatusOnly(status), message: text ? `upstream answered HTTP ${status}: ${text}` : `upstream answered HTTP ${status}` };
}
