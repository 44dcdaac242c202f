// A stream's bytes leave as they come, never behind the relay's own database work: when the upstream sends its whole
// answer in one chunk, the settle (a synchronous SQLite commit when the call is alone) runs in the same tick as the
// write of the answer's events. The closing events wait for the charge (docs/lifecycle.md §8), except where the
// commit follows them in the same turn: nothing can run between the two. Checked on the server's own socket writes
// and the ledger's calls, in order: no clock involved.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Socket } from 'node:net';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { addChannel, listen, seedAccount } from '../helpers/relay.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import { TextSink } from '../../src/relay/sink.js';

describe('stream first bytes', () => {
  let t: TestApp;
  let up: FakeOpenAI;
  let url: string;
  /** What happened, in order: each socket write the relay made to a client (its text), and each settle. */
  let timeline: string[] = [];

  /** Records every write the relay makes on its client connections (Node calls _write or _writev once per flush). */
  const recordWrites = (socket: Socket) => {
    const s = socket as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
    const write = s._write;
    const writev = s._writev;
    s._write = function (this: Socket, chunk: unknown, ...rest: unknown[]) {
      timeline.push(`write ${String(chunk)}`);
      return write.call(this, chunk, ...rest);
    };
    s._writev = function (this: Socket, chunks: unknown, ...rest: unknown[]) {
      timeline.push(`write ${(chunks as Array<{ chunk: unknown }>).map((c) => String(c.chunk)).join('')}`);
      return writev.call(this, chunks, ...rest);
    };
  };

  beforeAll(async () => {
    up = await startFakeOpenAI();
    t = await createTestApp('sqlite');
    await addChannel(t, { baseUrl: up.url, models: ['m'] });
    await t.ctx.options.update({ modelRatios: { m: 1 } });
    url = await listen(t);
    t.app.server.on('connection', recordWrites);
    const ledger = t.relay.ledger;
    const settle = ledger.settle.bind(ledger);
    const sqlite = t.ctx.db.kind === 'sqlite' ? t.ctx.db.sqlite : undefined;
    ledger.settle = (...args) => {
      timeline.push('settle');
      const settling = settle(...args);
      // Whether the charge was committed before settle() returned (a usage log row with the call's request id).
      const row = sqlite?.prepare('SELECT 1 FROM "UsageLog" WHERE "requestId" = ?').get(args[0]);
      timeline.push(row ? 'committed' : 'commit pending');
      return settling;
    };
  });
  afterAll(async () => {
    await t?.close();
    await up?.close();
  });

  async function streamOnce(chunks: string[], limits: { maxConcurrent?: number } = {}): Promise<string[]> {
    const account = await seedAccount(t);
    if (limits.maxConcurrent !== undefined) {
      await t.ctx.db.prisma.token.update({ where: { id: account.tokenId }, data: limits });
      t.ctx.bus.publish('tokens');
    }
    up.setScript(() => ({ kind: 'stream', chunks })); // the fake upstream writes every event at once
    timeline = [];
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${account.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hi' }], stream: true }),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('data: [DONE]');
    return timeline;
  }

  it('leave before the settle; alone on SQLite the closing events too, with the commit in the same turn', async () => {
    const events = await streamOnce(['Hello', ' world']);
    const text = events.findIndex((e) => e.startsWith('write') && e.includes(' world'));
    const done = events.findIndex((e) => e.startsWith('write') && e.includes('[DONE]'));
    const settle = events.indexOf('settle');
    expect(text).toBeGreaterThanOrEqual(0);
    expect(done).toBeGreaterThanOrEqual(text);
    // The last bytes went out, then settle committed before it returned: no other request could run in between, so a
    // client that reads its balance the moment it has [DONE] still sees the charge.
    expect(settle).toBeGreaterThan(done);
    expect(events[settle + 1]).toBe('committed');
  });

  it('wait for the settle when more than the commit must come first (a concurrency slot to free)', async () => {
    const events = await streamOnce(['Hello', ' world'], { maxConcurrent: 2 });
    const text = events.findIndex((e) => e.startsWith('write') && e.includes(' world'));
    const settle = events.indexOf('settle');
    const done = events.findIndex((e) => e.startsWith('write') && e.includes('[DONE]'));
    expect(text).toBeGreaterThanOrEqual(0);
    expect(settle).toBeGreaterThan(text);
    expect(done).toBeGreaterThan(settle);
  });

  it('a whole (non-stream) answer alone on SQLite also goes out before a settle that commits in the same turn', async () => {
    const account = await seedAccount(t);
    up.setScript(() => ({ kind: 'answer', text: 'Hello whole' }));
    timeline = [];
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${account.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hi' }] }),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Hello whole');
    const body = timeline.findIndex((e) => e.startsWith('write') && e.includes('Hello whole'));
    const settle = timeline.indexOf('settle');
    expect(body).toBeGreaterThanOrEqual(0);
    expect(settle).toBeGreaterThan(body);
    expect(timeline[settle + 1]).toBe('committed');
  });

  it('a sink that throws on last bytes written first costs nothing of the charge: settled once, nothing left held', async () => {
    const account = await seedAccount(t, { quota: 1_000 });
    up.setScript(() => ({ kind: 'stream', chunks: ['Hello'] }));
    class BrokenSink extends TextSink {
      override end(): void {
        throw new Error('the sink broke on its last bytes');
      }
    }
    const chat = { model: 'm', messages: [{ role: 'user' as const, content: 'Hi' }], stream: true };
    timeline = [];
    const call = t.relay.execute(
      {
        endpoint: 'bot:chat', kind: 'chat', format: 'text', model: 'm', stream: true, body: chat, chat, clientWantsUsage: false,
        payer: { userId: account.userId, token: null, group: 'default', source: 'telegram', admin: false },
      },
      new BrokenSink(new AbortController().signal),
    );
    await expect(call).rejects.toThrow('the sink broke on its last bytes');
    expect(timeline).toEqual(['settle', 'committed']);
    const user = await t.ctx.db.prisma.user.findUniqueOrThrow({ where: { id: account.userId } });
    const logs = await t.ctx.db.prisma.usageLog.findMany({ where: { userId: account.userId } });
    expect(logs).toHaveLength(1);
    expect(Number(user.usedQuota)).toBeGreaterThan(0);
    expect(Number(user.quota)).toBe(1_000 - Number(user.usedQuota));
    expect(Number(logs[0]!.quota)).toBe(Number(user.usedQuota));
    // Nothing is still held: the whole rest of the balance can be reserved.
    const probe = `probe-${account.userId}`;
    expect(await t.relay.ledger.reserve({ requestId: probe, userId: account.userId, tokenId: null, tokenLimited: false, amount: Number(user.quota) })).toMatchObject({ ok: true });
    const entry = { ...logs[0]!, requestId: probe, type: 'consume' as const, status: 'ok' as const, usageSource: 'none' as const };
    await t.relay.ledger.settle(probe, 0, entry); // released: the next test finds no call in flight
  });

  it('still go out together when they come together: one socket write for the events, one for the closing', async () => {
    const events = await streamOnce(['a', 'b', 'c', 'd', 'e', 'f']); // 9 events, one upstream read
    const writes = events.filter((e) => e.startsWith('write'));
    expect(writes.length).toBeGreaterThanOrEqual(1);
    expect(writes.length).toBeLessThanOrEqual(2);
  });
});
