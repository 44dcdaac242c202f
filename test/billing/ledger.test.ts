// The ledger under attack: concurrent reservations, double settles, overage, crash recovery — and the SQL layer under it,
// on both databases.
import { describe, it, expect, beforeAll, afterAll, beforeEach, vi } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createTestContext, dbKinds, type TestContext } from '../helpers/context.js';
import { createLedger } from '../../src/billing/ledger-factory.js';
import type { Ledger, UsageLogEntry } from '../../src/billing/ledger.js';
import { BALANCE_TTL_MS, GROUP_COMMIT_WAIT_MS } from '../../src/billing/ledger-sqlite.js';
import { command, query, sqlGet, type Param, type Sql } from '../../src/db/sql.js';
import { INSERT_USAGE_LOG, INSERT_USAGE_LOG_ONCE, usageLogValues, type UsageLogRow } from '../../src/billing/usage-log.js';

const run = (sql: Sql, c: ReturnType<typeof command>, ...params: Param[]) =>
  sql.kind === 'sqlite' ? Promise.resolve(sql.run(c, ...params)) : sql.run(c, ...params);

function log(requestId: string, userId: number, tokenId: number | null): UsageLogEntry {
  return {
    requestId, type: 'consume', source: 'api', userId, tokenId, tokenName: 't', channelId: null, endpoint: 'chat', model: 'm',
    upstreamModel: 'm', promptTokens: 1, completionTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, groupRatio: '1',
    modelRatio: '1', completionRatio: '1', stream: false, latencyMs: 1, ttftMs: null, status: 'ok', content: '', group: 'default',
    usageSource: 'upstream', detail: '', attempts: null,
  };
}

describe.each(dbKinds)('ledger on %s', (kind) => {
  let ctx: TestContext;
  let ledger: Ledger;
  let userId: number;
  let tokenId: number;

  beforeAll(async () => {
    ctx = await createTestContext(kind);
    ledger = createLedger(ctx.db);
  });
  afterAll(async () => ctx?.cleanup());

  beforeEach(async () => {
    const user = await ctx.db.prisma.user.create({ data: { username: `u${randomUUID()}`, quota: 1000n } });
    const token = await ctx.db.prisma.token.create({
      data: { userId: user.id, name: 't', keyHash: randomUUID(), keyPrefix: 'sk-x', unlimited: false, remainQuota: 500n },
    });
    userId = user.id;
    tokenId = token.id;
  });

  const balances = async () => {
    const u = await ctx.db.prisma.user.findUniqueOrThrow({ where: { id: userId } });
    const t = await ctx.db.prisma.token.findUniqueOrThrow({ where: { id: tokenId } });
    const logs = await ctx.db.prisma.usageLog.findMany({ where: { userId } });
    const holds = await ctx.db.prisma.quotaHold.count({ where: { userId } });
    return {
      user: Number(u.quota), used: Number(u.usedQuota), token: Number(t.remainQuota), tokenUsed: Number(t.usedQuota),
      logged: logs.reduce((s, l) => s + Number(l.quota), 0), logs: logs.length, holds, requests: u.requestCount,
    };
  };

  it('100 parallel reservations against a token with quota for 10 never overdraw it', async () => {
    const ids = Array.from({ length: 100 }, () => randomUUID());
    const outcomes = await Promise.all(ids.map((requestId) => ledger.reserve({ requestId, userId, tokenId, tokenLimited: true, amount: 50 })));
    const ok = ids.filter((_, i) => outcomes[i]!.ok);
    expect(ok).toHaveLength(10);
    const refused = outcomes.find((o) => !o.ok);
    expect(refused).toEqual({ ok: false, short: 'token', available: 0, needed: 50 });
    await Promise.all(ok.map((id) => ledger.settle(id, 50, log(id, userId, tokenId))));
    const b = await balances();
    expect(b).toMatchObject({ token: 0, user: 500, used: 500, tokenUsed: 500, logged: 500, logs: 10, holds: 0, requests: 10 });
  });

  it('100 parallel reservations against an account with quota for 10 never overdraw it', async () => {
    const ids = Array.from({ length: 100 }, () => randomUUID());
    const outcomes = await Promise.all(ids.map((requestId) => ledger.reserve({ requestId, userId, tokenId, tokenLimited: false, amount: 100 })));
    const ok = ids.filter((_, i) => outcomes[i]!.ok);
    expect(ok).toHaveLength(10);
    expect(outcomes.find((o) => !o.ok)).toEqual({ ok: false, short: 'account', available: 0, needed: 100 });
    await Promise.all(ok.map((id) => ledger.settle(id, 60, log(id, userId, tokenId))));
    const b = await balances();
    expect(b).toMatchObject({ user: 400, used: 600, logged: 600, logs: 10, holds: 0, token: 500 });
  });

  it('a failed token check leaves the account untouched (all or nothing)', async () => {
    const r = await ledger.reserve({ requestId: randomUUID(), userId, tokenId, tokenLimited: true, amount: 501 });
    expect(r).toEqual({ ok: false, short: 'token', available: 500, needed: 501 });
    expect(await balances()).toMatchObject({ user: 1000, token: 500, holds: 0 });
  });

  it('a flexible hold takes what the balances have, down to its minimum, and only that', async () => {
    // Token 500, account 1000: a hold of up to 800 with at least 100 gets the token's 500.
    expect(await ledger.reserve({ requestId: randomUUID(), userId, tokenId, tokenLimited: true, amount: 800, minimum: 100 })).toEqual({ ok: true, amount: 500 });
    expect(await ledger.reserve({ requestId: randomUUID(), userId, tokenId, tokenLimited: true, amount: 800, minimum: 1 })).toEqual({
      ok: false, short: 'token', available: 0, needed: 1,
    });
    // Without the token's limit, the account's other 500 (a rich balance gets all it asks for, in one statement).
    expect(await ledger.reserve({ requestId: randomUUID(), userId, tokenId, tokenLimited: false, amount: 300, minimum: 10 })).toEqual({ ok: true, amount: 300 });
    expect(await ledger.reserve({ requestId: randomUUID(), userId, tokenId, tokenLimited: false, amount: 900, minimum: 10 })).toEqual({ ok: true, amount: 200 });
    expect(await ledger.reserve({ requestId: randomUUID(), userId, tokenId, tokenLimited: false, amount: 900, minimum: 10 })).toMatchObject({ ok: false, short: 'account', needed: 10 });
  });

  it('a hold with onlyIfAvailable is taken only when both balances have that much free, else nothing is touched', async () => {
    // Token 500, account 1000. 100 held only if 400 is free: the token has it.
    const first = randomUUID();
    expect(await ledger.reserve({ requestId: first, userId, tokenId, tokenLimited: true, amount: 100, minimum: 100, onlyIfAvailable: 400 })).toEqual({ ok: true, amount: 100 });
    // Now 400 of the token is free: another such hold still fits; a third would not (300 free < 400).
    const second = randomUUID();
    expect(await ledger.reserve({ requestId: second, userId, tokenId, tokenLimited: true, amount: 100, minimum: 100, onlyIfAvailable: 400 })).toEqual({ ok: true, amount: 100 });
    expect(await ledger.reserve({ requestId: randomUUID(), userId, tokenId, tokenLimited: true, amount: 100, minimum: 100, onlyIfAvailable: 400 })).toEqual({
      ok: false, short: 'token', available: 300, needed: 400,
    });
    // The account (800 free) refuses one that asks for 900 free, even with no token limit; a plain hold of 100 still fits.
    expect(await ledger.reserve({ requestId: randomUUID(), userId, tokenId, tokenLimited: false, amount: 100, minimum: 100, onlyIfAvailable: 900 })).toEqual({
      ok: false, short: 'account', available: 800, needed: 900,
    });
    const third = randomUUID();
    expect(await ledger.reserve({ requestId: third, userId, tokenId, tokenLimited: true, amount: 100 })).toEqual({ ok: true, amount: 100 });
    for (const id of [first, second, third]) await ledger.settle(id, 7, log(id, userId, tokenId));
    expect(await balances()).toMatchObject({ user: 1000 - 21, token: 500 - 21, holds: 0, logs: 3, logged: 21 });
  });

  it('100 parallel flexible holds share a balance exactly: what is held never exceeds it, nobody is refused while a minimum fits', async () => {
    const ids = Array.from({ length: 100 }, () => randomUUID());
    const outcomes = await Promise.all(ids.map((requestId) => ledger.reserve({ requestId, userId, tokenId, tokenLimited: true, amount: 37, minimum: 5 })));
    const held = outcomes.reduce((sum, o) => sum + (o.ok ? o.amount : 0), 0);
    expect(held).toBeLessThanOrEqual(500);
    expect(held).toBeGreaterThan(500 - 5); // refusals only once less than a minimum is left
    for (const o of outcomes) if (o.ok) expect(o.amount).toBeGreaterThanOrEqual(5);
    await Promise.all(ids.map((id, i) => (outcomes[i]!.ok ? ledger.settle(id, 4, log(id, userId, tokenId)) : undefined)));
    const okCount = outcomes.filter((o) => o.ok).length;
    expect(await balances()).toMatchObject({ token: 500 - 4 * okCount, user: 1000 - 4 * okCount, holds: 0, logs: okCount });
  });

  it('settles exactly once, even when settled concurrently', async () => {
    const id = randomUUID();
    await ledger.reserve({ requestId: id, userId, tokenId, tokenLimited: true, amount: 100 });
    const results = await Promise.all(Array.from({ length: 10 }, () => ledger.settle(id, 30, log(id, userId, tokenId))));
    expect(results.filter((r) => r.settled)).toHaveLength(1);
    expect(await balances()).toMatchObject({ user: 970, token: 470, used: 30, tokenUsed: 30, logged: 30, logs: 1, holds: 0 });
  });

  it('a refund (cost 0) gives everything back and logs zero', async () => {
    const id = randomUUID();
    await ledger.reserve({ requestId: id, userId, tokenId, tokenLimited: true, amount: 300 });
    // PostgreSQL takes the hold from the balance at once; SQLite holds it in memory (one process owns the file).
    expect(await balances()).toMatchObject(kind === 'postgresql' ? { user: 700, token: 200 } : { user: 1000, token: 500, holds: 0 });
    expect(await ledger.reserve({ requestId: randomUUID(), userId, tokenId, tokenLimited: true, amount: 201 })).toMatchObject({ ok: false, short: 'token', available: 200 });
    await ledger.settle(id, 0, { ...log(id, userId, tokenId), status: 'error', type: 'error' });
    expect(await balances()).toMatchObject({ user: 1000, token: 500, used: 0, logged: 0, logs: 1, holds: 0 });
  });

  it('takes an overage from what is left, never below zero, and records the shortfall', async () => {
    const id = randomUUID();
    await ledger.reserve({ requestId: id, userId, tokenId, tokenLimited: true, amount: 400 });
    const r = await ledger.settle(id, 650, log(id, userId, tokenId)); // token has 100 left after the hold
    expect(r).toEqual({ settled: true, charged: 500, shortfall: 150 });
    expect(await balances()).toMatchObject({ token: 0, user: 500, used: 500, logged: 500 });
    const entry = await ctx.db.prisma.usageLog.findFirstOrThrow({ where: { requestId: id } });
    expect(entry.content).toMatch(/150 units could not be charged/);
    expect(entry).toMatchObject({ quota: 500n, writeOff: 150n }); // the write-off in its own column
  });

  it('settles of one moment are charged in order: an overage takes what the earlier ones left', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await ctx.db.prisma.token.update({ where: { id: tokenId }, data: { unlimited: true } });
    await ledger.reserve({ requestId: a, userId, tokenId, tokenLimited: false, amount: 400 });
    await ledger.reserve({ requestId: b, userId, tokenId, tokenLimited: false, amount: 400 });
    // Settled together (one group commit on SQLite): a costs more than it reserved, b exactly what it reserved.
    const [ra, rb] = await Promise.all([ledger.settle(a, 700, log(a, userId, tokenId)), ledger.settle(b, 400, log(b, userId, tokenId))]);
    expect(ra).toEqual({ settled: true, charged: 600, shortfall: 100 });
    expect(rb).toEqual({ settled: true, charged: 400, shortfall: 0 });
    expect(await balances()).toMatchObject({ user: 0, used: 1000, logged: 1000, logs: 2, requests: 2, token: 500, tokenUsed: 1000, holds: 0 });
  });

  it('a settle that cannot be written fails alone: the others settled with it are charged', async () => {
    const [bad, ok1, ok2] = [randomUUID(), randomUUID(), randomUUID()];
    // A usage-log row with the same request id already exists, so writing this call's row fails.
    await ctx.db.prisma.usageLog.create({ data: { requestId: bad, userId, type: 'error', status: 'error' } });
    for (const id of [ok1, bad, ok2]) await ledger.reserve({ requestId: id, userId, tokenId, tokenLimited: true, amount: 100 });
    const results = await Promise.allSettled([ok1, bad, ok2].map((id) => ledger.settle(id, 30, log(id, userId, tokenId))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const b = await balances();
    expect(b).toMatchObject({ used: 60, tokenUsed: 60, logged: 60, requests: 2 });
    // SQLite lets the failed call's hold go (nothing was taken for it); PostgreSQL keeps it for the sweeper, which
    // releases it even though a log row with its request id exists.
    expect(b).toMatchObject(kind === 'sqlite' ? { user: 940, token: 440, holds: 0 } : { user: 840, token: 340, holds: 1 });
    await ledger.sweep(0);
    expect(await balances()).toMatchObject({ user: 940, token: 440, used: 60, holds: 0 });
  });

  it.runIf(kind === 'sqlite')('group commit: alone a settle commits at once; with calls in flight it waits for them, briefly', async () => {
    if (ctx.db.kind !== 'sqlite') return;
    // Its own ledger (holds other tests left open would count as calls in flight), on a clock that stands still: the
    // settles come "at once", as under load, so the wait is not skipped for a quiet relay (the next test).
    const ledger = createLedger(ctx.db, undefined, () => 0);
    const sqlite = ctx.db.sqlite;
    const used = () => (sqlite.prepare('SELECT "usedQuota" FROM "User" WHERE "id" = ?').get(userId) as { usedQuota: number }).usedQuota;
    const [alone, a, b, c, d, e] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    // Alone: committed before settle() even returns its promise.
    await ledger.reserve({ requestId: alone, userId, tokenId, tokenLimited: false, amount: 10 });
    const aloneDone = ledger.settle(alone, 1, log(alone, userId, tokenId));
    expect(used()).toBe(1);
    await aloneDone;
    // Three in flight: the first two settles wait for the third; the third (nobody left running) commits all three.
    for (const id of [a, b, c]) await ledger.reserve({ requestId: id, userId, tokenId, tokenLimited: false, amount: 10 });
    const first = [ledger.settle(a, 2, log(a, userId, tokenId)), ledger.settle(b, 3, log(b, userId, tokenId))];
    expect(used()).toBe(1);
    const last = ledger.settle(c, 4, log(c, userId, tokenId));
    expect(used()).toBe(10);
    await Promise.all([...first, last]);
    // A call still running does not hold the others back for long: GROUP_COMMIT_WAIT_MS, then they commit without it.
    // (Fake timers: the wait is a timer of GROUP_COMMIT_WAIT_MS; measuring it in real time would flake.)
    for (const id of [d, e]) await ledger.reserve({ requestId: id, userId, tokenId, tokenLimited: false, amount: 10 });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const waiting = ledger.settle(d, 5, log(d, userId, tokenId));
      await Promise.resolve();
      expect(used()).toBe(10); // waiting for e, which is still running
      vi.advanceTimersByTime(GROUP_COMMIT_WAIT_MS);
      expect(used()).toBe(15); // the wait is over: committed without e
      await waiting;
    } finally {
      vi.useRealTimers();
    }
    await ledger.settle(e, 6, log(e, userId, tokenId));
    expect(await balances()).toMatchObject({ used: 21, logged: 21, logs: 6, holds: 0 });
  });

  it.runIf(kind === 'sqlite')('group commit: a quiet relay does not wait (settles further apart than the wait)', async () => {
    if (ctx.db.kind !== 'sqlite') return;
    let clock = 0;
    const ledger = createLedger(ctx.db, undefined, () => clock);
    const sqlite = ctx.db.sqlite;
    const used = () => (sqlite.prepare('SELECT "usedQuota" FROM "User" WHERE "id" = ?').get(userId) as { usedQuota: number }).usedQuota;
    const ids = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    for (const id of ids) await ledger.reserve({ requestId: id, userId, tokenId, tokenLimited: false, amount: 10 });
    // Busy (settles at the same instant): the first waits for the others still running.
    const first = ledger.settle(ids[0]!, 1, log(ids[0]!, userId, tokenId));
    expect(used()).toBe(0);
    // Quiet: a settle comes a second after the one before. The mean gap (1000 ms × 1/4) is far above the wait, so this
    // one commits at once, with the one that was waiting, although two calls are still running.
    clock += 1000;
    const second = ledger.settle(ids[1]!, 2, log(ids[1]!, userId, tokenId));
    expect(used()).toBe(3);
    await Promise.all([first, second]);
    clock += 1000;
    await ledger.settle(ids[2]!, 3, log(ids[2]!, userId, tokenId));
    expect(used()).toBe(6); // still quiet: at once again, one call still running
    // Busy again (settles at the same instant): after a few dozen the mean gap is below the wait, and they wait again.
    for (let i = 0; i < 20; i++) {
      const id = randomUUID();
      await ledger.reserve({ requestId: id, userId, tokenId, tokenLimited: false, amount: 10 });
      await ledger.settle(id, 1, log(id, userId, tokenId)); // nobody else running: at once
    }
    expect(used()).toBe(26);
    const runningId = randomUUID();
    await ledger.reserve({ requestId: runningId, userId, tokenId, tokenLimited: false, amount: 10 });
    const waiting = ledger.settle(ids[3]!, 4, log(ids[3]!, userId, tokenId));
    expect(used()).toBe(26); // waits for the call still running (or the timer)
    await ledger.settle(runningId, 1, log(runningId, userId, tokenId));
    await waiting;
    expect(used()).toBe(31);
  });

  it.runIf(kind === 'sqlite')('commitsInTurn: says when the next settle commits before it returns, and keeps its word', async () => {
    if (ctx.db.kind !== 'sqlite') return;
    let clock = 0;
    const ledger = createLedger(ctx.db, undefined, () => clock);
    const sqlite = ctx.db.sqlite;
    const used = () => (sqlite.prepare('SELECT "usedQuota" FROM "User" WHERE "id" = ?').get(userId) as { usedQuota: number }).usedQuota;
    const [alone, a, b] = [randomUUID(), randomUUID(), randomUUID()];
    expect(ledger.commitsInTurn!(randomUUID())).toBe(false); // no hold: nothing to commit
    await ledger.reserve({ requestId: alone, userId, tokenId, tokenLimited: false, amount: 10 });
    expect(ledger.commitsInTurn!(alone)).toBe(true); // alone: nobody to share the commit with
    const aloneDone = ledger.settle(alone, 1, log(alone, userId, tokenId));
    expect(used()).toBe(1);
    await aloneDone;
    // Two in flight on a busy relay (settles at the same instant): the first would wait for the second.
    for (const id of [a, b]) await ledger.reserve({ requestId: id, userId, tokenId, tokenLimited: false, amount: 10 });
    expect(ledger.commitsInTurn!(a)).toBe(false);
    // Quiet now (a second since the last settle): at once, although b is still running. The clock then steps back
    // before the settle; the settle still commits at once, as promised.
    clock += 1000;
    expect(ledger.commitsInTurn!(a)).toBe(true);
    clock -= 1000;
    const aDone = ledger.settle(a, 2, log(a, userId, tokenId));
    expect(used()).toBe(3);
    await aDone;
    await ledger.settle(b, 3, log(b, userId, tokenId));
    expect(await balances()).toMatchObject({ used: 6, logged: 6, logs: 3, holds: 0 });
  });

  it.runIf(kind === 'postgresql')('sweep releases orphaned holds (a crashed process) and leaves fresh ones', async () => {
    const orphan = randomUUID();
    const fresh = randomUUID();
    await ledger.reserve({ requestId: orphan, userId, tokenId, tokenLimited: true, amount: 200 });
    // Age the orphan as if its process died long ago.
    await ctx.db.prisma.quotaHold.update({ where: { requestId: orphan }, data: { createdAt: new Date(Date.now() - 3_600_000) } });
    await ledger.reserve({ requestId: fresh, userId, tokenId, tokenLimited: true, amount: 100 });
    expect(await ledger.sweep(60_000)).toBe(1);
    expect(await balances()).toMatchObject({ user: 900, token: 400, holds: 1, logged: 0 });
    const entry = await ctx.db.prisma.usageLog.findFirstOrThrow({ where: { requestId: orphan } });
    expect(entry).toMatchObject({ status: 'error', userId, tokenId });
    // Settling the swept request later is a no-op: the money was already returned.
    expect((await ledger.settle(orphan, 200, log(orphan, userId, tokenId))).settled).toBe(false);
    expect(await ledger.sweep(0)).toBe(1);
    expect(await balances()).toMatchObject({ user: 1000, token: 500, holds: 0 });
  });

  it.runIf(kind === 'sqlite')('admission reads cached balances: a published change is seen at once, an unpublished one within a second', async () => {
    let clock = Date.now();
    const cached = createLedger(ctx.db, ctx.bus, () => clock);
    const reserve = () => cached.reserve({ requestId: randomUUID(), userId, tokenId, tokenLimited: false, amount: 1500 });
    expect(await reserve()).toMatchObject({ ok: false, short: 'account', available: 1000 });
    // A top-up that says so (as the redemption and user services do) is seen by the very next call.
    await ctx.db.prisma.user.update({ where: { id: userId }, data: { quota: 2000n } });
    ctx.bus.publish('users');
    expect(await reserve()).toEqual({ ok: true, amount: 1500 });
    // A change nobody announced is picked up once the cached balance is older than BALANCE_TTL_MS.
    await ctx.db.prisma.user.update({ where: { id: userId }, data: { quota: 5000n } });
    expect(await reserve()).toMatchObject({ ok: false, short: 'account', available: 500 });
    clock += BALANCE_TTL_MS - 1;
    expect(await reserve()).toMatchObject({ ok: false, available: 500 }); // (the second call's hold is still open)
    clock += 1;
    expect(await reserve()).toEqual({ ok: true, amount: 1500 });
  });

  it.runIf(kind === 'sqlite')('holds live in memory: a process that dies leaves the balances untouched; old table rows are refunded', async () => {
    const crashed = createLedger(ctx.db); // a second ledger stands for the process that will die
    await crashed.reserve({ requestId: randomUUID(), userId, tokenId, tokenLimited: true, amount: 400 });
    expect(await balances()).toMatchObject({ user: 1000, token: 500, holds: 0 }); // nothing was written for the hold
    // A row left by a version that kept holds in the table (balance already taken): the sweep gives it back.
    await ctx.db.prisma.$transaction([
      ctx.db.prisma.quotaHold.create({ data: { requestId: 'legacy-1', userId, tokenId, amount: 100n, tokenAmount: 100n } }),
      ctx.db.prisma.user.update({ where: { id: userId }, data: { quota: { decrement: 100 } } }),
      ctx.db.prisma.token.update({ where: { id: tokenId }, data: { remainQuota: { decrement: 100 } } }),
    ]);
    expect(await ledger.sweep(0)).toBe(1);
    expect(await balances()).toMatchObject({ user: 1000, token: 500, holds: 0, logged: 0, logs: 1 });
  });

  // The hot path's SQL layer (src/db/sql.ts) on the same database: statements written once, rows decoded with checked
  // types, and the usage log's one column list writing every field the way Prisma reads it back.
  describe('SQL layer', () => {
    let userId: number;

    beforeAll(async () => {
      userId = (await ctx.db.prisma.user.create({ data: { username: `u-${randomUUID()}`, quota: 9_007_199_254_740_991n } })).id;
    });

    it('reads integers (BIGINT included), strings, booleans, nulls and times with one decoder for both drivers', async () => {
      await ctx.db.prisma.token.create({
        data: { userId, name: 'n', keyHash: 'h-1', keyPrefix: 'sk-x', unlimited: false, remainQuota: 42n, expiresAt: new Date('2030-01-02T03:04:05.678Z') },
      });
      const q = query('SELECT t."remainQuota", t."unlimited", t."group", t."expiresAt", u."quota" FROM "Token" t JOIN "User" u ON u."id" = t."userId" WHERE t."keyHash" = ?', (r) => ({
        remain: r.int('remainQuota'),
        unlimited: r.bool('unlimited'),
        group: r.stringOrNull('group'),
        expiresAt: r.timeOrNull('expiresAt'),
        quota: r.int('quota'),
      }));
      expect(await sqlGet(ctx.db.sql, q, 'h-1')).toEqual({
        remain: 42,
        unlimited: false,
        group: null,
        expiresAt: Date.parse('2030-01-02T03:04:05.678Z'),
        quota: Number.MAX_SAFE_INTEGER,
      });
      expect(await sqlGet(ctx.db.sql, q, 'no-such-hash')).toBeUndefined();
    });

    it('refuses a column of the wrong type, naming it', async () => {
      const wrong = query('SELECT "username" FROM "User" WHERE "id" = ?', (r) => r.int('username'));
      await expect(sqlGet(ctx.db.sql, wrong, userId)).rejects.toThrow(/column "username" is not an integer/);
      const missing = query('SELECT "username" FROM "User" WHERE "id" = ?', (r) => r.string('name'));
      await expect(sqlGet(ctx.db.sql, missing, userId)).rejects.toThrow(/column "name" is missing/);
    });

    it('writes placeholders once: repeated and quoted ones included', async () => {
      const bump = command(`UPDATE "User" SET "requestCount" = "requestCount" + ?, "status" = 'en?abled' WHERE "id" = ? AND "requestCount" < ?`);
      expect(await run(ctx.db.sql, bump, 3, userId, 100)).toBe(1);
      const row = await ctx.db.prisma.user.findUniqueOrThrow({ where: { id: userId } });
      expect(row).toMatchObject({ requestCount: 3, status: 'en?abled' });
      await ctx.db.prisma.user.update({ where: { id: userId }, data: { status: 'enabled' } });
    });

    it('inserts a usage log row whose every field Prisma reads back as written', async () => {
      const row: UsageLogRow = {
        requestId: randomUUID(), type: 'consume', source: 'telegram', userId, tokenId: null, tokenName: 'tk', channelId: 7,
        endpoint: '/v1/chat/completions', model: 'm', upstreamModel: 'm-up', promptTokens: 11, completionTokens: 22,
        cacheReadTokens: 33, cacheWriteTokens: 44, groupRatio: '0.5', modelRatio: '1.25', completionRatio: '4', quota: 123_456,
        stream: true, latencyMs: 99, ttftMs: null, status: 'ok', content: 'note', group: 'vip', usageSource: 'mixed',
        writeOff: 17, detail: 'upstream said no', attempts: '[{"channelId":1}]',
      };
      const before = Date.now() - 1000;
      // Settle's fields come from the second argument, whatever the entry says.
      await run(ctx.db.sql, INSERT_USAGE_LOG, ...usageLogValues({ ...row, userId: 0, tokenId: 5, content: 'not this' }, row));
      const stored = await ctx.db.prisma.usageLog.findUniqueOrThrow({ where: { requestId: row.requestId } });
      const { id, createdAt, quota, writeOff, ...fields } = stored;
      expect({ ...fields, quota: Number(quota), writeOff: Number(writeOff) }).toEqual(row);
      expect(createdAt.getTime()).toBeGreaterThan(before);
      expect(createdAt.getTime()).toBeLessThan(Date.now() + 1000);
      expect(id).toBeGreaterThan(0);
      // The sweeper's variant writes a request id once.
      expect(await run(ctx.db.sql, INSERT_USAGE_LOG_ONCE, ...usageLogValues(row, { ...row, content: 'again' }))).toBe(0);
      expect(await ctx.db.prisma.usageLog.count({ where: { requestId: row.requestId } })).toBe(1);
    });
  });
});
