// One place turns every thrown error into the wire shape. Client mistakes (4xx) say what is wrong and, for a field,
// which one; anything unexpected is logged with the request id and answered with a generic 500 (no internals leak).
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RelayError, fromValidation, toWireError } from '../errors.js';
import { encodeError, type ErrorFormat } from '../relay/error-formats.js';
import { redactSecrets } from '../auth/redact.js';

export type { ErrorFormat };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which wire format errors take on this route (the native Anthropic/Gemini endpoints differ). */
    errorFormat?: ErrorFormat;
  }
}

export function toRelayError(err: FastifyError | RelayError | Error): RelayError | undefined {
  if (err instanceof RelayError) return err;
  const fe = err as FastifyError;
  if (fe.validation) {
    const first = fe.validation[0];
    const params = first?.params as { missingProperty?: string; additionalProperty?: string; allowedValues?: unknown[] } | undefined;
    const named = params?.missingProperty ?? params?.additionalProperty;
    const path = `${first?.instancePath ?? ''}${named ? `/${named}` : ''}`;
    const field = path.replace(/^\//, '').replace(/\//g, '.');
    const allowed = params?.allowedValues ? `: ${params.allowedValues.join(', ')}` : '';
    const what = params?.missingProperty ? 'is required' : params?.additionalProperty ? 'is not an allowed field' : `${first?.message ?? 'is invalid'}${allowed}`;
    return fromValidation(field ? `${field} ${what}` : `${fe.validationContext ?? 'body'} ${what}`, path);
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new RelayError('invalid_json', `request body is not valid JSON: ${fe.message}`);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new RelayError('body_too_large', 'request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new RelayError('invalid_request', `unsupported content type: ${fe.message}`, 415);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new RelayError('invalid_request', 'content-length does not match the body');
  }
  if (err instanceof SyntaxError && (fe.statusCode === 400)) {
    return new RelayError('invalid_json', `request body is not valid JSON: ${err.message}`);
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new RelayError(fe.statusCode === 429 ? 'rate_limited' : 'invalid_request', fe.message, fe.statusCode);
  }
  return undefined;
}

/**
 * What a thrown error is answered with: a client's mistake as the RelayError it is (one on the server's side also
 * logged as a warning); anything unexpected logged in full and answered with a generic 500 that names `requestId`.
 * The error handler below and the direct chat route (routes/v1/direct.ts) both answer through it.
 */
export function answerFor(err: Error, log: FastifyBaseLogger, requestId: string): RelayError {
  const relayErr = toRelayError(err);
  if (relayErr) {
    if (relayErr.status >= 500) log.warn({ code: relayErr.code }, relayErr.message);
    return relayErr;
  }
  log.error({ err, requestId }, 'unhandled error');
  return new RelayError('internal_error', `internal error (request id ${requestId})`);
}

/** Answers a request no route matched (the web console's SPA fallback) or returns false to let it be a 404. */
export type NotFoundFallback = (request: FastifyRequest, reply: FastifyReply) => boolean;

export function installErrorHandlers(app: FastifyInstance, notFoundFallback?: () => NotFoundFallback): void {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const format = request.routeOptions.config?.errorFormat ?? 'openai';
    const relayErr = answerFor(err, request.log, request.id);
    if (typeof relayErr.details.retryAfter === 'number') reply.header('retry-after', String(relayErr.details.retryAfter));
    return reply.status(relayErr.status).send(encodeError(relayErr, format));
  });

  app.setNotFoundHandler((request, reply) => {
    if (notFoundFallback?.()(request, reply)) return reply;
    const err = new RelayError('not_found', `no route ${request.method} ${redactSecrets(request.url.split('?')[0]!)}`);
    return reply.status(404).send(toWireError(err));
  });
}
