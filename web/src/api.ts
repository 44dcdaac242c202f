// The console's only way to the server: same-origin fetch with the session cookie (which page scripts cannot read) and
// the x-relay-console header the server requires of cookie-authenticated changes (CSRF). Errors become ApiError with
// the API's stable code and the field it names, so forms can show them next to that field.
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The field the error is about (`error.param`), e.g. "quota" or "modelRatios.gpt-4o". */
    readonly param: string | undefined,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Query = Record<string, string | number | boolean | undefined | null>;

export function queryString(query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** Told when a call finds the session gone (expired, revoked): the app shows the sign-in page. */
let onSignedOut: () => void = () => {};
export const setSignedOutHandler = (handler: () => void) => {
  onSignedOut = handler;
};

const SIGNED_OUT = new Set(['missing_key', 'invalid_key', 'key_expired']);

export async function api<T>(method: string, path: string, opts: { body?: unknown; query?: Query; signal?: AbortSignal } = {}): Promise<T> {
  const headers: Record<string, string> = { 'x-relay-console': '1', accept: 'application/json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`/api${path}${queryString(opts.query)}`, {
      method,
      headers,
      credentials: 'same-origin',
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'network_error', (err as Error).message, undefined);
  }
  if (response.status === 204) return undefined as T;
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const error = (body as { error?: Record<string, unknown> } | undefined)?.error ?? {};
    const { code, message, param, type: _type, ...details } = error;
    const apiError = new ApiError(
      response.status,
      typeof code === 'string' ? code : 'internal_error',
      typeof message === 'string' ? message : response.statusText,
      typeof param === 'string' ? param : undefined,
      details,
    );
    if (response.status === 401 && SIGNED_OUT.has(apiError.code) && path !== '/auth/session') onSignedOut();
    throw apiError;
  }
  return body as T;
}

export const get = <T,>(path: string, query?: Query, signal?: AbortSignal) => api<T>('GET', path, { query, signal });
export const post = <T,>(path: string, body?: unknown) => api<T>('POST', path, { body: body ?? {} });
export const patch = <T,>(path: string, body: unknown) => api<T>('PATCH', path, { body });
export const put = <T,>(path: string, body: unknown) => api<T>('PUT', path, { body });
export const del = <T = void,>(path: string) => api<T>('DELETE', path);

/** A download URL for a GET route (the browser sends the cookie; CSV export). */
export const downloadUrl = (path: string, query?: Query) => `/api${path}${queryString(query)}`;
