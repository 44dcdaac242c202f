// A stream's bytes leave as they come, never behind the relay's own database work: when the upstream sends its whole
// answer in one chunk, the settle (a synchronous SQLite commit when the call is alone) runs in the same tick as the
// write of the answer's events. Only the closing events wait for the charge (docs/lifecycle.md). Checked on the
// server's own socket writes, in order: no clock involved.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Socket } from 'node:net';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { addChannel, listen, seedAccount } from '../helpers/relay.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';

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
    ledger.settle = (...args) => {
      timeline.push('settle');
      return settle(...args);
    };
  });
  afterAll(async () => {
    await t?.close();
    await up?.close();
  });

  async function streamOnce(chunks: string[]): Promise<string[]> {
    const account = await seedAccount(t);
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

  it('leave before the settle (whose commit runs in the same tick), and the closing events after it', async () => {
    const events = await streamOnce(['Hello', ' world']);
    const text = events.findIndex((e) => e.startsWith('write') && e.includes(' world'));
    const settle = events.indexOf('settle');
    const done = events.findIndex((e) => e.startsWith('write') && e.includes('[DONE]'));
    expect(text).toBeGreaterThanOrEqual(0);
    expect(settle).toBeGreaterThan(text);
    expect(done).toBeGreaterThan(settle);
  });

  it('still go out together when they come together: one socket write for the events, one for the closing', async () => {
    const events = await streamOnce(['a', 'b', 'c', 'd', 'e', 'f']); // 9 events, one upstream read
    const writes = events.filter((e) => e.startsWith('write'));
    expect(writes.length).toBeGreaterThanOrEqual(1);
    expect(writes.length).toBeLessThanOrEqual(2);
  });
});
