// The money ledger: reserve before the upstream call, settle (or release) after it — exactly once.
//
//   reserve(h)  one transaction: conditional decrement of the token's remaining quota (when it has a limit) and of the
//               account's quota, plus a QuotaHold row. Nothing is decremented unless both have enough.
//   settle(id)  one transaction: DELETE the hold (RETURNING it — if it is already gone, somebody settled it: do nothing),
//               return the unused part or take the overage (never below zero), add to used quota, write the usage log.
//   sweep()     releases holds whose request died with its process (see docs/billing.md).
//
// Two implementations with the same behaviour: ledger-sqlite.ts (better-sqlite3, synchronous, in-process atomic) and
// ledger-pg.ts (node-postgres, row locks; safe across many instances).

export interface HoldRequest {
  requestId: string;
  userId: number;
  /** null for in-process calls billed to the account only (bots). */
  tokenId: number | null;
  /** The token has its own quota limit (remainQuota) in addition to the account's. */
  tokenLimited: boolean;
  amount: number;
}

export type ReserveOutcome =
  | { ok: true }
  | { ok: false; short: 'token' | 'account'; available: number; needed: number };

/** One row of UsageLog, as the pipeline knows it. `quota` is filled in by settle with what was actually charged. */
export interface UsageLogEntry {
  requestId: string;
  type: 'consume' | 'error';
  source: string;
  userId: number;
  tokenId: number | null;
  tokenName: string;
  channelId: number | null;
  endpoint: string;
  model: string;
  upstreamModel: string;
  promptTokens: number;
  completionTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  groupRatio: string;
  modelRatio: string;
  completionRatio: string;
  stream: boolean;
  latencyMs: number;
  ttftMs: number | null;
  status: 'ok' | 'error';
  content: string;
  group: string;
}

export interface SettleResult {
  /** false when the hold was already settled or released (the call was a no-op). */
  settled: boolean;
  charged: number;
  /** Cost above the reservation that the balance could not cover (recorded in the log's content). */
  shortfall: number;
}

export interface Ledger {
  reserve(hold: HoldRequest): Promise<ReserveOutcome>;
  /** Charge `cost` against the hold (refunding the rest) and write the log. Idempotent per requestId. */
  settle(requestId: string, cost: number, log: UsageLogEntry): Promise<SettleResult>;
  /** Release holds older than `olderThanMs` (0 = all). Returns how many were released. Each gets an error log row. */
  sweep(olderThanMs: number): Promise<number>;
}

export function shortfallNote(shortfall: number): string {
  return shortfall > 0 ? `cost exceeded the reservation; ${shortfall} units could not be charged (balance exhausted)` : '';
}

/** The log row for a hold released by the sweeper: what we know is only that the request never settled. */
export function sweptLog(requestId: string): UsageLogEntry {
  return {
    requestId,
    type: 'error',
    source: 'api',
    userId: 0, // settle takes the owner from the hold
    tokenId: null,
    tokenName: '',
    channelId: null,
    endpoint: '',
    model: '',
    upstreamModel: '',
    promptTokens: 0,
    completionTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    groupRatio: '',
    modelRatio: '',
    completionRatio: '',
    stream: false,
    latencyMs: 0,
    ttftMs: null,
    status: 'error',
    content: 'reservation released: the request did not finish (process stopped or crashed)',
    group: '',
  };
}
