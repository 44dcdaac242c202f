// The relay endpoints, authenticated by relay token (sk-…). Each client format is its own plugin.
import type { FastifyInstance } from 'fastify';
import type { RelayService } from '../../relay/service.js';
import { openaiRoutes } from './openai.js';
import { anthropicRoutes } from './anthropic.js';
import { geminiRoutes } from './gemini.js';
import { openaiExtraRoutes } from './openai-extra.js';
import { responsesRoutes } from './responses.js';
import { installRelayAuth } from './handle.js';
import { installDirectChatRoute, type DirectRouteOptions } from './direct.js';

const STRICTER_THAN_WARN = new Set(['error', 'fatal', 'silent']);

export async function relayRoutes(
  app: FastifyInstance,
  opts: { relay: RelayService; direct?: Omit<DirectRouteOptions, 'relay' | 'log'> },
): Promise<void> {
  // No access log lines for relay calls: each call already leaves its usage-log row (request id, latency, status), and
  // two log lines per call would cost more CPU than the rest of the relay's bookkeeping. Warnings and errors still log
  // (the relay logs them with the request id). One logger for every call, built once: fastify would otherwise build a
  // child logger per request, and a child with its own level is the expensive kind.
  const quiet = app.log.child({}, { level: STRICTER_THAN_WARN.has(app.log.level) ? app.log.level : 'warn' });
  app.setChildLoggerFactory(() => quiet);
  installRelayAuth(app, opts.relay);
  await app.register(openaiRoutes, opts);
  await app.register(anthropicRoutes, opts);
  await app.register(geminiRoutes, opts);
  await app.register(openaiExtraRoutes, opts);
  await app.register(responsesRoutes, opts);
  if (opts.direct) installDirectChatRoute(app, { ...opts.direct, relay: opts.relay, log: quiet });
}
