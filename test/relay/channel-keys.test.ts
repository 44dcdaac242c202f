// Channel keys as rows: concurrent auto-disables of one channel's keys (from one instance and from two), a disable
// racing admin edits, re-tests that re-enable only what passed, and the router's view of keys (failover to the
// channel's other keys, plaintext set for scrubbing, keys it cannot open).
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { createTestApp, dbKinds, type TestApp } from '../helpers/context.js';
import { addChannel, listen, seedAccount, type SeededAccount } from '../helpers/relay.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import { openDb, type Db } from '../../src/db/client.js';
import { SecretBox } from '../../src/auth/secret-box.js';
import { disableKey, insertChannel, KEY_PURPOSE, loadChannel, maskKey, type DisableOutcome } from '../../src/services/channel-repository.js';
import type { ChannelDisabledEvent } from '../../src/relay/service.js';
import type { RouteChoice } from '../../src/relay/channels.js';

const GOOD = ['sk-good-0000000000000001', 'sk-good-0000000000000002', 'sk-good-0000000000000003'];
const revoked = (n: number): string[] => Array.from({ length: n }, (_, i) => `sk-revoked-${String(i).padStart(12, '0')}`);

describe.each(dbKinds)('channel keys on %s', (kind) => {
  let t: TestApp;
  let up: FakeOpenAI;
  let base: string;
  let account: SeededAccount;
  let events: ChannelDisabledEvent[];

  beforeAll(async () => {
    t = await createTestApp(kind);
    up = await startFakeOpenAI({ keys: GOOD });
    await t.ctx.options.update({ modelRatios: { 'gpt-4o-mini': 1 }, completionRatios: { 'gpt-4o-mini': 1 } });
    account = await seedAccount(t, { quota: 100_000_000 });
    base = await listen(t);
    t.relay.events.on('channel-disabled', (e) => events.push(e));
  });
  afterAll(async () => {
    await t?.close();
    await up?.close();
  });
  beforeEach(async () => {
    await t.ctx.db.prisma.channel.deleteMany();
    t.ctx.bus.publish('channels');
    up.requests.length = 0;
    events = [];
  });

  const keysOf = async (id: number) =>
    t.ctx.db.prisma.channelKey.findMany({ where: { channelId: id }, orderBy: { position: 'asc' } });
  const channelRow = (id: number) => t.ctx.db.prisma.channel.findUniqueOrThrow({ where: { id } });
  /** What the pipeline hands to disableChannel after the upstream refused that key. */
  const failed = async (channelId: number, keyId: number | null): Promise<RouteChoice> => ({
    channel: (await loadChannel(t.ctx, channelId))!,
    keyId,
    key: '',
    upstreamModel: 'gpt-4o-mini',
  });
  const admin = (method: 'POST' | 'PUT' | 'PATCH', url: string, payload: object) =>
    t.app.inject({ method, url, headers: t.admin, payload });

  it('N concurrent disables of different keys: all recorded, the channel auto-disabled once, one event each', async () => {
    for (let round = 0; round < 4; round++) {
      events = [];
      const keys = revoked(8);
      const id = await addChannel(t, { baseUrl: up.url, keys });
      const rows = await keysOf(id);
      const choices = await Promise.all(rows.map((r) => failed(id, r.id)));
      await Promise.all(choices.map((c, i) => t.relay.disableChannel(c, `invalid_key: key ${i}`)));

      const after = await keysOf(id);
      expect(after.map((k) => k.status)).toEqual(Array(8).fill('auto_disabled'));
      expect(after.map((k) => k.disabledReason).sort()).toEqual(keys.map((_, i) => `invalid_key: key ${i}`).sort());
      const channel = await channelRow(id);
      expect(channel.status).toBe('auto_disabled');
      expect(events).toHaveLength(8);
      expect(events.map((e) => e.keyId).sort()).toEqual(rows.map((r) => r.id).sort());
      const whole = events.filter((e) => e.channelDisabled);
      expect(whole).toHaveLength(1);
      // The event that took the channel down carries the reason stored on it: the last key's.
      expect(channel.disabledReason).toBe(whole[0]!.reason);
      // The same failures reported again (other calls that used those keys) change nothing and alert nobody.
      await Promise.all(choices.map((c) => t.relay.disableChannel(c, 'invalid_key: again')));
      expect(events).toHaveLength(8);
    }
  });

  // Several instances share PostgreSQL; one SQLite file belongs to one process (docs/database.md).
  it.runIf(kind === 'postgresql')('two instances disabling the last keys at once: the channel goes exactly once', async () => {
    const other: Db = await openDb(t.ctx.config.databaseUrl);
    try {
      const instances = [t.ctx, { db: other, bus: t.ctx.bus, secrets: t.ctx.secrets }];
      for (let round = 0; round < 6; round++) {
        const id = await addChannel(t, { baseUrl: up.url, keys: revoked(4) });
        const rows = await keysOf(id);
        const outcomes: DisableOutcome[] = await Promise.all(
          rows.flatMap((r, i) => [
            disableKey(instances[i % 2]!, id, r.id, `bad ${i}`),
            disableKey(instances[(i + 1) % 2]!, id, r.id, `bad ${i} (seen by the other instance)`),
          ]),
        );
        expect(outcomes.filter((o) => o.keyDisabled)).toHaveLength(4); // each key once, by whichever came first
        expect(outcomes.filter((o) => o.channelDisabled)).toHaveLength(1);
        expect((await keysOf(id)).every((k) => k.status === 'auto_disabled')).toBe(true);
        expect((await channelRow(id)).status).toBe('auto_disabled');
      }
    } finally {
      await other.close();
    }
  });

  it('a disable racing admin edits is never lost, and no edit brings a disabled key back', async () => {
    for (let round = 0; round < 8; round++) {
      const [a, b, c] = revoked(3) as [string, string, string];
      const id = await addChannel(t, { name: `race-${round}`, baseUrl: up.url, keys: [a, b, c] });
      const [ka, kb, kc] = (await keysOf(id)).map((k) => k.id) as [number, number, number];
      const form = { name: `race-${round}`, type: 'openai', baseUrl: up.url, models: ['gpt-4o-mini'], weight: 2, status: 'enabled' };
      const results = await Promise.all([
        t.relay.disableChannel(await failed(id, ka), 'invalid_key: revoked'),
        admin('PATCH', `/api/channels/${id}`, form), // a form saved as a whole: status "enabled" on an enabled channel
        admin('POST', `/api/channels/${id}/keys`, { keys: [GOOD[round % 3]!] }),
        admin('PATCH', `/api/channels/${id}/keys/${kb}`, { status: 'disabled' }),
        admin('PATCH', `/api/channels/${id}`, { priority: round }),
      ]);
      for (const res of results.slice(1)) expect((res as { statusCode: number }).statusCode).toBe(res === results[2] ? 201 : 200);
      const byId = new Map((await keysOf(id)).map((k) => [k.id, k]));
      expect(byId.get(ka)).toMatchObject({ status: 'auto_disabled', disabledReason: 'invalid_key: revoked' });
      expect(byId.get(kb)).toMatchObject({ status: 'disabled', disabledReason: 'disabled by an admin' });
      expect(byId.get(kc)!.status).toBe('enabled');
      expect(byId.size).toBe(4);
      expect(await channelRow(id)).toMatchObject({ status: 'enabled', weight: 2, priority: round });
      expect(events.filter((e) => e.channelId === id)).toEqual([
        { channelId: id, channelName: `race-${round}`, keyId: ka, channelDisabled: false, reason: 'invalid_key: revoked' },
      ]);
    }
  });

  it('when the last usable key goes, the channel is disabled once even as an admin disables another key', async () => {
    for (let round = 0; round < 6; round++) {
      events = [];
      const id = await addChannel(t, { baseUrl: up.url, keys: revoked(2) });
      const [k1, k2] = (await keysOf(id)).map((k) => k.id) as [number, number];
      await Promise.all([
        t.relay.disableChannel(await failed(id, k1), 'invalid_key'),
        admin('PATCH', `/api/channels/${id}/keys/${k2}`, { status: 'disabled' }),
      ]);
      const channel = await channelRow(id);
      expect(channel.status).toBe('auto_disabled');
      // Whoever came second found no usable key left; only the relay's own disable alerts.
      expect(channel.disabledReason).toMatch(/^(invalid_key|no usable key left)$/);
      expect(events.filter((e) => e.channelDisabled)).toHaveLength(channel.disabledReason === 'invalid_key' ? 1 : 0);
      expect((await keysOf(id)).map((k) => k.status)).toEqual(['auto_disabled', 'disabled']);
    }
  });

  it('a re-test re-enables only the keys that passed; a key an admin disabled stays disabled', async () => {
    const [bad] = revoked(1) as [string];
    const id = await addChannel(t, { name: 'retest', baseUrl: up.url, keys: [GOOD[0]!, bad, GOOD[1]!, GOOD[2]!] });
    const [g0, kb, g1, g2] = (await keysOf(id)).map((k) => k.id) as [number, number, number, number];
    await admin('PATCH', `/api/channels/${id}/keys/${g2}`, { status: 'disabled' });
    for (const k of [kb, g1, g0]) await t.relay.disableChannel(await failed(id, k), 'invalid_key: said once');
    expect(await channelRow(id)).toMatchObject({ status: 'auto_disabled', disabledReason: 'invalid_key: said once' });
    expect(events.filter((e) => e.channelDisabled)).toHaveLength(1);

    const res = await t.app.inject({ method: 'POST', url: `/api/channels/${id}/test`, headers: t.admin });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { ok: boolean; channelStatus: string; keys: Array<{ keyId: number; mask: string; ok: boolean; status: number | null }> };
    expect(body.ok).toBe(true);
    expect(body.channelStatus).toBe('enabled');
    expect(body.keys.map((k) => [k.keyId, k.mask, k.ok])).toEqual([
      [g0, maskKey(GOOD[0]!), true],
      [kb, maskKey(bad), false],
      [g1, maskKey(GOOD[1]!), true],
      [g2, maskKey(GOOD[2]!), true],
    ]);
    expect(body.keys[1]!.status).toBe(401);
    expect(res.body).not.toContain(bad);
    expect((await keysOf(id)).map((k) => k.status)).toEqual(['enabled', 'auto_disabled', 'enabled', 'disabled']);
    expect(await channelRow(id)).toMatchObject({ status: 'enabled', disabledReason: null, disabledAt: null });
    expect((await channelRow(id)).testedAt).not.toBeNull();

    // Routing now uses only the keys that passed.
    up.requests.length = 0;
    for (let i = 0; i < 12; i++) expect((await chat()).status).toBe(200);
    const used = new Set(up.requests.map((r) => r.headers.authorization));
    expect([...used].sort()).toEqual([`Bearer ${GOOD[0]}`, `Bearer ${GOOD[1]}`]);
  });

  const chat = () =>
    fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${account.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 20 }),
    });

  it('concurrent calls through the relay disable every bad key once, fail over, and alert once', async () => {
    await t.ctx.options.update({ retryCount: 6 });
    try {
      const bad = await addChannel(t, { name: 'bad', baseUrl: up.url, keys: revoked(4), priority: 10 });
      await addChannel(t, { name: 'good', baseUrl: up.url, keys: [GOOD[0]!] });
      const answers = await Promise.all(Array.from({ length: 10 }, () => chat()));
      expect(answers.map((r) => r.status)).toEqual(Array(10).fill(200));
      expect((await keysOf(bad)).map((k) => k.status)).toEqual(Array(4).fill('auto_disabled'));
      expect((await channelRow(bad)).status).toBe('auto_disabled');
      const mine = events.filter((e) => e.channelId === bad);
      expect(mine).toHaveLength(4);
      expect(mine.filter((e) => e.channelDisabled)).toHaveLength(1);
      // Each refused key was sent upstream at most by the calls in flight before it was disabled, never after.
      up.requests.length = 0;
      for (let i = 0; i < 5; i++) expect((await chat()).status).toBe(200);
      expect(up.requests.every((r) => r.headers.authorization === `Bearer ${GOOD[0]}`)).toBe(true);
    } finally {
      await t.ctx.options.update({ retryCount: 2 });
    }
  });

  it('the router keeps every key in plaintext for scrubbing, follows edits, and never sends a key it cannot open', async () => {
    const id = await addChannel(t, { name: 'scrub', baseUrl: up.url, keys: [GOOD[0]!] });
    await t.relay.channels.ensureLoaded();
    expect([...t.relay.channels.secrets()]).toEqual([GOOD[0]]);
    const added = await admin('POST', `/api/channels/${id}/keys`, { keys: [GOOD[1]!] });
    const k1 = (added.json() as { keys: Array<{ id: number }> }).keys[1]!.id;
    await admin('PATCH', `/api/channels/${id}/keys/${k1}`, { status: 'disabled' });
    await t.relay.channels.ensureLoaded();
    expect([...t.relay.channels.secrets()].sort()).toEqual([GOOD[0], GOOD[1]]); // disabled keys too

    // A key sealed under another master key (another instance misconfigured) opens to nothing: it is never sent.
    const foreign = new SecretBox(Buffer.alloc(32, 9), 'RELAY_SECRET_KEY');
    await t.ctx.db.prisma.channelKey.updateMany({
      where: { channelId: id, position: 0 },
      data: { secret: foreign.seal(KEY_PURPOSE, GOOD[0]!) },
    });
    await admin('PATCH', `/api/channels/${id}/keys/${k1}`, { status: 'enabled' });
    await t.relay.channels.ensureLoaded();
    expect([...t.relay.channels.secrets()]).toEqual([GOOD[1]]);
    up.requests.length = 0;
    for (let i = 0; i < 6; i++) expect((await chat()).status).toBe(200);
    expect(new Set(up.requests.map((r) => r.headers.authorization))).toEqual(new Set([`Bearer ${GOOD[1]}`]));
    const test = await t.app.inject({ method: 'POST', url: `/api/channels/${id}/test`, headers: t.admin });
    expect((test.json() as { keys: Array<{ ok: boolean; message: string }> }).keys[0]).toMatchObject({
      ok: false,
      message: 'this key cannot be decrypted with the master key in use',
    });
  });

  it('deleting a channel deletes its keys; a key-less channel is disabled as a whole, once', async () => {
    const id = await addChannel(t, { baseUrl: up.url, keys: revoked(2) });
    await t.app.inject({ method: 'DELETE', url: `/api/channels/${id}`, headers: t.admin });
    expect(await t.ctx.db.prisma.channelKey.count({ where: { channelId: id } })).toBe(0);

    const local = await insertChannel(
      t.ctx,
      { name: 'local', type: 'ollama', baseUrl: up.url, models: ['llama3'], modelMapping: {}, groups: ['default'], priority: 0, weight: 1, config: {} },
      [],
    );
    const choice = await failed(local.id, null);
    await Promise.all([t.relay.disableChannel(choice, 'no credit'), t.relay.disableChannel(choice, 'no credit')]);
    expect(events).toEqual([{ channelId: local.id, channelName: 'local', keyId: null, channelDisabled: true, reason: 'no credit' }]);
    expect(await channelRow(local.id)).toMatchObject({ status: 'auto_disabled', disabledReason: 'no credit' });
  });
});
