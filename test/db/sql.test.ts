// The hot path's SQL layer on both databases: statements written once, rows decoded with checked types, and the usage
// log's one column list writing every field the way Prisma reads it back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createTestContext, dbKinds, type TestContext } from '../helpers/context.js';
import { command, query, sqlGet, type Param, type Sql } from '../../src/db/sql.js';
import { INSERT_USAGE_LOG, INSERT_USAGE_LOG_ONCE, usageLogValues, type UsageLogRow } from '../../src/billing/usage-log.js';

const run = (sql: Sql, c: ReturnType<typeof command>, ...params: Param[]) =>
  sql.kind === 'sqlite' ? Promise.resolve(sql.run(c, ...params)) : sql.run(c, ...params);

describe.each(dbKinds)('sql layer on %s', (kind) => {
  let ctx: TestContext;
  let userId: number;

  beforeAll(async () => {
    ctx = await createTestContext(kind);
    userId = (await ctx.db.prisma.user.create({ data: { username: `u-${randomUUID()}`, quota: 9_007_199_254_740_991n } })).id;
  });
  afterAll(async () => ctx?.cleanup());

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
      stream: true, latencyMs: 99, ttftMs: null, status: 'ok', content: 'note', group: 'vip',
    };
    const before = Date.now() - 1000;
    await run(ctx.db.sql, INSERT_USAGE_LOG, ...usageLogValues(row));
    const stored = await ctx.db.prisma.usageLog.findUniqueOrThrow({ where: { requestId: row.requestId } });
    const { id, createdAt, quota, ...fields } = stored;
    expect({ ...fields, quota: Number(quota) }).toEqual(row);
    expect(createdAt.getTime()).toBeGreaterThan(before);
    expect(createdAt.getTime()).toBeLessThan(Date.now() + 1000);
    expect(id).toBeGreaterThan(0);
    // The sweeper's variant writes a request id once.
    expect(await run(ctx.db.sql, INSERT_USAGE_LOG_ONCE, ...usageLogValues({ ...row, content: 'again' }))).toBe(0);
    expect(await ctx.db.prisma.usageLog.count({ where: { requestId: row.requestId } })).toBe(1);
  });
});
