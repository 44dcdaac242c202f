// Shared route plumbing for relay endpoints: authenticate, hand the socket to an HttpSink, run the call, and make sure a
// refusal before anything was sent reaches the client in its own format.
import { newRequestId } from '../../relay/request-id.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RelayError } from '../../errors.js';
import type { ErrorFormat } from '../../plugins/error-handler.js';
import type { RelayService, CallRequest } from '../../relay/service.js';
import type { Payer } from '../../relay/call.js';
import { HttpSink } from '../../relay/sink.js';

export async function payerOf(relay: RelayService, request: FastifyRequest, headers = request.headers): Promise<Payer> {
  const token = await relay.tokens.authenticate(headers, request.ip);
  return { userId: token.userId, token, group: token.group, source: 'api' };
}

export async function relayCall(
  relay: RelayService,
  reply: FastifyReply,
  format: ErrorFormat,
  req: Omit<CallRequest, 'id'>,
): Promise<void> {
  const id = newRequestId();
  reply.hijack(); // from here on we own the socket; the sink writes to it
  const sink = new HttpSink(reply.raw, format, id);
  try {
    await relay.execute(Object.assign(req, { id }), sink); // req is the route's own fresh object
  } catch (err) {
    // Refused at admission (nothing reserved, nothing sent yet).
    const relayErr = err instanceof RelayError ? err : new RelayError('internal_error', `internal error (request id ${id})`);
    if (!(err instanceof RelayError)) reply.log.error({ err, requestId: id }, 'relay admission failed');
    sink.fail(relayErr, () => '');
  }
}
