// SQLite ledger. One process owns a SQLite file (docs/database.md), so reservations are held in this process's memory
// and the database is written once per call, at settle:
//
//   reserve  read both balances, subtract what other calls already hold, and record the hold in memory — synchronously,
//            so no other reservation can interleave (better-sqlite3 is synchronous; the event loop runs one at a time).
//   settle   one transaction: take the cost from the user (and the token, when it has a limit), add to used quota,
//            write the usage log; then forget the hold. A call settled twice finds no hold and does nothing.
//   crash    holds die with the process and nothing was taken for them: the balances are already consistent.
//
// Settles are group-committed: those queued during one event-loop turn share one transaction (each in its own savepoint),
// which divides the commit cost (WAL frames, locks) by the batch size under load.
import type Database from 'better-sqlite3';
import type { HoldRequest, Ledger, ReserveOutcome, SettleResult, UsageLogEntry } from './ledger.js';
import { shortfallNote, sweptLog } from './ledger.js';

/** Prisma's SQLite adapter stores DateTime as ISO-8601 text with an explicit offset; we write the same. */
const sqliteNow = (ms = Date.now()): string => new Date(ms).toISOString().replace('Z', '+00:00');

interface Hold extends HoldRequest {
  createdAt: number;
}

/** In-memory holds, with running totals per user and per token for the admission check. */
class Holds {
  readonly byRequest = new Map<string, Hold>();
  readonly #byUser = new Map<number, number>();
  readonly #byToken = new Map<number, number>();

  userHeld(userId: number): number {
    return this.#byUser.get(userId) ?? 0;
  }
  tokenHeld(tokenId: number): number {
    return this.#byToken.get(tokenId) ?? 0;
  }
  add(hold: Hold): void {
    this.byRequest.set(hold.requestId, hold);
    this.#byUser.set(hold.userId, this.userHeld(hold.userId) + hold.amount);
    if (hold.tokenId !== null && hold.tokenLimited) this.#byToken.set(hold.tokenId, this.tokenHeld(hold.tokenId) + hold.amount);
  }
  remove(requestId: string): Hold | undefined {
    const hold = this.byRequest.get(requestId);
    if (!hold) return undefined;
    this.byRequest.delete(requestId);
    this.#byUser.set(hold.userId, this.userHeld(hold.userId) - hold.amount);
    if (hold.tokenId !== null && hold.tokenLimited) this.#byToken.set(hold.tokenId, this.tokenHeld(hold.tokenId) - hold.amount);
    return hold;
  }
}

export function createSqliteLedger(db: Database.Database): Ledger {
  const s = {
    tokenBalance: db.prepare('SELECT "remainQuota" AS q, "unlimited" AS u FROM "Token" WHERE "id" = ?'),
    userBalance: db.prepare('SELECT "quota" AS q FROM "User" WHERE "id" = ?'),
    userSettle: db.prepare(
      'UPDATE "User" SET "quota" = "quota" - ?, "usedQuota" = "usedQuota" + ?, "requestCount" = "requestCount" + 1 WHERE "id" = ?',
    ),
    tokenSettle: db.prepare(
      'UPDATE "Token" SET "remainQuota" = "remainQuota" - ?, "usedQuota" = "usedQuota" + ?, "lastUsedAt" = ? WHERE "id" = ?',
    ),
    insertLog: db.prepare(`INSERT INTO "UsageLog" ("createdAt", "requestId", "type", "source", "userId", "tokenId",
      "tokenName", "channelId", "endpoint", "model", "upstreamModel", "promptTokens", "completionTokens", "cacheReadTokens",
      "cacheWriteTokens", "groupRatio", "modelRatio", "completionRatio", "quota", "stream", "latencyMs", "ttftMs", "status",
      "content", "group") VALUES (@createdAt, @requestId, @type, @source, @userId, @tokenId, @tokenName, @channelId,
      @endpoint, @model, @upstreamModel, @promptTokens, @completionTokens, @cacheReadTokens, @cacheWriteTokens, @groupRatio,
      @modelRatio, @completionRatio, @quota, @stream, @latencyMs, @ttftMs, @status, @content, @group)`),
    // Rows a version that kept holds in the table may have left behind.
    legacyHolds: db.prepare('SELECT "requestId", "userId", "tokenId", "amount", "tokenAmount" FROM "QuotaHold"'),
    deleteLegacyHold: db.prepare('DELETE FROM "QuotaHold" WHERE "requestId" = ?'),
    refundUser: db.prepare('UPDATE "User" SET "quota" = "quota" + ? WHERE "id" = ?'),
    refundToken: db.prepare('UPDATE "Token" SET "remainQuota" = "remainQuota" + ? WHERE "id" = ?'),
  };
  const holds = new Holds();
  const balanceOf = (stmt: Database.Statement, id: number | null): { q: number; u?: number } | undefined =>
    id === null ? undefined : (stmt.get(id) as { q: number; u?: number } | undefined);

  /** What the user (and the limited token) can still spend, net of every other open hold. */
  function available(h: Pick<HoldRequest, 'userId' | 'tokenId' | 'tokenLimited'>, exceptOwn = 0) {
    const user = (balanceOf(s.userBalance, h.userId)?.q ?? 0) - holds.userHeld(h.userId) + exceptOwn;
    const token = h.tokenId !== null && h.tokenLimited ? (balanceOf(s.tokenBalance, h.tokenId)?.q ?? 0) - holds.tokenHeld(h.tokenId) + exceptOwn : Infinity;
    return { user, token };
  }

  const settleTx = db.transaction((hold: Hold, cost: number, log: UsageLogEntry): SettleResult => {
    // Never below zero: normally the hold covers the cost; an overage (or an admin lowering the balance meanwhile) is
    // taken only as far as the balances allow, and the rest recorded as a shortfall.
    const room = available(hold, hold.amount);
    const charged = Math.max(0, Math.min(cost, room.user, room.token));
    const shortfall = cost - charged;
    s.userSettle.run(charged, charged, hold.userId);
    if (hold.tokenId !== null) s.tokenSettle.run(hold.tokenLimited ? charged : 0, charged, sqliteNow(), hold.tokenId);
    const note = shortfallNote(shortfall);
    s.insertLog.run({
      ...log,
      userId: hold.userId,
      tokenId: hold.tokenId,
      createdAt: sqliteNow(),
      quota: charged,
      stream: log.stream ? 1 : 0,
      content: note ? (log.content ? `${log.content}; ${note}` : note) : log.content,
    });
    return { settled: true, charged, shortfall };
  });

  const commit = createGroupCommit(db);

  return {
    async reserve(h): Promise<ReserveOutcome> {
      const room = available(h);
      if (room.token < h.amount) return { ok: false, short: 'token', available: Math.max(0, room.token), needed: h.amount };
      if (room.user < h.amount) return { ok: false, short: 'account', available: Math.max(0, room.user), needed: h.amount };
      holds.add({ ...h, createdAt: Date.now() });
      return { ok: true };
    },
    async settle(requestId, cost, log) {
      const hold = holds.byRequest.get(requestId);
      if (!hold) return { settled: false, charged: 0, shortfall: 0 };
      holds.byRequest.delete(requestId); // claimed: a concurrent second settle of the same id finds nothing
      try {
        // Alone (no other call in flight) there is nobody to batch with: commit now rather than wait a turn.
        return await commit(holds.byRequest.size === 0, () => {
          holds.byRequest.set(requestId, hold); // counted as held inside available() until this commit lands
          try {
            return settleTx(hold, cost, log);
          } finally {
            holds.remove(requestId);
          }
        });
      } catch (err) {
        // The write failed: the call is not charged, and the hold goes (nothing was taken for it).
        holds.remove(requestId);
        throw err;
      }
    },
    async sweep(olderThanMs) {
      // In-memory holds of calls still running are not orphans; only rows left in the table by an older version are.
      let released = 0;
      for (const row of s.legacyHolds.all() as Array<{ requestId: string; userId: number; tokenId: number | null; amount: number; tokenAmount: number }>) {
        await commit(true, () =>
          db.transaction(() => {
            s.deleteLegacyHold.run(row.requestId);
            s.refundUser.run(row.amount, row.userId);
            if (row.tokenId !== null && row.tokenAmount > 0) s.refundToken.run(row.tokenAmount, row.tokenId);
            s.insertLog.run({ ...sweptLog(row.requestId), userId: row.userId, tokenId: row.tokenId, createdAt: sqliteNow(), quota: 0, stream: 0 });
          })(),
        );
        released++;
      }
      void olderThanMs;
      return released;
    },
  };
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

function createGroupCommit(db: Database.Database): <T>(now: boolean, op: () => T) => Promise<T> {
  let queue: Array<{ op: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }> = [];
  const runAll = db.transaction((ops: typeof queue): Outcome[] =>
    ops.map(({ op }) => {
      try {
        return { ok: true, value: op() };
      } catch (error) {
        return { ok: false, error };
      }
    }),
  );
  const flush = () => {
    const ops = queue;
    queue = [];
    let outcomes: Outcome[];
    try {
      outcomes = runAll.immediate(ops);
    } catch (error) {
      for (const o of ops) o.reject(error); // the commit itself failed: nothing in the batch happened
      return;
    }
    ops.forEach((o, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) o.resolve(outcome.value);
      else o.reject(outcome.error);
    });
  };
  return <T>(now: boolean, op: () => T) =>
    new Promise<T>((resolve, reject) => {
      const first = queue.length === 0;
      queue.push({ op, resolve: resolve as (v: unknown) => void, reject });
      if (first && now) flush();
      else if (first) setImmediate(flush);
    });
}
