// Who may do what to whom: the management rules in one place. Services check them against the caller (an Actor: id
// and role), never against HTTP details, so the API, the bots and any future console share them. docs/api.md
// ("Roles and permissions") says the same in words.
//
//   root   may do everything, except end root: root's role and status never change and root is never deleted.
//   admin  administers plain users (creates, changes, tops up, disables and deletes them; reads and manages their
//          tokens) and acts on their own account. Never on root or another admin: no tokens for them, no reading their
//          tokens, no password, role, group, quota or status change, no deleting them. So an admin can neither act as
//          nor take over root or another admin, and obtains nothing root could not see (keys are shown once, to
//          whoever created them, and only their hashes are stored).
//   user   acts on their own account and tokens only.
//   Only root creates admins or changes a role. An admin changes their own password only through PATCH /api/me,
//   which needs the current one (a stolen login key alone cannot lock the owner out).
//   Reading account records and usage logs: admins read everyone's (they hold no secrets); users their own.
import { RelayError } from '../errors.js';

export type Role = 'user' | 'admin' | 'root';

/** The caller, as the services see it. */
export interface Actor {
  id: number;
  role: string;
}

/** An account being acted on. */
export interface AccountRef {
  id: number;
  role: string;
}

export const isAdminRole = (role: string): boolean => role === 'admin' || role === 'root';

const forbidden = (message: string, param?: string) => new RelayError('forbidden', message, 403, param ? { param } : {});

/** May `actor` act for `target`: on their account and everything it owns (tokens, quota, password, group, status)? */
export function mayActFor(actor: Actor, target: AccountRef): boolean {
  if (actor.id === target.id || actor.role === 'root') return true;
  return actor.role === 'admin' && target.role === 'user';
}

/** `what` completes "only root may … another admin": e.g. "create tokens for". */
export function assertMayActFor(actor: Actor, target: AccountRef, what: string, param?: string): void {
  if (mayActFor(actor, target)) return;
  throw isAdminRole(actor.role)
    ? forbidden(`only root may ${what} root or another admin`, param)
    : forbidden(`you may only ${what} your own account`, param);
}

/** Account administration (PATCH/DELETE /api/users/:id): an admin, on an account they may act for. */
export function assertMayAdminister(actor: Actor, target: AccountRef, what: string): void {
  if (!isAdminRole(actor.role)) throw forbidden('this needs an admin management key');
  assertMayActFor(actor, target, what);
}

/**
 * Roles: only root grants or revokes admin; root's own role is fixed. `target` null: a new account; `actor`
 * undefined: the system itself (a bot registration), which never grants admin.
 */
export function assertMayChangeRole(actor: Actor | undefined, target: AccountRef | null, role: string): void {
  if (target?.role === 'root' && role !== 'root') throw forbidden("root's role cannot be changed", 'role');
  if (role !== 'user' && role !== 'admin') {
    throw new RelayError('invalid_request', 'role must be "user" or "admin"', 400, { param: 'role' });
  }
  if (actor?.role !== 'root' && (role === 'admin' || target?.role === 'admin')) {
    throw forbidden(target ? 'only root may grant or revoke admin' : 'only root may create admins', 'role');
  }
}

/** Root stays: it cannot be disabled or deleted by anyone. */
export function assertNotEndingRoot(target: AccountRef, change: 'disable' | 'delete'): void {
  if (target.role === 'root') throw forbidden(change === 'delete' ? 'root cannot be deleted' : 'root cannot be disabled', change === 'disable' ? 'status' : undefined);
}

/** Setting a password through the admin route: someone else's (reset), or root's own. Admins use PATCH /api/me. */
export function assertMaySetPassword(actor: Actor, target: AccountRef): void {
  if (actor.id === target.id && actor.role !== 'root') {
    throw forbidden('change your own password with PATCH /api/me, which needs the current one', 'password');
  }
}

/** Reading an account record or its usage: admins anyone's, users their own. */
export function assertMayRead(actor: Actor, targetId: number, what: string): void {
  if (isAdminRole(actor.role) || actor.id === targetId) return;
  throw forbidden(`you may only read your own ${what}`, 'userId');
}

/**
 * The groups an account may use, for itself and its tokens: its own group, any userSelectable one, and (admins and
 * root) any group at all. Checked when a group is chosen and again when a token authenticates, so a token keeps a
 * group's prices only while its owner may still choose that group.
 */
export function mayUseGroup(owner: { role: string; group: string }, group: { name: string; userSelectable: boolean }): boolean {
  return group.name === owner.group || group.userSelectable || isAdminRole(owner.role);
}

/** The least-privileged actor for an account acting on its own things (the bots act for the linked user this way). */
export const selfActor = (userId: number): Actor => ({ id: userId, role: 'user' });
