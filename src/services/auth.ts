// Password login for the management API: a correct username + password yields a management key of kind 'login'
// valid for 7 days (only its hash is stored). Failed attempts are counted per username + client address by
// LoginLimiter, so a password cannot be guessed at network speed.
import { RelayError } from '../errors.js';
import { hashPassword, needsRehash, verifyPassword } from '../auth/passwords.js';
import { hashSecret, newManagementKey, randomString } from '../auth/secrets.js';
import type { ServiceContext } from './service-utils.js';

export const LOGIN_KEY_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface LoginResult {
  key: string;
  expiresAt: string;
  userId: number;
}

// Unknown usernames are checked against this throwaway hash, so they take as long as a wrong password (no user
// enumeration by timing).
let decoyHash: Promise<string> | undefined;
const decoy = (): Promise<string> => (decoyHash ??= hashPassword(randomString(24)));

const wrongCredentials = () => new RelayError('invalid_key', 'wrong username or password');

/** A management key for scripts ('login', sent as a Bearer header) or a console session ('session', only as a cookie). */
export type LoginKind = 'login' | 'session';

export async function login(
  ctx: ServiceContext,
  input: { username: string; password: string },
  kind: LoginKind = 'login',
): Promise<LoginResult> {
  const user = await ctx.db.prisma.user.findUnique({ where: { username: input.username } });
  if (!user || !user.passwordHash) {
    await verifyPassword(input.password, await decoy());
    throw wrongCredentials();
  }
  if (!(await verifyPassword(input.password, user.passwordHash))) throw wrongCredentials();
  if (user.status !== 'enabled') throw new RelayError('account_disabled', 'this account is disabled');
  if (needsRehash(user.passwordHash)) {
    // An imported bcrypt hash: now that the password is known, store it as scrypt (unless it changed meanwhile).
    const passwordHash = await hashPassword(input.password);
    await ctx.db.prisma.user.updateMany({ where: { id: user.id, passwordHash: user.passwordHash }, data: { passwordHash } });
  }

  const key = newManagementKey();
  const now = Date.now();
  const expiresAt = new Date(now + LOGIN_KEY_TTL_MS);
  await ctx.db.prisma.$transaction([
    // Housekeeping: this user's expired login keys and sessions are useless rows.
    ctx.db.prisma.managementKey.deleteMany({ where: { userId: user.id, kind, expiresAt: { lte: new Date(now) } } }),
    ctx.db.prisma.managementKey.create({ data: { userId: user.id, keyHash: hashSecret(key), kind, expiresAt } }),
  ]);
  return { key, expiresAt: expiresAt.toISOString(), userId: user.id };
}

/** Deletes the login key the caller used. The root key comes from configuration and cannot be logged out. */
export async function logout(ctx: ServiceContext, key: string): Promise<void> {
  const keyHash = hashSecret(key);
  const row = await ctx.db.prisma.managementKey.findUnique({ where: { keyHash } });
  if (!row) throw new RelayError('invalid_key', 'invalid management key');
  if (row.kind !== 'login') {
    throw new RelayError('invalid_request', 'only login keys can be logged out; the root key is set by configuration');
  }
  await ctx.db.prisma.managementKey.deleteMany({ where: { keyHash } });
}

/**
 * Counts failed logins per key (username + client address) in a sliding window. In memory, per instance: with several
 * instances an attacker gets `maxFailures` per instance, which still bounds guessing to a handful per window.
 */
export class LoginLimiter {
  readonly #failures = new Map<string, number[]>();

  constructor(
    readonly maxFailures = 5,
    readonly windowMs = 15 * 60 * 1000,
    private readonly now: () => number = Date.now,
    /** Bound on tracked keys, so a flood of made-up usernames cannot grow memory without limit. */
    private readonly maxKeys = 10_000,
  ) {}

  static keyFor(username: string, ip: string): string {
    return `${username.toLowerCase()}\u0000${ip}`;
  }

  #recent(key: string): number[] {
    const cutoff = this.now() - this.windowMs;
    const kept = (this.#failures.get(key) ?? []).filter((t) => t > cutoff);
    if (kept.length > 0) this.#failures.set(key, kept);
    else this.#failures.delete(key);
    return kept;
  }

  /** Seconds until another attempt is allowed, or 0 when one is allowed now. */
  retryAfter(key: string): number {
    const recent = this.#recent(key);
    if (recent.length < this.maxFailures) return 0;
    const oldestCounted = recent[recent.length - this.maxFailures]!;
    return Math.max(1, Math.ceil((oldestCounted + this.windowMs - this.now()) / 1000));
  }

  fail(key: string): void {
    const recent = this.#recent(key);
    recent.push(this.now());
    this.#failures.set(key, recent.slice(-this.maxFailures));
    if (this.#failures.size > this.maxKeys) this.#prune();
  }

  reset(key: string): void {
    this.#failures.delete(key);
  }

  #prune(): void {
    for (const key of [...this.#failures.keys()]) this.#recent(key);
    // Still too many live entries: drop the oldest inserted ones (Map keeps insertion order).
    for (const key of this.#failures.keys()) {
      if (this.#failures.size <= this.maxKeys) break;
      this.#failures.delete(key);
    }
  }
}
