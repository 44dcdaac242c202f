// Authentication for the management API (/api). A management key (root's, or one from POST /api/auth/login) is
// required unless the route says `config: { public: true }`. Relay tokens (sk-…) are refused outright: a leaked app
// key must never mint more keys or read the account.
import type { FastifyInstance, FastifyRequest } from 'fastify';
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

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller of a management route; set by the auth hook (null only on public routes). */
    account: Account | null;
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

export async function authenticateManagementKey(db: Db, key: string): Promise<Account> {
  if (key.startsWith('sk-')) {
    throw new RelayError('relay_token_on_api', 'relay tokens (sk-…) work on /v1 only; use a management key for /api');
  }
  const row = await db.prisma.managementKey.findUnique({ where: { keyHash: hashSecret(key) }, include: { user: true } });
  if (!row) throw new RelayError('invalid_key', 'invalid management key');
  if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) {
    throw new RelayError('key_expired', 'management key expired; log in again');
  }
  if (row.user.status !== 'enabled') throw new RelayError('account_disabled', 'this account is disabled');
  return { id: row.user.id, username: row.user.username, role: row.user.role as Role, group: row.user.group };
}

/** Registers the auth hook on the encapsulated /api instance. */
export function installManagementAuth(api: FastifyInstance, db: Db): void {
  api.decorateRequest('account', null);
  api.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    if (config.public) {
      // Public routes still recognise a valid key (e.g. pricing for the caller's own group) but do not need one.
      let key: string | undefined;
      try {
        key = bearerFrom(request.headers);
      } catch {
        return; // a malformed credential on a public route is no credential
      }
      if (key && !key.startsWith('sk-')) request.account = await authenticateManagementKey(db, key).catch(() => null);
      return;
    }
    const key = bearerFrom(request.headers);
    if (!key) throw new RelayError('missing_key', 'missing management key: send Authorization: Bearer <key>');
    request.account = await authenticateManagementKey(db, key);
    if (config.admin) requireAdmin(request);
  });
}
