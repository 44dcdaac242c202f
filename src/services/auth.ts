// Password login for the management API: a correct username + password yields a management key of kind 'login'
// valid for 7 days (only its hash is stored). Wrong guesses at any secret a person can try (passwords here and in
// PATCH /api/me, redemption and link codes) are limited by GuessLimiter, so none can be guessed at network speed.
import { RelayError } from '../errors.js';
import { hashPassword, needsRehash, verifyPassword } from '../auth/passwords.js';
import { hashSecret, newManagementKey, randomString } from '../auth/secrets.js';
import type { GuessingContext, ServiceContext } from './service-utils.js';
import { randomUUID } from 'node:crypto';
import { MemoryRateLimitStore } from '../rate-limit/memory-store.js';
import { retryAfterSeconds, type RateLimitStore } from '../rate-limit/store.js';

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

/** `client` is the caller's address, for the guess limits (PASSWORD_LIMITS). */
export async function login(
  ctx: GuessingContext,
  input: { username: string; password: string },
  client: string,
  kind: LoginKind = 'login',
): Promise<LoginResult> {
  const user = await ctx.guesses.passwords.attempt(
    { account: input.username, client },
    async () => {
      const found = await ctx.db.prisma.user.findUnique({ where: { username: input.username } });
      if (!found || !found.passwordHash) {
        await verifyPassword(input.password, await decoy());
        throw wrongCredentials();
      }
      if (!(await verifyPassword(input.password, found.passwordHash))) throw wrongCredentials();
      return found;
    },
    (err) => err instanceof RelayError && err.code === 'invalid_key',
  );
  if (user.status !== 'enabled') throw new RelayError('account_disabled', 'this account is disabled');
  if (needsRehash(user.passwordHash)) {
    // An imported bcrypt hash: now that the password is known, store it as scrypt (unless it changed meanwhile).
    const passwordHash = await hashPassword(input.password);
    await ctx.db.prisma.user.updateMany({ where: { id: user.id, passwordHash: user.passwordHash }, data: { passwordHash } });
  }

  return issueLoginKey(ctx, user.id, kind);
}

/** A fresh login key or console session for `userId` (who has proved who they are: a password, a bot's sign-in link). */
export async function issueLoginKey(ctx: ServiceContext, userId: number, kind: LoginKind): Promise<LoginResult> {
  const key = newManagementKey();
  const now = Date.now();
  const expiresAt = new Date(now + LOGIN_KEY_TTL_MS);
  await ctx.db.prisma.$transaction([
    // Housekeeping: this user's expired login keys and sessions are useless rows.
    ctx.db.prisma.managementKey.deleteMany({ where: { userId, kind, expiresAt: { lte: new Date(now) } } }),
    ctx.db.prisma.managementKey.create({ data: { userId, keyHash: hashSecret(key), kind, expiresAt } }),
  ]);
  return { key, expiresAt: expiresAt.toISOString(), userId };
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

/** Where a guess at a secret comes from: the account it is aimed at, and the client sending it (an IP address, or a
 * chat identity for the bots). */
export interface GuessSource {
  account: string;
  client: string;
}

export interface GuessLimits {
  /** Failures of one client against one account (someone mistyping, or one guesser). */
  perPair: number;
  /** Failures of one client across accounts (one address trying many accounts). */
  perClient: number;
  /** Failures against one account across clients (many addresses guessing one account). */
  perAccount: number;
  windowMs: number;
}

const FIFTEEN_MINUTES = 15 * 60 * 1000;

/**
 * Passwords (POST /api/auth/login, PATCH /api/me's currentPassword) share one limiter. The per-account limit means
 * 50 wrong guesses from anywhere block that account's password for up to 15 minutes: existing keys keep working.
 */
export const PASSWORD_LIMITS: GuessLimits = { perPair: 5, perClient: 20, perAccount: 50, windowMs: FIFTEEN_MINUTES };
/** Redemption and link codes carry ≥ 70 bits, so this bounds noise more than it stops a search. */
export const CODE_LIMITS: GuessLimits = { perPair: 10, perClient: 30, perAccount: 30, windowMs: FIFTEEN_MINUTES };

/**
 * Limits wrong guesses at one kind of secret, per account + client, per client and per account, in sliding windows.
 * Every attempt is counted before the secret is checked, atomically with the check of the limits (so parallel guesses
 * cannot all slip in under the limit), and forgiven when it was not a wrong guess; a right guess also clears the
 * account + client count. Counted in the RateLimitStore: with Redis, the limits hold across all instances.
 */
export class GuessLimiter {
  constructor(
    private readonly limits: GuessLimits,
    private readonly store: RateLimitStore = new MemoryRateLimitStore(),
    /** Keyspace of this kind of secret in the store. */
    private readonly name = 'guess',
  ) {}

  /**
   * Runs `check` unless a limit is reached (then 429 rate_limited with `retryAfter` seconds). `isWrongGuess` tells
   * which of its errors mean "the secret was wrong"; only those stay counted.
   */
  async attempt<T>(source: GuessSource, check: () => Promise<T>, isWrongGuess: (err: unknown) => boolean): Promise<T> {
    const account = source.account.toLowerCase();
    const pair = `${this.name}:pair:${account}\u0000${source.client}`;
    const logs = [
      { key: pair, max: this.limits.perPair },
      { key: `${this.name}:client:${source.client}`, max: this.limits.perClient },
      { key: `${this.name}:account:${account}`, max: this.limits.perAccount },
    ];
    const id = randomUUID();
    const wait = await this.store.hit(logs, this.limits.windowMs, id);
    if (wait > 0) {
      const seconds = retryAfterSeconds(wait);
      throw new RelayError('rate_limited', `too many wrong attempts; try again in ${seconds} seconds`, 429, { retryAfter: seconds });
    }
    const keys = logs.map((l) => l.key);
    try {
      const result = await check();
      await this.store.unhit(keys, id);
      await this.store.clear(pair);
      return result;
    } catch (err) {
      if (!isWrongGuess(err)) await this.store.unhit(keys, id);
      throw err;
    }
  }
}

/** The app's guess limiters, one per kind of secret (AppContext.guesses). */
export interface GuessLimiters {
  passwords: GuessLimiter;
  codes: GuessLimiter;
  /** Self-registrations per client address: every attempt counts, successes too (no minting accounts at speed). */
  registrations: FailureWindow;
}

/** Registrations one address may attempt per window (the console's optional self-registration). */
export const REGISTRATIONS_PER_CLIENT = 5;

export const createGuessLimiters = (store: RateLimitStore = new MemoryRateLimitStore()): GuessLimiters => ({
  passwords: new GuessLimiter(PASSWORD_LIMITS, store, 'guess:password'),
  codes: new GuessLimiter(CODE_LIMITS, store, 'guess:code'),
  registrations: new FailureWindow(REGISTRATIONS_PER_CLIENT, FIFTEEN_MINUTES, store, 'register'),
});

/** Events per key in a sliding window (every attempt counted), in the RateLimitStore. */
export class FailureWindow {
  constructor(
    readonly maxFailures: number,
    readonly windowMs: number,
    private readonly store: RateLimitStore = new MemoryRateLimitStore(),
    private readonly name = 'window',
  ) {}

  /**
   * Counts one attempt for `key` and resolves 0, or, when the window is full, counts nothing and resolves the seconds
   * until another attempt is allowed.
   */
  async tryAttempt(key: string): Promise<number> {
    const wait = await this.store.hit([{ key: `${this.name}:${key}`, max: this.maxFailures }], this.windowMs, randomUUID());
    return wait > 0 ? retryAfterSeconds(wait) : 0;
  }

  async reset(key: string): Promise<void> {
    await this.store.clear(`${this.name}:${key}`);
  }
}
