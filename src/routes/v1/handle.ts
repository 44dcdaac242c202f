// Shared route plumbing for relay endpoints: authenticate (in an onRequest hook, before the body is read), hand the
// socket to an HttpSink, run the call, and make sure a refusal before anything was sent reaches the client in its own
// format.
import { newRequestId } from '../../relay/request-id.js';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RelayError } from '../../errors.js';
import type { ErrorFormat } from '../../plugins/error-handler.js';
import type { RelayService, CallRequest } from '../../relay/service.js';
import type { Payer } from '../../relay/call.js';
import type { ServerResponse } from 'node:http';
import { HttpSink, type ResponseSink } from '../../relay/sink.js';
import { bearerFrom } from '../../auth/secrets.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who pays for a relay call; set by the relay's auth hook before the body is read. */
    payer: Payer | null;
  }
}

/**
 * Authenticates every relay request by its key before fastify reads the body (up to RELAY_BODY_LIMIT): a request with a
 * missing or bad key is refused at once, in its route's error format (the error handler reads the route's config).
 */
export function installRelayAuth(app: FastifyInstance, relay: RelayService): void {
  app.decorateRequest('payer', null);
  // Named: test/relay/direct-route.test.ts checks that this is the one hook the chat route has (direct.ts mirrors it).
  app.addHook('onRequest', async function relayKeyAuth(request) {
    request.payer = await payerFor(relay, keyFrom(request), request.ip);
  });
}

/** Who pays for a call made with this relay key from this address (RelayErrors for a bad, disabled or foreign key). */
export async function payerFor(relay: RelayService, key: string | undefined, ip: string): Promise<Payer> {
  const token = await relay.tokens.authenticate(key, ip);
  return { userId: token.userId, token, group: token.group, source: 'api', admin: token.ownerIsAdmin };
}

/** Authorization: Bearer, x-api-key, x-goog-api-key, and on the Gemini routes also ?key= (as Google's SDKs send it). */
function keyFrom(request: FastifyRequest): string | undefined {
  const key = bearerFrom(request.headers);
  if (key || request.routeOptions.config.errorFormat !== 'gemini') return key;
  const query = (request.query as { key?: unknown } | undefined)?.key;
  if (Array.isArray(query)) {
    // The query rules refuse a repeated parameter too, but they run after authentication.
    throw new RelayError('invalid_request', 'query parameter "key" is given more than once; send it once', 400, { param: 'key' });
  }
  return typeof query === 'string' && query ? query : undefined;
}

/** The caller of a relay route (the auth hook has run). */
export function payerOf(request: FastifyRequest): Payer {
  return request.payer!;
}

export async function relayCall(
  relay: RelayService,
  reply: FastifyReply,
  format: ErrorFormat,
  req: Omit<CallRequest, 'id'>,
  /** Where the answer goes, when not the format's usual body or SSE stream (Gemini's JSON-array stream). */
  sinkFor: (res: ServerResponse, id: string) => ResponseSink = (res, id) => new HttpSink(res, format, id),
): Promise<void> {
  reply.hijack(); // from here on we own the socket; the sink writes to it
  await runRelayCall(relay, reply.raw, reply.log, format, req, sinkFor);
}

/** The call itself, on a response nobody else writes to (a hijacked reply, or the direct route's: direct.ts). */
export async function runRelayCall(
  relay: RelayService,
  res: ServerResponse,
  log: FastifyBaseLogger,
  format: ErrorFormat,
  req: Omit<CallRequest, 'id'>,
  sinkFor: (res: ServerResponse, id: string) => ResponseSink = (res, id) => new HttpSink(res, format, id),
): Promise<void> {
  const id = newRequestId();
  const sink = sinkFor(res, id);
  try {
    await relay.execute(Object.assign(req, { id }), sink); // req is the route's own fresh object
  } catch (err) {
    // Refused at admission (nothing reserved, nothing sent yet).
    const relayErr = err instanceof RelayError ? err : new RelayError('internal_error', `internal error (request id ${id})`);
    if (!(err instanceof RelayError)) log.error({ err, requestId: id }, 'relay admission failed');
    sink.fail(relayErr, () => '');
  }
}
