// Configuration comes from environment variables only, validated once at start.
// A bad value stops the process with a message that names the variable (ConfigError).
import { parseMasterKey } from './auth/secret-box.js';
import { isIpOrCidr } from './net/ip.js';

/**
 * Whose X-Forwarded-For the relay believes (it decides the client address for token allowIps and the login limit):
 * nobody (false), every hop (true: right only behind a proxy that overwrites the header, since anyone can send one),
 * the nearest N hops, or the listed proxy addresses/subnets (the safe choice: a hop not on the list ends the chain).
 */
export type TrustProxy = boolean | { hops: number } | { proxies: string[] };

export interface Config {
  port: number;
  host: string;
  /** `file:./data/relay.db` (SQLite, default) or `postgres://…` / `postgresql://…`. */
  databaseUrl: string;
  redisUrl: string | undefined;
  /** When set, this is the root's management key (scripted deployments, tests). */
  adminKey: string | undefined;
  logLevel: string;
  /** Upper bound of one relay request's body. */
  bodyLimitBytes: number;
  /** Holds older than this are treated as orphaned (their owner died) and released by the sweeper. */
  holdTtlMs: number;
  /** RELAY_SECRET_KEY: the master key that encrypts channel keys at rest (src/auth/master-key.ts). */
  secretKey: Buffer | undefined;
  /** Where the master key is kept when RELAY_SECRET_KEY is unset (created on the first SQLite start). */
  secretKeyFile: string;
  /** Trust X-Forwarded-For (behind a reverse proxy) for IP allow-lists and rate limits. */
  trustProxy: TrustProxy;
  /** GET /metrics on the main port with this Bearer token (docs/operations.md#metrics). */
  metricsToken: string | undefined;
  /** Serve GET /metrics on this port of its own (no token), bound to metricsHost. */
  metricsPort: number | undefined;
  metricsHost: string;
  telegram: { token: string; apiRoot: string | undefined; webhookUrl: string | undefined; webhookSecret: string | undefined } | undefined;
  discord: { token: string; applicationId: string; apiRoot: string | undefined; guildId: string | undefined } | undefined;
  qq: { appId: string; secret: string; token: string; sandbox: boolean } | undefined;
  onebot: { endpoint: string; token: string | undefined; selfId: string | undefined } | undefined;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = str(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function url(env: Env, name: string, schemes: string[]): string | undefined {
  const raw = str(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `is not a valid URL`);
  }
  if (!schemes.includes(parsed.protocol.replace(/:$/, ''))) {
    throw new ConfigError(name, `must use one of ${schemes.join(', ')}, got "${parsed.protocol}"`);
  }
  return raw;
}

/** Both or neither: a half-configured bot is a mistake the operator wants to hear about. */
function requireWith(env: Env, name: string, because: string): string {
  const value = str(env, name);
  if (!value) throw new ConfigError(name, `is required when ${because} is set`);
  return value;
}

/** proxy-addr's names for the usual private ranges, accepted in the TRUST_PROXY list. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const MAX_PROXY_HOPS = 32;

function trustProxy(env: Env): TrustProxy {
  const raw = str(env, 'TRUST_PROXY');
  if (raw === undefined) return false;
  const word = raw.toLowerCase();
  if (['true', 'yes', 'on'].includes(word)) return true;
  if (['false', 'no', 'off'].includes(word)) return false;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops > MAX_PROXY_HOPS) throw new ConfigError('TRUST_PROXY', `hop count must be at most ${MAX_PROXY_HOPS}, got ${raw}`);
    return hops === 0 ? false : { hops };
  }
  const proxies = raw.split(',').map((entry) => entry.trim());
  const wrong = proxies.find((entry) => !isIpOrCidr(entry) && !PROXY_RANGE_NAMES.has(entry.toLowerCase()));
  if (wrong !== undefined) {
    throw new ConfigError(
      'TRUST_PROXY',
      `must be true, false, a hop count (1, 2, …) or a comma-separated list of proxy addresses or subnets ` +
        `(e.g. 127.0.0.1,10.0.0.0/8, or loopback); "${wrong}" is none of these`,
    );
  }
  return { proxies: proxies.map((entry) => (PROXY_RANGE_NAMES.has(entry.toLowerCase()) ? entry.toLowerCase() : entry)) };
}

/**
 * fastify's trustProxy option for a TrustProxy. fastify refuses a bare number (it cannot check the nearest peer), so a
 * hop count is given as the classic function "trust the nearest N hops", which is only sound when the relay can be
 * reached through the proxies alone (docs/api.md says so).
 */
export function fastifyTrustProxy(trust: TrustProxy): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust === 'boolean') return trust;
  if ('proxies' in trust) return trust.proxies;
  const { hops } = trust;
  return (_address, hop) => hop < hops;
}

export function loadConfig(env: Env = process.env): Config {
  const databaseUrl = str(env, 'DATABASE_URL') ?? 'file:./data/relay.db';
  if (!/^(file:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', 'must be file:<path> (SQLite) or postgres://… (PostgreSQL)');
  }
  const adminKey = str(env, 'RELAY_ADMIN_KEY');
  if (adminKey !== undefined && adminKey.length < 16) {
    throw new ConfigError('RELAY_ADMIN_KEY', 'must be at least 16 characters');
  }
  if (adminKey?.startsWith('sk-')) {
    throw new ConfigError('RELAY_ADMIN_KEY', 'must not start with "sk-" (that prefix is reserved for relay tokens)');
  }
  const secretKeyText = str(env, 'RELAY_SECRET_KEY');
  const secretKey = secretKeyText === undefined ? undefined : parseMasterKey(secretKeyText);
  if (secretKeyText !== undefined && !secretKey) {
    throw new ConfigError(
      'RELAY_SECRET_KEY',
      'must be 32 random bytes as base64 (44 characters) or hex (64 characters); generate one with `openssl rand -base64 32`',
    );
  }
  const logLevel = str(env, 'LOG_LEVEL') ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of fatal, error, warn, info, debug, trace, silent`);
  }

  const metricsToken = str(env, 'METRICS_TOKEN');
  if (metricsToken !== undefined && metricsToken.length < 16) throw new ConfigError('METRICS_TOKEN', 'must be at least 16 characters');
  const telegramToken = str(env, 'TELEGRAM_BOT_TOKEN');
  const discordToken = str(env, 'DISCORD_BOT_TOKEN');
  const qqAppId = str(env, 'QQ_APP_ID');
  const onebotEndpoint = url(env, 'ONEBOT_ENDPOINT', ['ws', 'wss']);

  return {
    port: int(env, 'PORT', 3000, 0, 65535),
    host: str(env, 'HOST') ?? '0.0.0.0',
    databaseUrl,
    redisUrl: url(env, 'REDIS_URL', ['redis', 'rediss']),
    adminKey,
    logLevel,
    bodyLimitBytes: int(env, 'RELAY_BODY_LIMIT', 20 * 1024 * 1024, 1024, 512 * 1024 * 1024),
    holdTtlMs: int(env, 'RELAY_HOLD_TTL_SECONDS', 15 * 60, 60, 7 * 24 * 3600) * 1000,
    secretKey,
    secretKeyFile: str(env, 'RELAY_SECRET_KEY_FILE') ?? './data/secret.key',
    trustProxy: trustProxy(env),
    metricsToken,
    metricsPort: str(env, 'METRICS_PORT') === undefined ? undefined : int(env, 'METRICS_PORT', 0, 0, 65535),
    metricsHost: str(env, 'METRICS_HOST') ?? '127.0.0.1',
    telegram: telegramToken
      ? {
          token: telegramToken,
          apiRoot: url(env, 'TELEGRAM_API_ROOT', ['http', 'https']),
          webhookUrl: url(env, 'TELEGRAM_WEBHOOK_URL', ['https', 'http']),
          webhookSecret: str(env, 'TELEGRAM_WEBHOOK_SECRET'),
        }
      : undefined,
    discord: discordToken
      ? {
          token: discordToken,
          applicationId: requireWith(env, 'DISCORD_APPLICATION_ID', 'DISCORD_BOT_TOKEN'),
          apiRoot: url(env, 'DISCORD_API_ROOT', ['http', 'https']),
          guildId: str(env, 'DISCORD_GUILD_ID'),
        }
      : undefined,
    qq: qqAppId
      ? {
          appId: qqAppId,
          secret: requireWith(env, 'QQ_SECRET', 'QQ_APP_ID'),
          token: requireWith(env, 'QQ_TOKEN', 'QQ_APP_ID'),
          sandbox: bool(env, 'QQ_SANDBOX', false),
        }
      : undefined,
    onebot: onebotEndpoint
      ? { endpoint: onebotEndpoint, token: str(env, 'ONEBOT_TOKEN'), selfId: str(env, 'ONEBOT_SELF_ID') }
      : undefined,
  };
}
