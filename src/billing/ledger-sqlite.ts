// SQLite ledger: better-sqlite3 prepared statements in synchronous transactions. The event loop runs one transaction
// at a time, so a reserve cannot interleave with another; WAL + synchronous=NORMAL keeps each commit to microseconds.
import type Database from 'better-sqlite3';
import type { HoldRequest, Ledger, ReserveOutcome, SettleResult, UsageLogEntry } from './ledger.js';
import { shortfallNote, sweptLog } from './ledger.js';

/** Prisma's SQLite adapter stores DateTime as ISO-8601 text with an explicit offset; we write the same. */
const sqliteNow = (ms = Date.now()): string => new Date(ms).toISOString().replace('Z', '+00:00');

class ShortError extends Error {
  constructor(readonly short: 'token' | 'account') {
    super(short);
  }
}

interface HoldRow {
  userId: number;
  tokenId: number | null;
  amount: number;
  tokenAmount: number;
}

export function createSqliteLedger(db: Database.Database): Ledger {
  const s = {
    takeToken: db.prepare('UPDATE "Token" SET "remainQuota" = "remainQuota" - ? WHERE "id" = ? AND "remainQuota" >= ?'),
    takeUser: db.prepare('UPDATE "User" SET "quota" = "quota" - ? WHERE "id" = ? AND "quota" >= ?'),
    insertHold: db.prepare(
      'INSERT INTO "QuotaHold" ("requestId", "userId", "tokenId", "amount", "tokenAmount", "createdAt") VALUES (?, ?, ?, ?, ?, ?)',
    ),
    tokenBalance: db.prepare('SELECT "remainQuota" AS q, "unlimited" AS u FROM "Token" WHERE "id" = ?'),
    userBalance: db.prepare('SELECT "quota" AS q FROM "User" WHERE "id" = ?'),
    deleteHold: db.prepare(
      'DELETE FROM "QuotaHold" WHERE "requestId" = ? RETURNING "userId", "tokenId", "amount", "tokenAmount"',
    ),
    userSettle: db.prepare(
      'UPDATE "User" SET "quota" = "quota" + ?, "usedQuota" = "usedQuota" + ?, "requestCount" = "requestCount" + 1 WHERE "id" = ?',
    ),
    tokenSettle: db.prepare(
      'UPDATE "Token" SET "remainQuota" = "remainQuota" + ?, "usedQuota" = "usedQuota" + ?, "lastUsedAt" = ? WHERE "id" = ?',
    ),
    insertLog: db.prepare(`INSERT INTO "UsageLog" ("createdAt", "requestId", "type", "source", "userId", "tokenId",
      "tokenName", "channelId", "endpoint", "model", "upstreamModel", "promptTokens", "completionTokens", "cacheReadTokens",
      "cacheWriteTokens", "groupRatio", "modelRatio", "completionRatio", "quota", "stream", "latencyMs", "ttftMs", "status",
      "content", "group") VALUES (@createdAt, @requestId, @type, @source, @userId, @tokenId, @tokenName, @channelId,
      @endpoint, @model, @upstreamModel, @promptTokens, @completionTokens, @cacheReadTokens, @cacheWriteTokens, @groupRatio,
      @modelRatio, @completionRatio, @quota, @stream, @latencyMs, @ttftMs, @status, @content, @group)`),
    staleHolds: db.prepare('SELECT "requestId" FROM "QuotaHold" WHERE "createdAt" <= ?'),
  };

  const reserveTx = db.transaction((h: HoldRequest) => {
    if (h.tokenId !== null && h.tokenLimited && s.takeToken.run(h.amount, h.tokenId, h.amount).changes === 0) {
      throw new ShortError('token');
    }
    if (s.takeUser.run(h.amount, h.userId, h.amount).changes === 0) throw new ShortError('account');
    s.insertHold.run(h.requestId, h.userId, h.tokenId, h.amount, h.tokenLimited ? h.amount : 0, sqliteNow());
  });

  const settleTx = db.transaction((requestId: string, cost: number, log: UsageLogEntry): SettleResult => {
    const hold = s.deleteHold.get(requestId) as HoldRow | undefined;
    if (!hold) return { settled: false, charged: 0, shortfall: 0 };
    let extraTaken = 0;
    let shortfall = 0;
    const extra = cost - hold.amount;
    let tokenLimited = hold.tokenAmount > 0;
    if (extra > 0) {
      const user = s.userBalance.get(hold.userId) as { q: number } | undefined;
      let available = user?.q ?? 0;
      if (hold.tokenId !== null) {
        const token = s.tokenBalance.get(hold.tokenId) as { q: number; u: number } | undefined;
        tokenLimited = token !== undefined && !token.u;
        if (tokenLimited) available = Math.min(available, token!.q);
      }
      extraTaken = Math.max(0, Math.min(extra, available));
      shortfall = extra - extraTaken;
    }
    const charged = Math.min(cost, hold.amount) + extraTaken;
    const back = hold.amount - charged; // negative when the overage was taken
    s.userSettle.run(back, charged, hold.userId);
    if (hold.tokenId !== null) s.tokenSettle.run(tokenLimited ? back : 0, charged, sqliteNow(), hold.tokenId);
    const note = shortfallNote(shortfall);
    s.insertLog.run({
      ...log,
      userId: hold.userId, // the hold is authoritative (the sweeper knows nothing else)
      tokenId: hold.tokenId,
      createdAt: sqliteNow(),
      quota: charged,
      stream: log.stream ? 1 : 0,
      content: note ? (log.content ? `${log.content}; ${note}` : note) : log.content,
    });
    return { settled: true, charged, shortfall };
  });

  // Group commit: the operations queued during one turn of the event loop run in ONE transaction, each inside its own
  // savepoint (better-sqlite3 nests transactions that way), so a refused reservation rolls back only itself. Under load
  // this divides the commit cost (WAL frames, locks) by the batch size; alone, a call waits one setImmediate.
  const commit = createGroupCommit(db);

  return {
    async reserve(h): Promise<ReserveOutcome> {
      try {
        await commit(() => reserveTx(h));
        return { ok: true };
      } catch (err) {
        if (!(err instanceof ShortError)) throw err;
        const row =
          err.short === 'token'
            ? (s.tokenBalance.get(h.tokenId) as { q: number } | undefined)
            : (s.userBalance.get(h.userId) as { q: number } | undefined);
        return { ok: false, short: err.short, available: row?.q ?? 0, needed: h.amount };
      }
    },
    settle: (requestId, cost, log) => commit(() => settleTx(requestId, cost, log)),
    async sweep(olderThanMs) {
      const cutoff = sqliteNow(Date.now() - olderThanMs);
      const rows = s.staleHolds.all(cutoff) as { requestId: string }[];
      for (const { requestId } of rows) await commit(() => settleTx(requestId, 0, sweptLog(requestId)));
      return rows.length;
    },
  };
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

function createGroupCommit(db: Database.Database): <T>(op: () => T) => Promise<T> {
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
  return <T>(op: () => T) =>
    new Promise<T>((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush);
      queue.push({ op, resolve: resolve as (v: unknown) => void, reject });
    });
}
