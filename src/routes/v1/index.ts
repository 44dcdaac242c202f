// The relay endpoints, authenticated by relay token (sk-…). Each client format is its own plugin.
import type { FastifyInstance } from 'fastify';
import type { RelayService } from '../../relay/service.js';
import { openaiRoutes } from './openai.js';
import { anthropicRoutes } from './anthropic.js';
import { geminiRoutes } from './gemini.js';
import { openaiExtraRoutes } from './openai-extra.js';

export async function relayRoutes(app: FastifyInstance, opts: { relay: RelayService }): Promise<void> {
  await app.register(openaiRoutes, opts);
  await app.register(anthropicRoutes, opts);
  await app.register(geminiRoutes, opts);
  await app.register(openaiExtraRoutes, opts);
}
