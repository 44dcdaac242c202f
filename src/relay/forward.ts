// The one HTTP client for upstream calls: an undici Agent keeps a keep-alive connection pool per upstream origin.
// Timeouts: `headersTimeout` bounds connect + time to the response head (first byte); `bodyTimeout` bounds silence
// between body chunks; an AbortSignal (or destroying the body) cancels the rest.
//
// Requests go through undici's `dispatch` with a handler of our own (upstream-body.ts) rather than `request()`: the
// relay reads an answer whole or chunk by chunk, and undici's Readable body (stream machinery, its own promises) cost
// about a quarter of a bare proxy's CPU per call on top of that (docs/performance.md).
import type { IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import type { Agent as UndiciAgent, errors as UndiciErrors } from 'undici';
import type { UpstreamRequest, ChannelConfig } from '../providers/types.js';
import { UpstreamBody } from './upstream-body.js';

export { UpstreamBody };

// The Agent and the error classes come from their own modules: undici's index also loads fetch, WebSocket,
// EventSource, caches and mocks, ~2.5 MB of heap (measured) that the upstream client never uses. Same classes: any
// later import of the index reuses these modules.
const requireUndici = createRequire(import.meta.url);
const Agent = requireUndici('undici/lib/dispatcher/agent.js') as typeof UndiciAgent;
const undiciErrors = requireUndici('undici/lib/core/errors.js') as typeof UndiciErrors;

export const DEFAULT_FIRST_BYTE_TIMEOUT_MS = 120_000;
export const DEFAULT_TOTAL_TIMEOUT_MS = 600_000;
const IDLE_BODY_TIMEOUT_MS = 120_000;
/** Printable ASCII without spaces or a fragment: sent as written. */
const PLAIN_PATH = /^[!-"$-~]*$/;

export interface UpstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: UpstreamBody;
}

export type FailureKind = 'connect' | 'timeout' | 'aborted' | 'network';

/** "We could not reach them" (as opposed to "they said no", which is a status code). */
export class UpstreamUnreachable extends Error {
  override name = 'UpstreamUnreachable';
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message);
  }
}

export class Forwarder {
  readonly agent: UndiciAgent;
  /** "scheme://host[:port]" as written in a URL → its origin; a relay talks to a handful of upstreams. */
  readonly #origins = new Map<string, string>();

  constructor(opts: { connections?: number } = {}) {
    this.agent = new Agent({
      connections: opts.connections ?? 256,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      pipelining: 1,
      connect: { timeout: 10_000 },
    });
  }

  /**
   * Resolves with the response head; the body follows through `body`. `maxHeadersMs`: the head must come within this
   * too (the attempt's time left), whatever the channel says. Without `signal` (the relay's own calls: listening to a
   * signal costs a bench-visible share of a call), the caller stops a call by destroying the body.
   */
  send(req: UpstreamRequest, config: ChannelConfig, signal?: AbortSignal, maxHeadersMs = Infinity): Promise<UpstreamResponse> {
    let origin: string;
    let path: string;
    try {
      ({ origin, path } = this.#split(req.url));
    } catch (err) {
      return Promise.reject(classify(err, signal));
    }
    if (signal?.aborted) return Promise.reject(classify(signal.reason, signal));
    return new Promise<UpstreamResponse>((resolve, reject) => {
      const body = new UpstreamBody(
        (status, headers) => resolve({ status, headers, body }),
        (err) => reject(classify(err, signal)),
        signal,
      );
      this.agent.dispatch(
        {
          origin,
          path,
          method: req.method,
          headers: req.headers,
          body: req.form ?? req.body ?? null,
          headersTimeout: Math.min(config.firstByteTimeoutMs ?? DEFAULT_FIRST_BYTE_TIMEOUT_MS, maxHeadersMs),
          bodyTimeout: IDLE_BODY_TIMEOUT_MS,
        },
        body,
      );
    });
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  /**
   * A URL's origin and path with its query, as `new URL()` would give them (undici's request() parsed each URL so).
   * The origin is parsed once per upstream; a path of plain printable ASCII without dot segments is taken as written,
   * anything else is normalised by the URL parser (percent-encoding, dot segments).
   */
  #split(url: string): { origin: string; path: string } {
    const scheme = url.indexOf('://');
    let end = scheme < 0 ? -1 : scheme + 3;
    while (end >= 0 && end < url.length && url[end] !== '/' && url[end] !== '?') end++;
    const head = end < 0 ? url : url.slice(0, end);
    let origin = this.#origins.get(head);
    if (origin === undefined) {
      const parsed = new URL(head);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TypeError(`unsupported protocol ${parsed.protocol}`);
      if (parsed.username || parsed.password || parsed.hash) throw new TypeError('invalid upstream URL');
      origin = parsed.origin;
      if (this.#origins.size >= 1000) this.#origins.clear();
      this.#origins.set(head, origin);
    }
    const rest = end < 0 ? '' : url.slice(end);
    if (PLAIN_PATH.test(rest) && !rest.includes('/.')) return { origin, path: rest[0] === '/' ? rest : `/${rest}` };
    const parsed = new URL(url);
    return { origin, path: parsed.pathname + parsed.search };
  }
}

export function classify(err: unknown, signal?: AbortSignal): UpstreamUnreachable {
  if (err instanceof UpstreamUnreachable) return err;
  const e = err as { code?: string; message?: string; name?: string };
  if (signal?.aborted) {
    const reason = signal.reason as { name?: string } | undefined;
    if (reason?.name === 'TimeoutError') return new UpstreamUnreachable('timeout', 'upstream timed out');
    return new UpstreamUnreachable('aborted', 'request aborted');
  }
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError || e.code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new UpstreamUnreachable('timeout', `upstream timed out (${e.code ?? e.name})`);
  }
  if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN' || e.code === 'ECONNRESET' || e.code === 'UND_ERR_SOCKET') {
    return new UpstreamUnreachable('connect', `could not reach upstream (${e.code})`);
  }
  return new UpstreamUnreachable('network', `upstream request failed: ${e.message ?? String(err)}`);
}

/** Reads at most `limit` bytes of a response's body (we never buffer unbounded upstream output). */
export function readBytes(res: UpstreamResponse, limit = 1024 * 1024): Promise<Buffer> {
  return res.body.bytes(limit);
}

export function readText(res: UpstreamResponse, limit = 1024 * 1024): Promise<string> {
  return res.body.text(limit);
}
