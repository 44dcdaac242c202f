// A stream's bytes leave as they come, never behind the relay's own database work: when the upstream sends its whole
// answer in one chunk, the settle (a synchronous SQLite commit when the call is alone) runs in the same tick as the
// write of the answer's events. Only the closing events wait for the charge (docs/lifecycle.md).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Socket } from 'node:net';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { addChannel, listen, seedAccount } from '../helpers/relay.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';

const SLOW_COMMIT_MS = 300;

/** Prints each body chunk as it arrives: {"at": ms, "text": …} per line. */
const CLIENT = `
const [url, key, body] = process.argv.slice(1);
const req = require('node:http').request(url + '/v1/chat/completions', {
  method: 'POST',
  headers: { authorization: 'Bearer ' + key, 'content-type': 'application/json' },
}, (res) => {
  res.setEncoding('utf8');
  res.on('data', (text) => process.stdout.write(JSON.stringify({ at: Date.now(), text }) + '\\n'));
});
req.end(body);
`;

describe('stream first bytes', () => {
  let t: TestApp;
  let up: FakeOpenAI;
  let url: string;

  beforeAll(async () => {
    up = await startFakeOpenAI();
    t = await createTestApp('sqlite');
    await addChannel(t, { baseUrl: up.url, models: ['m'] });
    await t.ctx.options.update({ modelRatios: { m: 1 } });
    url = await listen(t);
  });
  afterAll(async () => {
    await t?.close();
    await up?.close();
  });

  it('reach the client before a slow synchronous settle, and the closing events after it', async () => {
    const account = await seedAccount(t);
    // The upstream writes every event at once; the settle blocks the event loop the way a slow commit would.
    up.setScript(() => ({ kind: 'stream', chunks: ['Hello', ' world'] }));
    const ledger = t.relay.ledger;
    const settle = ledger.settle.bind(ledger);
    ledger.settle = (...args) => {
      const until = Date.now() + SLOW_COMMIT_MS;
      while (Date.now() < until); // synchronous, like better-sqlite3
      return settle(...args);
    };
    try {
      // The client runs in a process of its own: in this one it could not read while the settle blocks.
      const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hi' }], stream: true });
      const { stdout } = await promisify(execFile)(process.execPath, ['-e', CLIENT, url, account.key, body], { timeout: 30_000 });
      const chunks = stdout.trim().split('\n').map((line) => JSON.parse(line) as { at: number; text: string });
      const text = chunks.map((c) => c.text).join('');
      expect(text).toContain('data: [DONE]');
      // When the answer's text arrived, and when the end did.
      const answered = chunks.find((c) => c.text.includes(' world'))!;
      const done = chunks.find((c) => c.text.includes('[DONE]'))!;
      expect(answered.text).not.toContain('[DONE]');
      expect(done.at - answered.at).toBeGreaterThanOrEqual(SLOW_COMMIT_MS - 50);
    } finally {
      ledger.settle = settle;
    }
  });

  it('still go out together when they come together: one socket write for the events, one for the closing', async () => {
    const account = await seedAccount(t);
    up.setScript(() => ({ kind: 'stream', chunks: ['a', 'b', 'c', 'd', 'e', 'f'] })); // 9 events, one upstream read
    let writes = 0;
    const count = (socket: Socket) => {
      for (const name of ['_write', '_writev'] as const) {
        const original = socket[name] as (...args: unknown[]) => void;
        (socket as unknown as Record<string, unknown>)[name] = function (this: Socket, ...args: unknown[]) {
          writes++;
          return original.apply(this, args);
        };
      }
    };
    t.app.server.on('connection', count);
    try {
      const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hi' }], stream: true });
      const { stdout } = await promisify(execFile)(process.execPath, ['-e', CLIENT, url, account.key, body], { timeout: 30_000 });
      expect(stdout).toContain('[DONE]');
      expect(writes).toBeGreaterThanOrEqual(1);
      expect(writes).toBeLessThanOrEqual(2);
    } finally {
      t.app.server.off('connection', count);
    }
  });
});
