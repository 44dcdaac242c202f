// Seeding for relay tests: an account with a token, channels pointing at local fakes, and a listening relay.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { hashSecret, newRelayKey, visiblePrefix } from '../../src/auth/secrets.js';
import { expect } from 'vitest';
import type { TestApp } from './context.js';
import { insertChannel } from '../../src/services/channel-repository.js';
import type { ResponseSink } from '../../src/relay/sink.js';

export interface SeededAccount {
  userId: number;
  tokenId: number;
  key: string;
}

export async function seedAccount(
  t: Pick<TestApp, 'ctx'>,
  opts: { quota?: number; tokenQuota?: number | null; group?: string; tokenGroup?: string; models?: string[]; allowIps?: string[]; expiresAt?: Date; status?: string; role?: 'user' | 'admin' } = {},
): Promise<SeededAccount> {
  const prisma = t.ctx.db.prisma;
  const user = await prisma.user.create({
    data: { username: `user-${randomUUID().slice(0, 8)}`, quota: BigInt(opts.quota ?? 1_000_000), group: opts.group ?? 'default', role: opts.role ?? 'user' },
  });
  const key = newRelayKey();
  const token = await prisma.token.create({
    data: {
      userId: user.id,
      name: 'test-token',
      keyHash: hashSecret(key),
      keyPrefix: visiblePrefix(key),
      unlimited: opts.tokenQuota === undefined || opts.tokenQuota === null,
      remainQuota: BigInt(opts.tokenQuota ?? 0),
      models: JSON.stringify(opts.models ?? []),
      allowIps: JSON.stringify(opts.allowIps ?? []),
      group: opts.tokenGroup ?? null,
      expiresAt: opts.expiresAt ?? null,
      status: opts.status ?? 'enabled',
    },
  });
  t.ctx.bus.publish('tokens');
  return { userId: user.id, tokenId: token.id, key };
}

export interface ChannelSeed {
  name?: string;
  type?: string;
  baseUrl: string;
  keys?: string[];
  models?: string[];
  modelMapping?: Record<string, string>;
  groups?: string[];
  priority?: number;
  weight?: number;
  config?: Record<string, unknown>;
  status?: string;
}

/** A channel through the repository, as an admin would add it (keys sealed); `status` may be any stored status. */
export async function addChannel(t: TestApp, c: ChannelSeed): Promise<number> {
  const row = await insertChannel(
    t.ctx,
    {
      name: c.name ?? `ch-${randomUUID().slice(0, 6)}`,
      type: c.type ?? 'openai',
      baseUrl: c.baseUrl,
      models: c.models ?? ['gpt-4o-mini'],
      modelMapping: c.modelMapping ?? {},
      groups: c.groups ?? ['default'],
      priority: c.priority ?? 0,
      weight: c.weight ?? 1,
      config: c.config ?? {},
    },
    c.keys ?? ['sk-upstream'],
  );
  if (c.status && c.status !== 'enabled') {
    await t.ctx.db.prisma.channel.update({ where: { id: row.id }, data: { status: c.status } });
    t.ctx.bus.publish('channels');
  }
  return row.id;
}

export async function listen(t: TestApp): Promise<string> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

export type Balances = Awaited<ReturnType<typeof balances>>;

export async function balances(t: TestApp, a: SeededAccount) {
  const user = await t.ctx.db.prisma.user.findUniqueOrThrow({ where: { id: a.userId } });
  const token = await t.ctx.db.prisma.token.findUniqueOrThrow({ where: { id: a.tokenId } });
  const logs = await t.ctx.db.prisma.usageLog.findMany({ where: { userId: a.userId }, orderBy: { id: 'asc' } });
  const holds = await t.ctx.db.prisma.quotaHold.count({ where: { userId: a.userId } });
  return {
    quota: Number(user.quota),
    used: Number(user.usedQuota),
    tokenRemain: Number(token.remainQuota),
    tokenUsed: Number(token.usedQuota),
    logs,
    logged: logs.reduce((s, l) => s + Number(l.quota), 0),
    holds,
  };
}

/** Waits until `check` passes or the time is up (for effects that follow a response, e.g. settle after an abort). */
export async function eventually(check: () => Promise<void> | void, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Waits for the call's settlement (one more usage row, no hold left) and returns what it cost and its log row. */
export async function settled(t: TestApp, account: SeededAccount, before: Balances) {
  let after: Balances | undefined;
  await eventually(async () => {
    after = await balances(t, account);
    expect(after.logs.length).toBe(before.logs.length + 1);
    expect(after.holds).toBe(0);
  });
  const log = after!.logs.at(-1)!;
  expect(Number(log.quota)).toBe(before.quota - after!.quota);
  expect(after!.used - before.used).toBe(before.quota - after!.quota);
  return { charged: before.quota - after!.quota, log };
}

/** A sink for calls run in-process: it keeps nothing. */
export class DiscardingSink implements ResponseSink {
  readonly signal = new AbortController().signal;
  readonly gone = false;
  onGone(): () => void {
    return () => {};
  }
  started = false;
  json(): void {}
  start(): void {
    this.started = true;
  }
  async write(): Promise<void> {}
  end(): void {}
  flush(): void {}
  fail(): void {}
}
