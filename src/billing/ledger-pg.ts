// PostgreSQL ledger: each operation is one short transaction on one pooled connection. Reserve uses conditional
// UPDATEs (the row lock makes concurrent reservations from any number of instances serialise on the balance); settle
// deletes the hold first, so a second settle of the same request finds nothing and does nothing.
import type { HoldRequest, Ledger, ReserveOutcome, SettleResult } from './ledger.js';
import { contentWithShortfall, INSERT_USAGE_LOG, INSERT_USAGE_LOG_ONCE, sweptLog, usageLogValues, type UsageLogEntry } from './usage-log.js';
import { command, query, type PgSql } from '../db/sql.js';

const RESERVE_TOKEN = command('UPDATE "Token" SET "remainQuota" = "remainQuota" - ? WHERE "id" = ? AND "remainQuota" >= ?');
const RESERVE_USER = command('UPDATE "User" SET "quota" = "quota" - ? WHERE "id" = ? AND "quota" >= ?');
const INSERT_HOLD = command('INSERT INTO "QuotaHold" ("requestId", "userId", "tokenId", "amount", "tokenAmount", "createdAt") VALUES (?, ?, ?, ?, ?, {now})');
const TOKEN_BALANCE = query('SELECT "remainQuota" FROM "Token" WHERE "id" = ?', (r) => r.int('remainQuota'));
const USER_BALANCE = query('SELECT "quota" FROM "User" WHERE "id" = ?', (r) => r.int('quota'));
const CLAIM_HOLD = query('DELETE FROM "QuotaHold" WHERE "requestId" = ? RETURNING "userId", "tokenId", "amount", "tokenAmount"', (r) => ({
  userId: r.int('userId'),
  tokenId: r.intOrNull('tokenId'),
  amount: r.int('amount'),
  tokenAmount: r.int('tokenAmount'),
}));
const LOCK_TOKEN = query('SELECT "remainQuota", "unlimited" FROM "Token" WHERE "id" = ? FOR UPDATE', (r) => ({
  remainQuota: r.int('remainQuota'),
  unlimited: r.bool('unlimited'),
}));
const LOCK_USER = query('SELECT "quota" FROM "User" WHERE "id" = ? FOR UPDATE', (r) => r.int('quota'));
const SETTLE_TOKEN = command('UPDATE "Token" SET "remainQuota" = "remainQuota" + ?, "usedQuota" = "usedQuota" + ?, "lastUsedAt" = {now} WHERE "id" = ?');
const SETTLE_USER = command('UPDATE "User" SET "quota" = "quota" + ?, "usedQuota" = "usedQuota" + ?, "requestCount" = "requestCount" + 1 WHERE "id" = ?');
const AGED_HOLDS = query(`SELECT "requestId" FROM "QuotaHold" WHERE "createdAt" <= {now} - (? || ' milliseconds')::interval`, (r) => r.string('requestId'));

class ShortError extends Error {
  constructor(readonly short: 'token' | 'account') {
    super(short);
  }
}

export function createPgLedger(sql: PgSql): Ledger {
  /** `sweeping`: the hold is released even if a log row with its request id exists (the money matters more). */
  async function settleOn(tx: PgSql, requestId: string, cost: number, log: UsageLogEntry, sweeping = false): Promise<SettleResult> {
    const hold = await tx.get(CLAIM_HOLD, requestId);
    if (!hold) return { settled: false, charged: 0, shortfall: 0 };
    let tokenLimited = hold.tokenAmount > 0;
    let extraTaken = 0;
    let shortfall = 0;
    const extra = cost - hold.amount;
    if (extra > 0) {
      // Lock both rows in the order reserve takes them (token, then user): the same order everywhere means no deadlock.
      let available = Number.MAX_SAFE_INTEGER;
      if (hold.tokenId !== null) {
        const token = await tx.get(LOCK_TOKEN, hold.tokenId);
        tokenLimited = token !== undefined && !token.unlimited;
        if (tokenLimited) available = token!.remainQuota;
      }
      available = Math.min(available, (await tx.get(LOCK_USER, hold.userId)) ?? 0);
      extraTaken = Math.max(0, Math.min(extra, available));
      shortfall = extra - extraTaken;
    }
    const charged = Math.min(cost, hold.amount) + extraTaken;
    const back = hold.amount - charged;
    if (hold.tokenId !== null) await tx.run(SETTLE_TOKEN, tokenLimited ? back : 0, charged, hold.tokenId);
    await tx.run(SETTLE_USER, back, charged, hold.userId);
    const settled = { userId: hold.userId, tokenId: hold.tokenId, quota: charged, writeOff: shortfall, content: contentWithShortfall(log.content, shortfall) };
    await tx.run(sweeping ? INSERT_USAGE_LOG_ONCE : INSERT_USAGE_LOG, ...usageLogValues(log, settled));
    return { settled: true, charged, shortfall };
  }

  /** Holds `amount` with conditional decrements: nothing is taken unless both balances have it all. */
  async function holdAll(tx: PgSql, h: HoldRequest, amount: number): Promise<void> {
    const wanted = Math.max(amount, h.onlyIfAvailable ?? 0); // what each balance must have for the decrement to happen
    if (h.tokenId !== null && h.tokenLimited) {
      if ((await tx.run(RESERVE_TOKEN, amount, h.tokenId, wanted)) === 0) throw new ShortError('token');
    }
    if ((await tx.run(RESERVE_USER, amount, h.userId, wanted)) === 0) throw new ShortError('account');
    await tx.run(INSERT_HOLD, h.requestId, h.userId, h.tokenId, amount, h.tokenLimited ? amount : 0);
  }

  /** A flexible hold on a short balance: lock both rows (token, then user, as settle does), take what is there. */
  async function holdWhatIsLeft(tx: PgSql, h: HoldRequest, minimum: number): Promise<number> {
    let room = h.amount;
    if (h.tokenId !== null && h.tokenLimited) {
      const token = await tx.get(LOCK_TOKEN, h.tokenId);
      if (!token || token.remainQuota < minimum) throw new ShortError('token');
      room = Math.min(room, token.remainQuota);
    }
    const user = (await tx.get(LOCK_USER, h.userId)) ?? 0;
    if (user < minimum) throw new ShortError('account');
    const amount = Math.min(room, user);
    await holdAll(tx, h, amount);
    return amount;
  }

  return {
    async reserve(h: HoldRequest): Promise<ReserveOutcome> {
      const minimum = Math.min(h.minimum ?? h.amount, h.amount);
      try {
        // The usual case, a balance that covers the whole allowance, costs no more than an all-or-nothing hold; a
        // flexible hold on a short balance tries again, taking what is left.
        try {
          await sql.transaction((tx) => holdAll(tx, h, h.amount));
          return { ok: true, amount: h.amount };
        } catch (err) {
          if (!(err instanceof ShortError) || minimum === h.amount || h.onlyIfAvailable !== undefined) throw err;
        }
        return { ok: true, amount: await sql.transaction((tx) => holdWhatIsLeft(tx, h, minimum)) };
      } catch (err) {
        if (!(err instanceof ShortError)) throw err;
        const available = err.short === 'token' ? await sql.get(TOKEN_BALANCE, h.tokenId) : await sql.get(USER_BALANCE, h.userId);
        return { ok: false, short: err.short, available: available ?? 0, needed: Math.max(minimum, h.onlyIfAvailable ?? 0) };
      }
    },
    settle: (requestId, cost, log) => sql.transaction((tx) => settleOn(tx, requestId, cost, log)),
    async sweep(olderThanMs) {
      const aged = await sql.all(AGED_HOLDS, String(olderThanMs));
      let released = 0;
      let failure: unknown;
      for (const requestId of aged) {
        // One hold that cannot be released must not keep the others' money held: go on, report the first failure.
        try {
          const r = await sql.transaction((tx) => settleOn(tx, requestId, 0, sweptLog(requestId), true));
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
