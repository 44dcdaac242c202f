// The three wire shapes of an error: OpenAI's, Anthropic's and Google's — as a response body, and as an event inside
// a stream that already started. Each client SDK switches on its own vocabulary (Anthropic on `error.type`, Google on
// `error.status`), so a RelayError is translated into it here, at the edge, and nowhere else.
import { RelayError, toWireError } from '../errors.js';
import { encodeSse } from './sse.js';

export type ErrorFormat = 'openai' | 'responses' | 'anthropic' | 'gemini';

/** Anthropic's error types (https://docs.anthropic.com/en/api/errors). */
export function anthropicErrorType(err: RelayError): string {
  switch (err.type) {
    case 'invalid_request_error':
    case 'authentication_error':
    case 'permission_error':
    case 'not_found_error':
    case 'rate_limit_error':
      return err.type;
    case 'insufficient_quota':
      return 'billing_error';
  }
  if (err.status === 413) return 'request_too_large';
  if (err.status === 429) return 'rate_limit_error';
  if (err.status === 503 || err.status === 529) return 'overloaded_error';
  if (err.status === 504) return 'timeout_error';
  if (err.status >= 400 && err.status < 500) return 'invalid_request_error';
  return 'api_error';
}

/** google.rpc status names by HTTP status, as the Gemini API reports them. */
export function googleStatus(status: number): string {
  const byStatus: Record<number, string> = {
    400: 'INVALID_ARGUMENT',
    401: 'UNAUTHENTICATED',
    402: 'RESOURCE_EXHAUSTED',
    403: 'PERMISSION_DENIED',
    404: 'NOT_FOUND',
    409: 'ABORTED',
    413: 'INVALID_ARGUMENT',
    429: 'RESOURCE_EXHAUSTED',
    499: 'CANCELLED',
    501: 'UNIMPLEMENTED',
    503: 'UNAVAILABLE',
    504: 'DEADLINE_EXCEEDED',
  };
  return byStatus[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION');
}

export function encodeError(err: RelayError, format: ErrorFormat = 'openai'): unknown {
  switch (format) {
    case 'openai':
    case 'responses':
      return toWireError(err);
    case 'anthropic':
      return { type: 'error', error: { type: anthropicErrorType(err), message: err.message, code: err.code } };
    case 'gemini':
      return { error: { code: err.status, message: err.message, status: googleStatus(err.status), reason: err.code } };
  }
}

/**
 * The error as an SSE event in the client's format, for a stream that already started. A Responses stream gets its
 * `error` event (type, code, message, param, and the next `sequence` number), which the SDKs turn into an error.
 */
export function inStreamError(err: RelayError, format: ErrorFormat, sequence = 0): string {
  if (format === 'responses') {
    const event = { type: 'error', code: err.code, message: err.message, param: typeof err.details.param === 'string' ? err.details.param : null, sequence_number: sequence };
    return encodeSse({ event: 'error', data: JSON.stringify(event) });
  }
  const body = JSON.stringify(encodeError(err, format));
  return format === 'anthropic' ? encodeSse({ event: 'error', data: body }) : encodeSse({ data: body });
}
