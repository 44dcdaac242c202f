// SQLite ledger. One process owns a SQLite file (docs/database.md), so reservations are held in this process's memory
// and the database is written once per call, at settle:
//
//   reserve  take both balances, subtract what other calls already hold, and record the hold in memory (a flexible hold
//            takes what is left, down to its minimum) — synchronously, so no other reservation can interleave
//            (better-sqlite3 is synchronous; the event loop runs one at a time).
//            Balances come from a small cache that every settle refreshes with what it wrote; whoever else changes a
//            balance (top-up, redemption, admin) publishes 'users' or 'tokens', which empties it, and an entry is re-read
//            after BALANCE_TTL_MS in any case. A database read per call cost more than the rest of the ledger together,
//            and a stale balance can only admit a call that settle then charges as far as the real balance goes.
//   settle   claim the hold (a second settle of the same call finds none and does nothing), then in one transaction take
//            the cost from the user (and the token, when it has a limit), add to used quota and write the usage log;
//            the hold is let go only once that transaction has committed.
//   crash    holds die with the process and nothing was taken for them: the balances are already consistent.
//
// Settles are group-committed: a settle waits up to GROUP_COMMIT_WAIT_MS for the other calls in flight to settle too,
// then one transaction reads each balance once, charges the calls in order, updates each user and token row once with
// the sums and inserts one log row per call. A commit costs ~90 µs of CPU whatever it carries and a row ~15–25 µs
// (`npm run bench:ledger`), so under load the wait pays for itself (docs/performance.md: ~4–8% of the relay's CPU per
// call at 16 clients, 4 ms against 1 ms). It is skipped where it cannot pay: when every call in flight is already
// waiting (alone, a settle commits at once), and when settles have lately come further apart than the wait (a quiet
// relay adds no latency; only a busy one waits, and there the next settle is due within the wait).
// commitsInTurn() tells the pipeline beforehand when a settle will commit at once, in the turn it is called in: then
// the answer's last bytes go out just before it, and nothing can run between the two (docs/lifecycle.md §8).
import type { HoldRequest, Ledger, ReserveOutcome, SettleResult } from './ledger.js';
import { contentWithShortfall, INSERT_USAGE_LOG, sweptLog, usageLogValues, type UsageLogEntry } from './usage-log.js';
import type { InvalidationBus } from '../cache/bus.js';
import { command, query, type SqliteSql } from '../db/sql.js';

/** The longest a settle waits for the settles of other calls in flight to share its commit. */
export const GROUP_COMMIT_WAIT_MS = 4;

/** Weight of the newest gap in the moving mean of the time between settles. */
const GAP_WEIGHT = 1 / 4;

/** The longest a cached balance is trusted without a re-read (an invalidation that never came, say). */
export const BALANCE_TTL_MS = 1000;

interface Hold extends Pick<HoldRequest, 'requestId' | 'userId' | 'tokenId' | 'tokenLimited' | 'amount'> {
  createdAt: number;
}

/** In-memory holds, with running totals per user and per token for the admission check. */
class Holds {
  readonly #byRequest = new Map<string, Hold>();
  readonly #byUser = new Map<number, number>();
  readonly #byToken = new Map<number, number>();

  /** Calls reserved and not yet settled (settles waiting for their commit are not counted). */
  get open(): number {
    return this.#byRequest.size;
  }
  userHeld(userId: number): number {
    return this.#byUser.get(userId) ?? 0;
  }
  tokenHeld(tokenId: number): number {
    return this.#byToken.get(tokenId) ?? 0;
  }
  add(hold: Hold): void {
    this.#byRequest.set(hold.requestId, hold);
    this.#byUser.set(hold.userId, this.userHeld(hold.userId) + hold.amount);
    if (hold.tokenId !== null && hold.tokenLimited) this.#byToken.set(hold.tokenId, this.tokenHeld(hold.tokenId) + hold.amount);
  }
  has(requestId: string): boolean {
    return this.#byRequest.has(requestId);
  }
  /** Takes the hold out of the open set; its amount stays held until release(). */
  claim(requestId: string): Hold | undefined {
    const hold = this.#byRequest.get(requestId);
    if (hold) this.#byRequest.delete(requestId);
    return hold;
  }
  release(hold: Hold): void {
    const user = this.userHeld(hold.userId) - hold.amount;
    if (user === 0) this.#byUser.delete(hold.userId);
    else this.#byUser.set(hold.userId, user);
    if (hold.tokenId !== null && hold.tokenLimited) {
      const token = this.tokenHeld(hold.tokenId) - hold.amount;
      if (token === 0) this.#byToken.delete(hold.tokenId);
      else this.#byToken.set(hold.tokenId, token);
    }
  }
}

interface PendingSettle {
  hold: Hold;
  cost: number;
  log: UsageLogEntry;
  resolve(result: SettleResult): void;
  reject(error: unknown): void;
}

/** Last known balances by id (one cache for users, one for limited tokens). */
class BalanceCache {
  readonly #entries = new Map<number, { quota: number; at: number }>();

  get(id: number, now: number): number | undefined {
    const e = this.#entries.get(id);
    return e && now - e.at < BALANCE_TTL_MS ? e.quota : undefined;
  }
  set(id: number, quota: number, now: number): void {
    this.#entries.set(id, { quota, at: now });
  }
  clear(): void {
    this.#entries.clear();
  }
}

// Both balances in one read. The token row is joined only when it has a limit of its own (else its id is null).
const BALANCES = query(
  'SELECT u."quota" AS "user", t."remainQuota" AS "token" FROM "User" u LEFT JOIN "Token" t ON t."id" = ? WHERE u."id" = ?',
  (r) => ({ user: r.int('user'), token: r.intOrNull('token') }),
);
const TOKEN_BALANCE = query('SELECT "remainQuota" FROM "Token" WHERE "id" = ?', (r) => r.int('remainQuota'));
const USER_SETTLE = command('UPDATE "User" SET "quota" = "quota" - ?, "usedQuota" = "usedQuota" + ?, "requestCount" = "requestCount" + ? WHERE "id" = ?');
const TOKEN_SETTLE = command('UPDATE "Token" SET "remainQuota" = "remainQuota" - ?, "usedQuota" = "usedQuota" + ?, "lastUsedAt" = {now} WHERE "id" = ?');
// Rows a version that kept holds in the table may have left behind.
const LEGACY_HOLDS = query('SELECT "requestId", "userId", "tokenId", "amount", "tokenAmount" FROM "QuotaHold"', (r) => ({
  requestId: r.string('requestId'),
  userId: r.int('userId'),
  tokenId: r.intOrNull('tokenId'),
  amount: r.int('amount'),
  tokenAmount: r.int('tokenAmount'),
}));
const DELETE_LEGACY_HOLD = command('DELETE FROM "QuotaHold" WHERE "requestId" = ?');
const REFUND_USER = command('UPDATE "User" SET "quota" = "quota" + ? WHERE "id" = ?');
const REFUND_TOKEN = command('UPDATE "Token" SET "remainQuota" = "remainQuota" + ? WHERE "id" = ?');

/** `now`: the clock the balance cache ages by (tests pass their own). */
export function createSqliteLedger(sql: SqliteSql, bus?: InvalidationBus, now: () => number = Date.now): Ledger {
  const holds = new Holds();
  const userBalances = new BalanceCache();
  const tokenBalances = new BalanceCache();
  const forgetBalances = () => {
    userBalances.clear();
    tokenBalances.clear();
  };
  bus?.subscribe('users', forgetBalances);
  bus?.subscribe('tokens', forgetBalances);
  const insertLog = (log: UsageLogEntry, userId: number, tokenId: number | null, quota: number, writeOff: number) =>
    sql.run(INSERT_USAGE_LOG, ...usageLogValues(log, { userId, tokenId, quota, writeOff, content: contentWithShortfall(log.content, writeOff) }));

  /**
   * Writes a batch of settles in one transaction. Each user's and token's room (balance minus everything held, the
   * batch's own holds included) is read once; then the calls are charged in order, each first getting its own hold back
   * and never taking more than the room left: normally the hold covers the cost; an overage (or an admin lowering the
   * balance meanwhile) is taken only as far as the balance allows, and the rest recorded as a shortfall.
   */
  const writeBatch = sql.transaction((batch: PendingSettle[]) => {
    const users = new Map<number, { balance: number; room: number; charged: number; calls: number }>();
    const tokens = new Map<number, { balance: number; room: number; read: boolean; limited: number; charged: number }>();
    const results = batch.map(({ hold, cost, log }) => {
      let user = users.get(hold.userId);
      if (!user) {
        const balance = sql.get(BALANCES, null, hold.userId)?.user ?? 0;
        user = { balance, room: balance - holds.userHeld(hold.userId), charged: 0, calls: 0 };
        users.set(hold.userId, user);
      }
      let token = hold.tokenId === null ? undefined : tokens.get(hold.tokenId);
      if (hold.tokenId !== null) {
        if (!token) tokens.set(hold.tokenId, (token = { balance: 0, room: Infinity, read: false, limited: 0, charged: 0 }));
        // An unlimited token only records what was spent through it: its balance is read only for a limited one.
        if (hold.tokenLimited && !token.read) {
          token.balance = sql.get(TOKEN_BALANCE, hold.tokenId) ?? 0;
          token.room = token.balance - holds.tokenHeld(hold.tokenId);
          token.read = true;
        }
      }
      const limited = token !== undefined && hold.tokenLimited;
      user.room += hold.amount;
      if (limited) token!.room += hold.amount;
      const charged = Math.max(0, Math.min(cost, user.room, limited ? token!.room : Infinity));
      user.room -= charged;
      user.charged += charged;
      user.calls++;
      if (token) {
        token.charged += charged;
        if (limited) {
          token.room -= charged;
          token.limited += charged;
        }
      }
      const shortfall = cost - charged;
      insertLog(log, hold.userId, hold.tokenId, charged, shortfall);
      return { settled: true, charged, shortfall };
    });
    for (const [id, u] of users) sql.run(USER_SETTLE, u.charged, u.charged, u.calls, id);
    for (const [id, t] of tokens) sql.run(TOKEN_SETTLE, t.limited, t.charged, id);
    return { results, users, tokens };
  });

  /** After the commit: the balances just written are the freshest there are. */
  const remember = (written: ReturnType<typeof writeBatch>) => {
    const at = now();
    for (const [id, u] of written.users) userBalances.set(id, u.balance - u.charged, at);
    for (const [id, t] of written.tokens) if (t.read) tokenBalances.set(id, t.balance - t.limited, at);
    return written.results;
  };

  let queue: PendingSettle[] = [];
  let waiting: NodeJS.Timeout | undefined;
  // The moving mean of the time between settles, ms. Starts at 0 (busy): one long gap is enough to stop the waits.
  let meanGap = 0;
  let lastSettleAt = now();
  /** The mean gap once a settle at `at` is counted. */
  const gapWith = (at: number) => meanGap + (Math.max(0, at - lastSettleAt) - meanGap) * GAP_WEIGHT;
  /** A settle commits at once: every other call in flight is waiting for this commit too, or the relay is quiet. */
  const atOnce = (othersOpen: number, gap: number) => othersOpen === 0 || gap >= GROUP_COMMIT_WAIT_MS;
  /** The request whose settle commitsInTurn() promised to commit at once. */
  let promised: string | undefined;
  const flush = () => {
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    let results: SettleResult[] | undefined;
    try {
      results = remember(writeBatch(batch));
    } catch (error) {
      // One bad call must not cost the others their charge: write them one by one and fail only the one that fails.
      if (batch.length > 1) {
        for (const p of batch) {
          try {
            const [result] = remember(writeBatch([p]));
            holds.release(p.hold);
            p.resolve(result!);
          } catch (err) {
            holds.release(p.hold); // not charged: nothing was taken for the hold
            p.reject(err);
          }
        }
        return;
      }
      holds.release(batch[0]!.hold);
      batch[0]!.reject(error);
      return;
    }
    batch.forEach((p, i) => {
      holds.release(p.hold);
      p.resolve(results[i]!);
    });
  };

  return {
    async reserve(h): Promise<ReserveOutcome> {
      const limited = h.tokenId !== null && h.tokenLimited;
      const at = now();
      let userBalance = userBalances.get(h.userId, at);
      let tokenBalance = limited ? tokenBalances.get(h.tokenId!, at) : undefined;
      if (userBalance === undefined || (limited && tokenBalance === undefined)) {
        const row = sql.get(BALANCES, limited ? h.tokenId : null, h.userId);
        userBalance = row?.user ?? 0;
        userBalances.set(h.userId, userBalance, at);
        if (limited) tokenBalances.set(h.tokenId!, (tokenBalance = row?.token ?? 0), at);
      }
      const token = limited ? tokenBalance! - holds.tokenHeld(h.tokenId!) : Infinity;
      const user = userBalance - holds.userHeld(h.userId);
      const minimum = Math.min(h.minimum ?? h.amount, h.amount);
      if (h.onlyIfAvailable !== undefined) {
        const wanted = Math.max(h.onlyIfAvailable, h.amount);
        if (token < wanted) return { ok: false, short: 'token', available: Math.max(0, token), needed: wanted };
        if (user < wanted) return { ok: false, short: 'account', available: Math.max(0, user), needed: wanted };
      }
      if (token < minimum) return { ok: false, short: 'token', available: Math.max(0, token), needed: minimum };
      if (user < minimum) return { ok: false, short: 'account', available: Math.max(0, user), needed: minimum };
      const amount = Math.min(h.amount, token, user);
      holds.add({ requestId: h.requestId, userId: h.userId, tokenId: h.tokenId, tokenLimited: h.tokenLimited, amount, createdAt: at });
      return { ok: true, amount };
    },
    settle(requestId, cost, log) {
      const hold = holds.claim(requestId);
      if (!hold) return Promise.resolve({ settled: false, charged: 0, shortfall: 0 });
      const at = now();
      meanGap = gapWith(at);
      lastSettleAt = at;
      const kept = promised === requestId;
      promised = undefined;
      return new Promise<SettleResult>((resolve, reject) => {
        queue.push({ hold, cost, log, resolve, reject });
        // Every call in flight is waiting for this commit (alone, there is nobody to batch with), or the next settle is
        // not likely to come within the wait, or commitsInTurn() said so (a clock that stepped back since must not
        // break that promise): commit now.
        if (kept || atOnce(holds.open, meanGap)) {
          if (waiting) clearTimeout(waiting);
          waiting = undefined;
          return flush();
        }
        // Others are still running: wait a little for their settles too, so that one commit serves them all.
        waiting ??= setTimeout(() => {
          waiting = undefined;
          flush();
        }, GROUP_COMMIT_WAIT_MS);
      });
    },
    commitsInTurn(requestId) {
      const yes = holds.has(requestId) && atOnce(holds.open - 1, gapWith(now()));
      promised = yes ? requestId : undefined;
      return yes;
    },
    async sweep(olderThanMs) {
      // In-memory holds of calls still running are not orphans; only rows left in the table by an older version are.
      let released = 0;
      for (const row of sql.all(LEGACY_HOLDS)) {
        sql.transaction(() => {
          sql.run(DELETE_LEGACY_HOLD, row.requestId);
          sql.run(REFUND_USER, row.amount, row.userId);
          if (row.tokenId !== null && row.tokenAmount > 0) sql.run(REFUND_TOKEN, row.tokenAmount, row.tokenId);
          insertLog(sweptLog(row.requestId), row.userId, row.tokenId, 0, 0);
        })();
        released++;
      }
      void olderThanMs;
      return released;
    },
  };
}
