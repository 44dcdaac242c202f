// Every error the service answers with has a stable code, an HTTP status and an OpenAI-style type, kept in one table.
// Clients and tests match on `code`, never on the message. The wire shape is built only at the edge
// (src/relay/error-formats.ts), so the same RelayError becomes an OpenAI, Anthropic or Gemini body.

export const ERRORS = {
  // 400: the request itself is wrong
  invalid_json: { status: 400, type: 'invalid_request_error' },
  invalid_request: { status: 400, type: 'invalid_request_error' },
  model_not_priced: { status: 400, type: 'invalid_request_error' },
  content_filtered: { status: 400, type: 'invalid_request_error' },
  unsupported_image: { status: 400, type: 'invalid_request_error' },
  image_fetch_refused: { status: 400, type: 'invalid_request_error' },
  invalid_code: { status: 400, type: 'invalid_request_error' },
  // 401/403: who you are and what you may do
  missing_key: { status: 401, type: 'authentication_error' },
  invalid_key: { status: 401, type: 'authentication_error' },
  key_expired: { status: 401, type: 'authentication_error' },
  key_disabled: { status: 401, type: 'authentication_error' },
  account_disabled: { status: 403, type: 'permission_error' },
  relay_token_on_api: { status: 401, type: 'authentication_error' },
  forbidden: { status: 403, type: 'permission_error' },
  ip_not_allowed: { status: 403, type: 'permission_error' },
  model_not_allowed: { status: 403, type: 'permission_error' },
  model_not_in_group: { status: 403, type: 'permission_error' },
  group_not_allowed: { status: 403, type: 'permission_error' },
  // 402/429: money and pace
  token_quota_exhausted: { status: 402, type: 'insufficient_quota' },
  account_quota_exhausted: { status: 402, type: 'insufficient_quota' },
  rate_limited: { status: 429, type: 'rate_limit_error' },
  // 404/409/413
  not_found: { status: 404, type: 'not_found_error' },
  model_not_found: { status: 404, type: 'not_found_error' },
  conflict: { status: 409, type: 'invalid_request_error' },
  already_redeemed: { status: 409, type: 'invalid_request_error' },
  body_too_large: { status: 413, type: 'invalid_request_error' },
  // 5xx: somebody else's fault, said so
  no_channel: { status: 503, type: 'service_unavailable' },
  not_configured: { status: 503, type: 'service_unavailable' },
  upstream_error: { status: 502, type: 'upstream_error' },
  upstream_timeout: { status: 504, type: 'upstream_error' },
  internal_error: { status: 500, type: 'server_error' },
} as const satisfies Record<string, { status: number; type: string }>;

export type ErrorCode = keyof typeof ERRORS;

export class RelayError extends Error {
  override name = 'RelayError';
  readonly status: number;
  readonly type: string;

  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Override the table's status (upstream errors keep a sensible mapping of the upstream's status). */
    status?: number,
    /** Extra fields for the body (e.g. `param` naming the bad field, `upstream_status`). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.status = status ?? ERRORS[code].status;
    this.type = ERRORS[code].type;
  }
}

export interface WireError {
  error: { message: string; type: string; code: string; param?: string | null; [k: string]: unknown };
}

export function toWireError(err: RelayError): WireError {
  return { error: { message: err.message, type: err.type, code: err.code, ...err.details } };
}

/** A fastify/ajv validation failure names the field: "body/quota must be integer" → param "quota". */
export function fromValidation(message: string, instancePath: string | undefined): RelayError {
  const param = instancePath?.replace(/^\//, '').replace(/\//g, '.') || undefined;
  return new RelayError('invalid_request', message, 400, param ? { param } : {});
}
