// A relay process killed mid-request leaves its reservation behind; the next start releases it (SQLite: one process
// owns the file, so every hold found at start is orphaned) and the balances add up again.
import { describe, it, expect, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createTestContext, createTestDatabase, TEST_ADMIN_KEY } from '../helpers/context.js';
import { seedAccount, addChannel, eventually } from '../helpers/relay.js';
import { startFakeOpenAI } from '../fakes/openai-upstream.js';
import type { TestApp } from '../helpers/context.js';

function startServer(databaseUrl: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { ...process.env, DATABASE_URL: databaseUrl, RELAY_ADMIN_KEY: TEST_ADMIN_KEY, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${out}`)));
  });
}

describe('crash recovery', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  it('releases the reservation of a request whose process was killed, on the next start', { timeout: 120_000 }, async () => {
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

    const first = await startServer(database.url);
    children.push(first.child);
    void fetch(`${first.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${account.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 100, stream: true }),
    }).catch(() => {});
    await eventually(() => expect(up.requests).toHaveLength(1), 20_000);
    const during = await read();
    expect(during).toMatchObject({ quota: 10_000 - 108, token: 5_000 - 108, holds: 1 }); // 8 prompt + 100 max_tokens held

    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    expect(await read()).toMatchObject({ holds: 1, quota: 10_000 - 108 }); // nothing settled it: the process is gone

    const second = await startServer(database.url);
    children.push(second.child);
    const after = await read();
    expect(after).toMatchObject({ quota: 10_000, token: 5_000, holds: 0 });
    expect(after.logs).toEqual([expect.objectContaining({ status: 'error', quota: 0n, userId: account.userId, tokenId: account.tokenId })]);
    expect(after.logs[0]!.content).toMatch(/reservation released/);

    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
    await ctx.cleanup();
    await database.drop();
    await up.close();
  });
});
