// Password login for the management API: a correct username + password yields a management key of kind 'login'
// valid for 7 days (only its hash is stored). Wrong guesses at any secret a person can try (passwords here and in
// PATCH /api/me, redemption and link codes) are limited by GuessLimiter, so none can be guessed at network speed.
import { RelayError } from '../errors.js';
import { hashPassword, needsRehash, verifyPassword } from '../auth/passwords.js';
import { hashSecret, newManagementKey, randomString } from '../auth/secrets.js';
import type { GuessingContext, ServiceContext } from './service-utils.js';

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
 * Every attempt is counted before the secret is checked (so parallel guesses cannot all slip in under the limit) and
 * forgiven when it was not a wrong guess; a right guess also clears the account + client count. In memory, per
 * instance: with several instances an attacker gets the limits once per instance.
 */
export class GuessLimiter {
  readonly #pair: FailureWindow;
  readonly #client: FailureWindow;
  readonly #account: FailureWindow;

  constructor(limits: GuessLimits, now: () => number = Date.now) {
    this.#pair = new FailureWindow(limits.perPair, limits.windowMs, now);
    this.#client = new FailureWindow(limits.perClient, limits.windowMs, now);
    this.#account = new FailureWindow(limits.perAccount, limits.windowMs, now);
  }

  /**
   * Runs `check` unless a limit is reached (then 429 rate_limited with `retryAfter` seconds). `isWrongGuess` tells
   * which of its errors mean "the secret was wrong"; only those stay counted.
   */
  async attempt<T>(source: GuessSource, check: () => Promise<T>, isWrongGuess: (err: unknown) => boolean): Promise<T> {
    const keys = this.#keys(source);
    const wait = Math.max(...keys.map(([window, key]) => window.retryAfter(key)));
    if (wait > 0) {
      throw new RelayError('rate_limited', `too many wrong attempts; try again in ${wait} seconds`, 429, { retryAfter: wait });
    }
    for (const [window, key] of keys) window.fail(key);
    try {
      const result = await check();
      for (const [window, key] of keys) window.forgive(key);
      this.#pair.reset(keys[0][1]);
      return result;
    } catch (err) {
      if (!isWrongGuess(err)) for (const [window, key] of keys) window.forgive(key);
      throw err;
    }
  }

  #keys(source: GuessSource): [[FailureWindow, string], [FailureWindow, string], [FailureWindow, string]] {
    const account = source.account.toLowerCase();
    return [
      [this.#pair, `${account}\u0000${source.client}`],
      [this.#client, source.client],
      [this.#account, account],
    ];
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

export const createGuessLimiters = (): GuessLimiters => ({
  passwords: new GuessLimiter(PASSWORD_LIMITS),
  codes: new GuessLimiter(CODE_LIMITS),
  registrations: new FailureWindow(REGISTRATIONS_PER_CLIENT, FIFTEEN_MINUTES),
});

/** Failures per key in a sliding window, bounded in memory so a flood of made-up keys cannot grow it without limit. */
export class FailureWindow {
  readonly #failures = new Map<string, number[]>();

  constructor(
    readonly maxFailures: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 10_000,
  ) {}

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

  /** Takes back the latest failure (an attempt that turned out not to be a wrong guess). */
  forgive(key: string): void {
    const recent = this.#failures.get(key);
    recent?.pop();
    if (recent?.length === 0) this.#failures.delete(key);
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
