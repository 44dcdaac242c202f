// POST /v1/chat/completions, the relay's busiest route, served straight from node's HTTP server when the request is
// plain: exactly that path (no query string), a JSON body of a stated length within the limit, no content encoding,
// and the server not closing. Everything else goes to fastify as before.
//
// Why: fastify's per-request machinery (its request and reply objects, hook runners, router, content-type parser and
// response listeners) measured ~4–5% of the relay's CPU per call (docs/performance.md, "Fastify's share"). What the
// route needs is kept, from the same code the fastify route runs: the relay key checked before the body is read
// (payerFor), the body parsed by fastify's own JSON parser and nesting limit (jsonBodyParser), validated against the
// route's schema by fastify's own validator compiler with the app's Ajv options, the call built by chatCall, errors
// shaped by the error handler's answerFor in the route's format, and the client's address read as fastify reads it
// behind trusted proxies. test/relay/direct-route.test.ts sends every kind of request both ways (fastify's inject and
// this route over a socket) and requires the same status, headers and body.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { AjvCompiler } from '@fastify/ajv-compiler';
import proxyAddr from '@fastify/proxy-addr';
import type { RelayService } from '../../relay/service.js';
import type { ChatRequest } from '../../providers/types.js';
import { encodeError } from '../../relay/error-formats.js';
import { answerFor } from '../../plugins/error-handler.js';
import { jsonBodyParser } from '../../plugins/json-body.js';
import { bearerFrom } from '../../auth/secrets.js';
import { newRequestId } from '../../relay/request-id.js';
import { ChatBody, chatCall } from './openai.js';
import { payerFor, runRelayCall } from './handle.js';

const PATH = '/v1/chat/completions';
const JSON_TYPES = new Set(['application/json', 'application/json; charset=utf-8']);

export interface DirectRouteOptions {
  relay: RelayService;
  bodyLimit: number;
  /** fastify's trustProxy option, as the app was built with it. */
  trustProxy: boolean | string[] | ((address: string, hop: number) => boolean);
  /** The Ajv options fastify validates with (its `ajv.customOptions`). */
  ajvOptions: Record<string, unknown>;
  log: FastifyBaseLogger;
}

/**
 * Puts the direct route in front of fastify on the app's own server: a request it takes never reaches fastify, any
 * other goes on to fastify's handler unchanged.
 */
export function installDirectChatRoute(app: FastifyInstance, opts: DirectRouteOptions): void {
  const handle = directChatHandler(app, opts);
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true; // fastify answers requests that arrive while it closes (503): leave them to it
    done();
  });
  const server = app.server;
  const fastifyHandlers = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  if (fastifyHandlers.length !== 1) throw new Error(`expected fastify's one request listener, found ${fastifyHandlers.length}`);
  const fastifyHandler = fastifyHandlers[0]!;
  server.removeListener('request', fastifyHandler);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (closing || !handle(req, res)) fastifyHandler(req, res);
  });
}

/** Returns whether it took the request (then it answers it); false leaves the request untouched. */
export function directChatHandler(app: FastifyInstance, opts: DirectRouteOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { relay, bodyLimit, log } = opts;
  const parse = jsonBodyParser(app);
  const validate = AjvCompiler()({}, { customOptions: opts.ajvOptions })({ schema: ChatBody, method: 'POST', url: PATH, httpPart: 'body' });
  const clientIp = ipReader(opts.trustProxy);

  const fail = (res: ServerResponse, err: unknown) => {
    // As the error handler (plugins/error-handler.ts) answers on the fastify route, in the OpenAI format.
    const relayErr = answerFor(err as Error, log, newRequestId());
    const body = JSON.stringify(encodeError(relayErr, 'openai'));
    const headers: Record<string, string | number> = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) };
    if (typeof relayErr.details.retryAfter === 'number') headers['retry-after'] = String(relayErr.details.retryAfter);
    res.writeHead(relayErr.status, headers).end(body);
  };

  const serve = async (req: IncomingMessage, res: ServerResponse, length: number) => {
    let payer;
    try {
      payer = await payerFor(relay, bearerFrom(req.headers), clientIp(req));
    } catch (err) {
      return fail(res, err); // the body is left unread; node discards it
    }
    const text = await readBody(req, length);
    if (text === undefined) return; // the client went away while sending it
    let body: unknown;
    let invalid: Error | null = null;
    parse(text, (err, value) => {
      invalid = err;
      body = value;
    });
    if (invalid) return fail(res, invalid);
    if (!validate(body)) return fail(res, Object.assign(new Error('body is invalid'), { validation: validate.errors, validationContext: 'body' }));
    await runRelayCall(relay, res, log, 'openai', chatCall(payer, body as ChatRequest));
  };

  return (req, res) => {
    if (req.method !== 'POST' || req.url !== PATH) return false;
    const headers = req.headers;
    const type = headers['content-type'];
    if (type === undefined || !JSON_TYPES.has(type.toLowerCase())) return false;
    if (headers['content-encoding'] !== undefined || headers['transfer-encoding'] !== undefined) return false;
    const stated = headers['content-length'];
    // An empty body, an oversized one or a length fastify would question: fastify's answer is the reference.
    if (stated === undefined || !/^[1-9]\d{0,9}$/.test(stated)) return false;
    const length = Number(stated);
    if (length > bodyLimit) return false;
    serve(req, res, length).catch((err: unknown) => {
      if (!res.headersSent) fail(res, err);
      else res.destroy();
    });
    return true;
  };
}

/** The body as text, or undefined when the request ends early (the client left). Node holds it to the stated length. */
function readBody(req: IncomingMessage, length: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
    });
    req.on('end', () => resolve(received === length ? (chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, received).toString('utf8')) : undefined));
    // An error or 'close' without a whole body (after 'end' the promise is settled already): the client left. The
    // error listener also keeps a reset connection from being an unhandled 'error' event.
    req.on('error', () => resolve(undefined));
    req.on('close', () => resolve(undefined));
  });
}

/** The client's address as fastify's request.ip gives it (lib/request.js): through the trusted proxies, or the socket's. */
function ipReader(trust: DirectRouteOptions['trustProxy']): (req: IncomingMessage) => string {
  if (trust === false) return (req) => req.socket.remoteAddress ?? '';
  const trusted = typeof trust === 'function' ? trust : trust === true ? () => true : proxyAddr.compile(trust);
  return (req) => {
    const all = proxyAddr.all(req, trusted);
    return all[all.length - 1] ?? '';
  };
}
