// The service's shared parts, built once in server.ts (or by the test helper) and passed explicitly to every route
// plugin and bot: no global service locator.
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config.js';
import type { Db } from './db/client.js';
import type { InvalidationBus } from './cache/bus.js';
import type { OptionsStore } from './services/options.js';
import type { SecretBox } from './auth/secret-box.js';
import type { GuessLimiters } from './services/auth.js';
import type { RateLimitStore } from './rate-limit/store.js';
import type { Metrics } from './metrics/metrics.js';

export interface AppContext {
  config: Config;
  db: Db;
  bus: InvalidationBus;
  options: OptionsStore;
  log: FastifyBaseLogger;
  /** Seals and opens secrets stored in the database (channel keys) with the master key kept outside it. */
  secrets: SecretBox;
  /** Wrong-guess limits for passwords and codes, shared by the API and the bots (counted in `rateLimits`). */
  guesses: GuessLimiters;
  /** Where every limit counts: Redis when REDIS_URL is set (shared by all instances), else this process's memory. */
  rateLimits: RateLimitStore;
  /** Prometheus counters of this process (src/metrics/). */
  metrics: Metrics;
}
