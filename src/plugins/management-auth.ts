// Authentication for the management API (/api). A caller proves who they are in one of two ways:
// - a management key (root's, or one from POST /api/auth/login) as `Authorization: Bearer …`: scripts and tools;
// - the web console's session cookie (POST /api/auth/session): httpOnly, so page scripts never hold a credential.
// A key is required unless the route says `config: { public: true }`. Relay tokens (sk-…) are refused outright: a
// leaked app key must never mint more keys or read the account. A session is accepted only as the cookie and a key only
// as a header, so neither can stand in for the other.
//
// Cross-site request forgery: the cookie is SameSite=Strict, and on top of that every state-changing request that
// authenticates with the cookie must carry the console's custom header (which a cross-site form cannot send, and a
// cross-site fetch could only send after a CORS preflight that the relay never approves) and, when the browser says
// where it comes from (Origin, Sec-Fetch-Site), come from this same site.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import { RelayError } from '../errors.js';
import { bearerFrom, hashSecret } from '../auth/secrets.js';
import type { Db } from '../db/client.js';
import { isAdminRole, type Role } from '../services/permissions.js';

export interface Account {
  id: number;
  username: string;
  role: Role;
  group: string;
}

/** The console's session cookie (scoped to /api: nothing else ever needs it). */
export const SESSION_COOKIE = 'relay_session';
export const SESSION_COOKIE_PATH = '/api';
/** The header the console sends with every request; a cross-site page cannot. */
export const CSRF_HEADER = 'x-relay-console';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller of a management route; set by the auth hook (null only on public routes). */
    account: Account | null;
    /** SHA-256 of the credential this request authenticated with (key or session), to keep it when revoking others. */
    credentialHash: string | null;
  }
  interface FastifyContextConfig {
    /** Management routes that need no key (login, health, public pricing). */
    public?: boolean;
    /** Management routes only admins may call. */
    admin?: boolean;
  }
}

export const isAdmin = (account: Account): boolean => isAdminRole(account.role);

/** The authenticated caller of a non-public route. */
export function accountOf(request: FastifyRequest): Account {
  if (!request.account) throw new RelayError('missing_key', 'a management key is required');
  return request.account;
}

export function requireAdmin(request: FastifyRequest): Account {
  const account = accountOf(request);
  if (!isAdmin(account)) throw new RelayError('forbidden', 'this needs an admin management key');
  return account;
}

type Via = 'header' | 'cookie';

async function authenticate(db: Db, secret: string, via: Via, keyHash = hashSecret(secret)): Promise<Account> {
  if (secret.startsWith('sk-')) {
    throw new RelayError('relay_token_on_api', 'relay tokens (sk-…) work on /v1 only; use a management key for /api');
  }
  const row = await db.prisma.managementKey.findUnique({ where: { keyHash }, include: { user: true } });
  const isSession = row?.kind === 'session';
  if (!row || isSession !== (via === 'cookie')) {
    throw via === 'cookie'
      ? new RelayError('invalid_key', 'your session has ended; sign in again')
      : new RelayError('invalid_key', 'invalid management key');
  }
  if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) {
    throw new RelayError('key_expired', isSession ? 'your session has expired; sign in again' : 'management key expired; log in again');
  }
  if (row.user.status !== 'enabled') throw new RelayError('account_disabled', 'this account is disabled');
  return { id: row.user.id, username: row.user.username, role: row.user.role as Role, group: row.user.group };
}

export async function authenticateManagementKey(db: Db, key: string): Promise<Account> {
  return authenticate(db, key, 'header');
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** host[:port] of a URL, with the scheme's default port left out (as browsers write Origin). */
function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

/**
 * Refuses a state-changing request that could have been forged by another site. Used for every cookie-authenticated
 * mutation and for the sign-in itself (login CSRF).
 */
export function assertSameSiteRequest(request: FastifyRequest): void {
  if (SAFE_METHODS.has(request.method)) return;
  const refuse = (why: string) => new RelayError('forbidden', `cross-site request refused: ${why}`);
  if (request.headers[CSRF_HEADER] !== '1') throw refuse(`the ${CSRF_HEADER} header is missing`);
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') throw refuse(`it comes from ${site}`);
  const origin = request.headers.origin;
  if (typeof origin === 'string') {
    if (hostOf(origin) !== hostOf(`${request.protocol}://${request.host}`)) throw refuse('its Origin is another site');
  }
}

/** The session cookie's value, if the request carries one. */
export const sessionFrom = (request: FastifyRequest): string | undefined => request.cookies[SESSION_COOKIE] || undefined;

/** Registers the cookie parser and the auth hook on the encapsulated /api instance. */
export async function installManagementAuth(api: FastifyInstance, db: Db): Promise<void> {
  await api.register(cookie);
  api.decorateRequest('account', null);
  api.decorateRequest('credentialHash', null);
  api.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    let key: string | undefined;
    try {
      key = bearerFrom(request.headers);
    } catch (err) {
      if (!config.public) throw err;
      // A malformed credential on a public route is no credential (e.g. pricing is still served).
    }
    const session = key ? undefined : sessionFrom(request);
    const secret = key ?? session;
    const via: Via = key ? 'header' : 'cookie';
    const keyHash = secret ? hashSecret(secret) : null;
    if (config.public) {
      // Public routes still recognise a valid credential (e.g. pricing for the caller's own group) but need none.
      if (secret && keyHash && !secret.startsWith('sk-')) {
        request.account = await authenticate(db, secret, via, keyHash).catch(() => null);
        if (request.account) request.credentialHash = keyHash;
      }
      return;
    }
    if (!secret || !keyHash) throw new RelayError('missing_key', 'missing management key: send Authorization: Bearer <key>, or sign in');
    request.account = await authenticate(db, secret, via, keyHash);
    request.credentialHash = keyHash;
    if (via === 'cookie') assertSameSiteRequest(request);
    if (config.admin) requireAdmin(request);
  });
}
