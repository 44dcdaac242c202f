// The one HTTP client for upstream calls: an undici Agent keeps a keep-alive connection pool per upstream origin.
// Timeouts: `headersTimeout` bounds connect + time to the response head (first byte); `bodyTimeout` bounds silence
// between body chunks; an AbortSignal cancels everything (client disconnect, total timeout).
import { Agent, request, errors as undiciErrors, type Dispatcher } from 'undici';
import type { UpstreamRequest, ChannelConfig } from '../providers/types.js';

export const DEFAULT_FIRST_BYTE_TIMEOUT_MS = 120_000;
export const DEFAULT_TOTAL_TIMEOUT_MS = 600_000;
const IDLE_BODY_TIMEOUT_MS = 120_000;

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
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
  readonly agent: Agent;

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
   * `maxHeadersMs`: the response head must come within this too (the attempt's time left), whatever the channel says.
   * Without `signal` (the relay's own calls: listening to a signal costs a bench-visible share of a call), the caller
   * stops a call by destroying the body.
   */
  async send(req: UpstreamRequest, config: ChannelConfig, signal?: AbortSignal, maxHeadersMs = Infinity): Promise<UpstreamResponse> {
    try {
      const res = await request(req.url, {
        dispatcher: this.agent,
        method: req.method,
        headers: req.headers,
        body: req.form ?? req.body,
        ...(signal ? { signal } : {}),
        headersTimeout: Math.min(config.firstByteTimeoutMs ?? DEFAULT_FIRST_BYTE_TIMEOUT_MS, maxHeadersMs),
        bodyTimeout: IDLE_BODY_TIMEOUT_MS,
      });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    } catch (err) {
      throw classify(err, signal);
    }
  }

  close(): Promise<void> {
    return this.agent.close();
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

/**
 * Reads at most `limit` bytes of a response's body (we never buffer unbounded upstream output). A body that announces
 * its length within the limit is read in one go by undici (the usual JSON answer); otherwise chunk by chunk, counting.
 */
export async function readBytes(res: UpstreamResponse, limit = 1024 * 1024): Promise<Buffer> {
  const { body } = res;
  if (fitsDeclared(res, limit)) return Buffer.from(await body.arrayBuffer());
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) {
      body.destroy();
      break;
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

export async function readText(res: UpstreamResponse, limit = 1024 * 1024): Promise<string> {
  if (fitsDeclared(res, limit)) return res.body.text();
  return (await readBytes(res, limit)).toString('utf8');
}

/** The upstream announced a plain Content-Length within the limit. */
function fitsDeclared(res: UpstreamResponse, limit: number): boolean {
  const value = res.headers['content-length'];
  return typeof value === 'string' && /^\d{1,15}$/.test(value) && Number(value) <= limit;
}
