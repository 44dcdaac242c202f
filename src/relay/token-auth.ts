// Relay-token authentication on the hot path. A token is looked up once (one indexed join) and cached by its key hash;
// any change to tokens, users or groups (this instance or another, via the InvalidationBus) drops the cache, and a short
// TTL bounds staleness if an invalidation is ever lost. Unknown keys are cached negatively for a few seconds so a flood of
// bad keys cannot turn into a flood of queries. A token carries no balance: balances are the ledger's, which checks them
// at every reservation (the SQLite ledger from a balance cache of its own, see docs/billing.md#reservation).
import ipaddr from 'ipaddr.js';
import type { Db } from '../db/client.js';
import type { InvalidationBus } from '../cache/bus.js';
import { RelayError } from '../errors.js';
import { hashSecret } from '../auth/secrets.js';
import { parseStringList } from '../services/service-utils.js';
import { isAdminRole, mayUseGroup } from '../services/permissions.js';
import { query, sqlGet, type Row, type Sql } from '../db/sql.js';

export interface RelayToken {
  id: number;
  userId: number;
  name: string;
  /** The token has its own quota limit (remainQuota) besides the account's. */
  limited: boolean;
  expiresAt: number | null;
  /** Allowed models; null = every model of the group. */
  models: Set<string> | null;
  allowIps: IpMatcher | null;
  /** The token's group override, else the owner's group. */
  group: string;
  status: string;
  userStatus: string;
  /** The owner is an admin or the root: relay errors show them what the upstream said (keys scrubbed). */
  ownerIsAdmin: boolean;
  /** Rate limits of this token (null = unlimited; the group's apply as well): src/relay/rate-limits.ts. */
  rpm: number | null;
  tpm: number | null;
  maxConcurrent: number | null;
}

type IpMatcher = (ip: string) => boolean;

const FIND_TOKEN = query(
  `SELECT t."id", t."userId", t."name", t."unlimited", t."expiresAt", t."models", t."allowIps", t."group" AS "tokenGroup",
     t."rpm", t."tpm", t."maxConcurrent",
     g."userSelectable" AS "tokenGroupSelectable", t."status", u."group" AS "userGroup", u."role" AS "userRole",
     u."status" AS "userStatus"
   FROM "Token" t JOIN "User" u ON u."id" = t."userId" LEFT JOIN "Group" g ON g."name" = t."group"
   WHERE t."keyHash" = ?`,
  toToken,
);

const TTL_MS = 60_000;
const NEGATIVE_TTL_MS = 5_000;
const MAX_ENTRIES = 50_000;

export function compileIpMatcher(entries: string[]): IpMatcher | null {
  if (entries.length === 0) return null;
  const ranges = entries.map((e) => (e.includes('/') ? ipaddr.parseCIDR(e) : ([ipaddr.parse(e), ipaddr.parse(e).kind() === 'ipv4' ? 32 : 128] as [ipaddr.IPv4 | ipaddr.IPv6, number])));
  return (ip: string) => {
    if (!ipaddr.isValid(ip)) return false;
    let addr = ipaddr.parse(ip);
    if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
    return ranges.some(([range, bits]) => range.kind() === addr.kind() && addr.match(range, bits));
  };
}

function toToken(row: Row): RelayToken {
  const models = parseStringList(row.string('models'));
  let allowIps: IpMatcher | null = null;
  try {
    allowIps = compileIpMatcher(parseStringList(row.string('allowIps')));
  } catch {
    allowIps = () => false; // an unparsable allow-list admits nobody rather than everybody
  }
  return {
    id: row.int('id'),
    userId: row.int('userId'),
    name: row.string('name'),
    limited: !row.bool('unlimited'),
    expiresAt: row.timeOrNull('expiresAt'),
    models: models.length ? new Set(models) : null,
    allowIps,
    group: tokenGroupIfApplies(row) ?? row.string('userGroup'),
    status: row.string('status'),
    userStatus: row.string('userStatus'),
    ownerIsAdmin: isAdminRole(row.string('userRole')),
    rpm: row.intOrNull('rpm'),
    tpm: row.intOrNull('tpm'),
    maxConcurrent: row.intOrNull('maxConcurrent'),
  };
}

/**
 * A token's own group applies only while its owner may still choose it (permissions.ts mayUseGroup): an owner moved
 * out of `vip`, a group closed to users, an admin demoted — the token falls back to the owner's group, and gets the
 * override back if the owner regains it. Judged here rather than by rewriting tokens when rights change, because
 * every such change already drops this cache.
 */
function tokenGroupIfApplies(row: Row): string | undefined {
  const tokenGroup = row.stringOrNull('tokenGroup');
  const selectable = row.boolOrNull('tokenGroupSelectable'); // null: no such group (any more)
  if (!tokenGroup || selectable === null) return undefined;
  const owner = { role: row.string('userRole'), group: row.string('userGroup') };
  return mayUseGroup(owner, { name: tokenGroup, userSelectable: selectable }) ? tokenGroup : undefined;
}

export class TokenAuth {
  #cache = new Map<string, { token: RelayToken | null; until: number }>();
  readonly #sql: Sql;

  constructor(db: Db, bus: InvalidationBus) {
    this.#sql = db.sql;
    const clear = () => this.#cache.clear();
    bus.subscribe('tokens', clear);
    bus.subscribe('users', clear);
    bus.subscribe('groups', clear);
  }

  /** The caller's token (the key as sent, see keyFrom), or a 401/403 saying exactly what is wrong with it. */
  async authenticate(key: string | undefined, ip: string): Promise<RelayToken> {
    if (!key) throw new RelayError('missing_key', 'missing API key: send Authorization: Bearer sk-…');
    if (!key.startsWith('sk-')) {
      throw new RelayError('invalid_key', 'invalid API key: relay tokens start with "sk-" (management keys do not work on /v1)');
    }
    const token = await this.#find(hashSecret(key));
    if (!token) throw new RelayError('invalid_key', 'invalid API key; check the base URL, or create a new token');
    if (token.status !== 'enabled') throw new RelayError('key_disabled', 'this API key is disabled');
    if (token.userStatus !== 'enabled') throw new RelayError('account_disabled', 'the account that owns this API key is disabled');
    if (token.expiresAt !== null && token.expiresAt <= Date.now()) throw new RelayError('key_expired', 'this API key has expired');
    if (token.allowIps && !token.allowIps(ip)) {
      throw new RelayError('ip_not_allowed', `requests from ${ip} are not allowed for this API key`);
    }
    return token;
  }

  async #find(hash: string): Promise<RelayToken | null> {
    const now = Date.now();
    const hit = this.#cache.get(hash);
    if (hit && hit.until > now) return hit.token;
    const token = (await sqlGet(this.#sql, FIND_TOKEN, hash)) ?? null;
    if (this.#cache.size >= MAX_ENTRIES) this.#cache.clear();
    this.#cache.set(hash, { token, until: now + (token ? TTL_MS : NEGATIVE_TTL_MS) });
    return token;
  }
}
