// The money ledger: reserve before the upstream call, settle (or release) after it — exactly once.
//
//   reserve(h)  one transaction: conditional decrement of the token's remaining quota (when it has a limit) and of the
//               account's quota, plus a QuotaHold row. Nothing is decremented unless both have enough. A hold may be
//               flexible (`minimum` below `amount`): then it takes what the balances have, between the two.
//   settle(id)  one transaction: DELETE the hold (RETURNING it — if it is already gone, somebody settled it: do nothing),
//               return the unused part or take the overage (never below zero), add to used quota, write the usage log.
//   sweep()     releases holds whose request died with its process (see docs/billing.md).
//
// Two implementations with the same behaviour: ledger-sqlite.ts (synchronous, in-process atomic) and ledger-pg.ts (row
// locks; safe across many instances), both on the hot path's SQL layer (src/db/sql.ts). The row they log: usage-log.ts.
import { RelayError } from '../errors.js';
import { quotaToUsd } from './decimal.js';
import type { UsageLogEntry } from './usage-log.js';

export type { UsageLogEntry };

export interface HoldRequest {
  requestId: string;
  userId: number;
  /** null for in-process calls billed to the account only (bots). */
  tokenId: number | null;
  /** The token has its own quota limit (remainQuota) in addition to the account's. */
  tokenLimited: boolean;
  /** The most to hold: what the call costs with its whole output allowance. */
  amount: number;
  /**
   * The least the call can run on (its prompt and one output token per choice; see billing/allowance.ts). Between the
   * two, the hold takes what the balances have. Default: `amount` (all or nothing).
   */
  minimum?: number;
  /**
   * Hold only when both balances have at least this much free (other holds deducted), else refuse without touching
   * anything (`needed` is this figure). Admission uses it to hold a cheap upper bound of the prompt only where the
   * balance is far above it (src/relay/admit.ts).
   */
  onlyIfAvailable?: number;
}

export type ReserveOutcome =
  | { ok: true; /** What was held: `amount`, or less down to `minimum` when the balance is short. */ amount: number }
  | { ok: false; short: 'token' | 'account'; available: number; needed: number };

export interface SettleResult {
  /** false when the hold was already settled or released (the call was a no-op). */
  settled: boolean;
  charged: number;
  /** Cost above the reservation that the balance could not cover: the write-off (the log's `writeOff`). */
  shortfall: number;
}

export interface Ledger {
  reserve(hold: HoldRequest): Promise<ReserveOutcome>;
  /** Charge `cost` against the hold (refunding the rest) and write the log. Idempotent per requestId. */
  settle(requestId: string, cost: number, log: UsageLogEntry): Promise<SettleResult>;
  /**
   * True when the settle of `requestId`, called next and right away, commits before it returns (SQLite, with no other
   * call to share the commit with): then nothing else runs between whatever the caller does now and the commit, and
   * that settle is bound to commit at once. Absent or false: the commit may come later (PostgreSQL, a group commit).
   */
  commitsInTurn?(requestId: string): boolean;
  /** Release holds older than `olderThanMs` (0 = all). Returns how many were released. Each gets an error log row. */
  sweep(olderThanMs: number): Promise<number>;
}

/**
 * The 402 for a reservation a balance cannot cover: which quota, what the call needs at least (its prompt and the
 * smallest answer), what is left, what to do.
 */
export function quotaShortError(short: 'token' | 'account', needed: number, available: number): RelayError {
  const need = `this request needs at least ${needed} units ($${quotaToUsd(needed)})`;
  const details = { needed, available };
  if (short === 'token') {
    return new RelayError(
      'token_quota_exhausted',
      `token quota exhausted: ${need} but this API key has ${available} left (short by ${needed - available}); raise the key's quota limit or use another key`,
      undefined,
      details,
    );
  }
  return new RelayError(
    'account_quota_exhausted',
    `account quota exhausted: ${need} but the account has ${available} left (short by ${needed - available}); recharge with a redemption code`,
    undefined,
    details,
  );
}
