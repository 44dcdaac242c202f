// PostgreSQL ledger: each operation is one short transaction on one pooled connection. Reserve uses conditional
// UPDATEs (the row lock makes concurrent reservations from any number of instances serialise on the balance); settle
// deletes the hold first, so a second settle of the same request finds nothing and does nothing.
// Prisma keeps DateTime in "timestamp without time zone" columns as UTC, so raw SQL writes now() AT TIME ZONE 'UTC'.
import type pg from 'pg';
import type { HoldRequest, Ledger, ReserveOutcome, SettleResult, UsageLogEntry } from './ledger.js';
import { shortfallNote, sweptLog } from './ledger.js';

async function inTransaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

class ShortError extends Error {
  constructor(readonly short: 'token' | 'account') {
    super(short);
  }
}

const INSERT_LOG = `INSERT INTO "UsageLog" ("createdAt", "requestId", "type", "source", "userId", "tokenId", "tokenName",
  "channelId", "endpoint", "model", "upstreamModel", "promptTokens", "completionTokens", "cacheReadTokens",
  "cacheWriteTokens", "groupRatio", "modelRatio", "completionRatio", "quota", "stream", "latencyMs", "ttftMs", "status",
  "content", "group") VALUES (now() AT TIME ZONE 'UTC', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
  $20, $21, $22, $23, $24)`;

export function createPgLedger(pool: pg.Pool): Ledger {
  /** `sweeping`: the hold is released even if a log row with its request id exists (the money matters more). */
  async function settleOn(c: pg.PoolClient, requestId: string, cost: number, log: UsageLogEntry, sweeping = false): Promise<SettleResult> {
    const { rows } = await c.query<{ userId: number; tokenId: number | null; amount: string; tokenAmount: string }>(
      'DELETE FROM "QuotaHold" WHERE "requestId" = $1 RETURNING "userId", "tokenId", "amount", "tokenAmount"',
      [requestId],
    );
    const hold = rows[0];
    if (!hold) return { settled: false, charged: 0, shortfall: 0 };
    const amount = Number(hold.amount);
    let tokenLimited = Number(hold.tokenAmount) > 0;
    let extraTaken = 0;
    let shortfall = 0;
    const extra = cost - amount;
    if (extra > 0) {
      // Lock both rows in the order reserve takes them (token, then user): the same order everywhere means no deadlock.
      let available = Number.MAX_SAFE_INTEGER;
      if (hold.tokenId !== null) {
        const token = await c.query<{ remainQuota: string; unlimited: boolean }>(
          'SELECT "remainQuota", "unlimited" FROM "Token" WHERE "id" = $1 FOR UPDATE',
          [hold.tokenId],
        );
        const row = token.rows[0];
        tokenLimited = row !== undefined && !row.unlimited;
        if (tokenLimited) available = Number(row!.remainQuota);
      }
      const user = await c.query<{ quota: string }>('SELECT "quota" FROM "User" WHERE "id" = $1 FOR UPDATE', [hold.userId]);
      available = Math.min(available, Number(user.rows[0]?.quota ?? 0));
      extraTaken = Math.max(0, Math.min(extra, available));
      shortfall = extra - extraTaken;
    }
    const charged = Math.min(cost, amount) + extraTaken;
    const back = amount - charged;
    if (hold.tokenId !== null) {
      await c.query(
        `UPDATE "Token" SET "remainQuota" = "remainQuota" + $1, "usedQuota" = "usedQuota" + $2, "lastUsedAt" = now() AT TIME ZONE 'UTC' WHERE "id" = $3`,
        [tokenLimited ? back : 0, charged, hold.tokenId],
      );
    }
    await c.query(
      'UPDATE "User" SET "quota" = "quota" + $1, "usedQuota" = "usedQuota" + $2, "requestCount" = "requestCount" + 1 WHERE "id" = $3',
      [back, charged, hold.userId],
    );
    const note = shortfallNote(shortfall);
    await c.query(sweeping ? `${INSERT_LOG} ON CONFLICT ("requestId") DO NOTHING` : INSERT_LOG, [
      log.requestId, log.type, log.source, hold.userId, hold.tokenId, log.tokenName, log.channelId, log.endpoint, log.model,
      log.upstreamModel, log.promptTokens, log.completionTokens, log.cacheReadTokens, log.cacheWriteTokens, log.groupRatio,
      log.modelRatio, log.completionRatio, charged, log.stream, log.latencyMs, log.ttftMs, log.status,
      note ? (log.content ? `${log.content}; ${note}` : note) : log.content, log.group,
    ]);
    return { settled: true, charged, shortfall };
  }

  return {
    async reserve(h: HoldRequest): Promise<ReserveOutcome> {
      try {
        await inTransaction(pool, async (c) => {
          if (h.tokenId !== null && h.tokenLimited) {
            const r = await c.query('UPDATE "Token" SET "remainQuota" = "remainQuota" - $1 WHERE "id" = $2 AND "remainQuota" >= $1', [
              h.amount,
              h.tokenId,
            ]);
            if (r.rowCount === 0) throw new ShortError('token');
          }
          const r = await c.query('UPDATE "User" SET "quota" = "quota" - $1 WHERE "id" = $2 AND "quota" >= $1', [h.amount, h.userId]);
          if (r.rowCount === 0) throw new ShortError('account');
          await c.query(
            `INSERT INTO "QuotaHold" ("requestId", "userId", "tokenId", "amount", "tokenAmount", "createdAt") VALUES ($1, $2, $3, $4, $5, now() AT TIME ZONE 'UTC')`,
            [h.requestId, h.userId, h.tokenId, h.amount, h.tokenLimited ? h.amount : 0],
          );
        });
        return { ok: true };
      } catch (err) {
        if (!(err instanceof ShortError)) throw err;
        const { rows } =
          err.short === 'token'
            ? await pool.query<{ q: string }>('SELECT "remainQuota" AS q FROM "Token" WHERE "id" = $1', [h.tokenId])
            : await pool.query<{ q: string }>('SELECT "quota" AS q FROM "User" WHERE "id" = $1', [h.userId]);
        return { ok: false, short: err.short, available: Number(rows[0]?.q ?? 0), needed: h.amount };
      }
    },
    settle: (requestId, cost, log) => inTransaction(pool, (c) => settleOn(c, requestId, cost, log)),
    async sweep(olderThanMs) {
      const { rows } = await pool.query<{ requestId: string }>(
        `SELECT "requestId" FROM "QuotaHold" WHERE "createdAt" <= (now() AT TIME ZONE 'UTC') - ($1 || ' milliseconds')::interval`,
        [String(olderThanMs)],
      );
      let released = 0;
      let failure: unknown;
      for (const { requestId } of rows) {
        // One hold that cannot be released must not keep the others' money held: go on, report the first failure.
        try {
          const r = await inTransaction(pool, (c) => settleOn(c, requestId, 0, sweptLog(requestId), true));
          if (r.settled) released++;
        } catch (err) {
          failure ??= err;
        }
      }
      if (failure) throw failure;
      return released;
    },
  };
}
