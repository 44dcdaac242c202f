// A relay process killed mid-request: on SQLite (one process owns the file) reservations are held in memory and only a
// settled call writes to the database, so the killed call leaves nothing to undo and the balances add up at once and
// after the next start. (PostgreSQL keeps holds in a table and its sweeper releases them: see test/billing/ledger.test.ts.)
//
// The process runs with package.json's node flags, from source through tsx (nothing is compiled, nothing written to
// dist/): what is under test is what a killed process leaves behind, not the build.
import { describe, it, expect, afterAll } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { createTestContext, createTestDatabase } from '../helpers/context.js';
import { startServerProcess } from '../helpers/server-process.js';
import { seedAccount, addChannel, eventually } from '../helpers/relay.js';
import { startFakeOpenAI } from '../fakes/openai-upstream.js';
import type { TestApp } from '../helpers/context.js';
import { RelayService } from '../../src/relay/service.js';
import { buildApp } from '../../src/app.js';

describe('crash recovery', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  it('a request whose process was killed is neither charged nor left half-reserved', { timeout: 120_000 }, async () => {
    const up = await startFakeOpenAI();
    up.setScript(() => ({ kind: 'hang' }));
    const database = await createTestDatabase('sqlite');
    const ctx = await createTestContext('sqlite', {}, database);
    const t = { ctx } as unknown as TestApp;
    await ctx.options.update({ modelRatios: { m: 1 }, completionRatios: { m: 1 } });
    await addChannel(t, { baseUrl: up.url, models: ['m'] });
    const account = await seedAccount(t, { quota: 10_000, tokenQuota: 5_000 });
    const read = async () => {
      const u = await ctx.db.prisma.user.findUniqueOrThrow({ where: { id: account.userId } });
      const tk = await ctx.db.prisma.token.findUniqueOrThrow({ where: { id: account.tokenId } });
      return { quota: Number(u.quota), token: Number(tk.remainQuota), holds: await ctx.db.prisma.quotaHold.count(), logs: await ctx.db.prisma.usageLog.findMany() };
    };

    const first = await startServerProcess({ DATABASE_URL: database.url });
    children.push(first.child);
    void fetch(`${first.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${account.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 100, stream: true }),
    }).catch(() => {});
    await eventually(() => expect(up.requests).toHaveLength(1), 20_000);
    // The call was admitted (it reached the upstream) with 8 prompt + 100 max_tokens held in the process's memory.
    expect(await read()).toMatchObject({ quota: 10_000, token: 5_000, holds: 0 });

    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    expect(await read()).toMatchObject({ quota: 10_000, token: 5_000, holds: 0, logs: [] });

    // The next start (in this process: what a start does is the same code, main.ts's relay and its start-up sweep) finds
    // nothing to release, and serves and bills the same account normally.
    const relay = new RelayService(ctx);
    await relay.startBackground();
    const second = await buildApp(ctx, { relay });
    const secondUrl = await second.listen({ port: 0, host: '127.0.0.1' });
    expect(await read()).toMatchObject({ quota: 10_000, token: 5_000, holds: 0, logs: [] });
    up.setScript(() => ({ kind: 'answer', usage: { prompt: 8, completion: 2 } }));
    const res = await fetch(`${secondUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${account.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 100 }),
    });
    expect(res.status).toBe(200);
    expect(await read()).toMatchObject({ quota: 10_000 - 10, token: 5_000 - 10, holds: 0 });

    await second.close();
    await relay.close();
    await ctx.cleanup();
    await database.drop();
    await up.close();
  });
});
