// Visible failover and the circuit breaker, through the real relay: a failed-over call's log row lists both attempts;
// a key answering 529 three times is cooled down (not disabled), skipped, and comes back when its probe succeeds (a
// failed probe doubles the cooldown); a 401 disables the key for good; each incident reaches the webhook once, without
// a key; calls of one conversation keep to one key (rendezvous hashing) and move only when that key cools down.
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestApp, dbKinds, type TestApp } from '../helpers/context.js';
import { addChannel, DiscardingSink, eventually, listen, seedAccount, type SeededAccount } from '../helpers/relay.js';
import { startFakeOpenAI, type FakeOpenAI, type Script } from '../fakes/openai-upstream.js';
import type { ChannelIncident } from '../../src/relay/alerts.js';
import { openDb } from '../../src/db/client.js';
import { RelayService } from '../../src/relay/service.js';

const KEYS = ['sk-key-aaaaaaaaaaaaaaaa1', 'sk-key-bbbbbbbbbbbbbbbb2', 'sk-key-cccccccccccccccc3', 'sk-key-dddddddddddddddd4'];
const keyOf = (req: { headers: Record<string, unknown> }) => String(req.headers.authorization).slice('Bearer '.length);

/** The breaker's clock: real time plus what a test skips (past a cooldown), so no test waits on the wall clock. */
let skew = 0;
const clock = () => Date.now() + skew;

describe.each(dbKinds)('failover and circuit breaker on %s', (kind) => {
  let t: TestApp;
  let a: FakeOpenAI;
  let b: FakeOpenAI;
  let base: string;
  let account: SeededAccount;
  let incidents: ChannelIncident[];
  let hook: Server;
  let hooked: Array<Record<string, unknown>>;

  beforeAll(async () => {
    t = await createTestApp(kind, {}, { webhookAddressPolicy: () => true, clock });
    a = await startFakeOpenAI({ keys: KEYS });
    b = await startFakeOpenAI({ keys: KEYS });
    account = await seedAccount(t, { quota: 100_000_000 });
    base = await listen(t);
    t.relay.events.on('channel-incident', (i) => incidents.push(i));
    hooked = [];
    hook = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        hooked.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await t?.close();
    await a?.close();
    await b?.close();
    await new Promise((r) => hook?.close(r));
  });
  beforeEach(async () => {
    await t.ctx.db.prisma.channel.deleteMany();
    await t.ctx.options.update({
      modelRatios: { 'gpt-4o-mini': 1 },
      completionRatios: { 'gpt-4o-mini': 1 },
      retryCount: 2,
      breakerThreshold: 3,
      breakerCooldownSeconds: 30,
      breakerMaxCooldownSeconds: 600,
      alertWebhookUrl: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`,
    });
    t.ctx.bus.publish('channels');
    a.setScript(null);
    b.setScript(null);
    a.requests.length = 0;
    b.requests.length = 0;
    incidents = [];
    hooked.length = 0;
  });

  const chat = (body: Record<string, unknown> = {}) =>
    fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${account.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], ...body }),
    });
  const lastLog = async () => t.ctx.db.prisma.usageLog.findFirstOrThrow({ where: { userId: account.userId }, orderBy: { id: 'desc' } });
  const keysOf = (channelId: number) => t.ctx.db.prisma.channelKey.findMany({ where: { channelId }, orderBy: { position: 'asc' } });
  const overloaded: Script = { kind: 'error', status: 529, message: 'Overloaded', type: 'overloaded_error', code: 'overloaded_error' };

  it('a failed-over call: its log row lists both attempts (channel, key, status, ms); /api/logs shows them', async () => {
    const first = await addChannel(t, { baseUrl: a.url, keys: [KEYS[0]!], priority: 10 });
    const second = await addChannel(t, { baseUrl: b.url, keys: [KEYS[1]!], priority: 0 });
    a.setScript(() => ({ kind: 'error', status: 500, message: 'boom' }));
    const res = await chat();
    expect(res.status).toBe(200);
    const log = await lastLog();
    expect(log.channelId).toBe(second);
    const [k1] = await keysOf(first);
    const [k2] = await keysOf(second);
    const attempts = JSON.parse(log.attempts!) as Array<Record<string, unknown>>;
    expect(attempts).toHaveLength(2);
    expect(attempts[0]).toMatchObject({ channelId: first, keyId: k1!.id, status: 500, code: 'upstream_error', fault: 'server_error' });
    expect(attempts[1]).toMatchObject({ channelId: second, keyId: k2!.id, status: 200, code: 'ok' });
    expect(typeof attempts[0]!.ms).toBe('number');
    expect(log.attempts).not.toContain('sk-');
    // A call with one attempt has none listed.
    a.setScript(null);
    expect((await chat()).status).toBe(200);
    expect((await lastLog()).attempts).toBeNull();
    const listed = await t.app.inject({ method: 'GET', url: `/api/logs?userId=${account.userId}&pageSize=2`, headers: t.admin });
    const items = listed.json().items as Array<{ attempts: unknown }>;
    expect(items[0]!.attempts).toBeNull();
    expect(items[1]!.attempts).toEqual(attempts);
  });

  it('529 three times: the key is cooled down, not disabled; skipped; a failed probe doubles the cooldown; a good probe brings it back', async () => {
    await t.ctx.options.update({ retryCount: 0 });
    const id = await addChannel(t, { baseUrl: a.url, keys: [KEYS[0]!] });
    a.setScript(() => overloaded);
    for (let i = 0; i < 3; i++) expect((await chat()).status).toBe(503);
    await eventually(async () => expect((await keysOf(id))[0]!.cooldownUntil).not.toBeNull());
    let [key] = await keysOf(id);
    expect(key).toMatchObject({ status: 'enabled', consecutiveFailures: 3, lastError: 'overloaded (HTTP 529)' });
    const channel = await t.ctx.db.prisma.channel.findUniqueOrThrow({ where: { id } });
    expect(channel.status).toBe('enabled');
    const firstCooldown = key!.cooldownUntil!.getTime() - key!.lastErrorAt!.getTime();
    expect(firstCooldown).toBe(30_000);

    // Admins see it: the channel and its key are open (cooling), with the classified reason; in the stats too.
    const view = (await t.app.inject({ method: 'GET', url: `/api/channels/${id}`, headers: t.admin })).json();
    expect(view.health).toMatchObject({ state: 'open', consecutiveFailures: 3, lastError: 'overloaded (HTTP 529)', requests: 3, successRate: 0 });
    expect(view.keys[0].health).toMatchObject({ state: 'open', cooldownUntil: key!.cooldownUntil!.toISOString() });
    const stats = (await t.app.inject({ method: 'GET', url: '/api/stats?by=channel', headers: t.admin })).json();
    expect(stats.items.find((i: { key: string }) => i.key === String(id)).health).toMatchObject({ state: 'open', lastError: 'overloaded (HTTP 529)' });

    // Cooling: routing skips it, the upstream is not called, the caller is told why (no_channel).
    const seen = a.requests.length;
    const skipped = await chat();
    expect(skipped.status).toBe(503);
    expect(((await skipped.json()) as { error: { code: string } }).error.code).toBe('no_channel');
    expect(a.requests.length).toBe(seen);

    // Half-open once the cooldown is over: the next call is the probe. It fails: out again, for twice as long.
    skew += 30_000;
    expect((await chat()).status).toBe(503);
    expect(a.requests.length).toBe(seen + 1);
    await eventually(async () => expect((await keysOf(id))[0]!.consecutiveFailures).toBe(4));
    [key] = await keysOf(id);
    expect(key!.cooldownUntil!.getTime() - key!.lastErrorAt!.getTime()).toBe(60_000);
    expect(key!.status).toBe('enabled');
    expect((await chat()).status).toBe(503); // cooling again: not called
    expect(a.requests.length).toBe(seen + 1);

    // The upstream recovers: the probe after the cooldown succeeds and closes the breaker.
    a.setScript(null);
    skew += 60_000;
    expect((await chat()).status).toBe(200);
    await eventually(async () => expect((await keysOf(id))[0]).toMatchObject({ cooldownUntil: null, consecutiveFailures: 0, status: 'enabled' }));
    expect((await chat()).status).toBe(200);
    const healed = (await t.app.inject({ method: 'GET', url: '/api/channels', headers: t.admin })).json().items[0];
    expect(healed.health).toMatchObject({ state: 'closed', consecutiveFailures: 0, cooldownUntil: null, lastError: 'overloaded (HTTP 529)' });
    expect(healed.health.p50LatencyMs).toEqual(expect.any(Number));
    expect(healed.health.successRate).toBeGreaterThan(0);

    // One alert per incident: cooled once (the failed probe is the same incident), recovered once; on the webhook too.
    await eventually(() => expect(hooked.map((h) => h.event)).toEqual(['channel.cooled', 'channel.recovered']));
    expect(incidents.map((i) => i.kind)).toEqual(['cooled', 'recovered']);
    expect(incidents[0]).toMatchObject({ channelId: id, keyId: key!.id, channelOut: true, reason: 'overloaded (HTTP 529)' });
    const cooled = hooked[0]!;
    expect(cooled.text).toMatchObject({ en: expect.stringContaining('cooling down'), zh: expect.stringContaining('暂停使用') });
    expect(JSON.stringify(hooked)).not.toContain(KEYS[0]!);
  });

  it('a 401 invalid key disables the key for good (not the breaker), and the call fails over to the next key', async () => {
    const id = await addChannel(t, { baseUrl: a.url, keys: ['sk-key-revokedrevokedrev', KEYS[1]!] });
    // Deterministic: the router tries the revoked key first when its random pick lands there; run until it has.
    for (let i = 0; i < 20 && (await keysOf(id))[0]!.status === 'enabled'; i++) expect((await chat()).status).toBe(200);
    const [revoked, good] = await keysOf(id);
    expect(revoked).toMatchObject({ status: 'auto_disabled', cooldownUntil: null });
    expect(revoked!.disabledReason).toMatch(/^invalid_key/);
    expect(revoked!.disabledReason).not.toContain('sk-key-revoked');
    expect(good!.status).toBe('enabled');
    await eventually(() => expect(hooked.map((h) => h.event)).toContain('channel.disabled'));
    expect(JSON.stringify(hooked)).not.toContain('sk-key-revokedrevokedrev');
  });

  it('affinity: one conversation keeps to one key; conversations spread; a cooled key moves only its conversations', async () => {
    await t.ctx.options.update({ retryCount: 3, breakerCooldownSeconds: 600 });
    await addChannel(t, { baseUrl: a.url, keys: KEYS });
    const keyFor = async (body: Record<string, unknown>) => {
      const before = a.requests.length;
      expect((await chat(body)).status).toBe(200);
      return keyOf(a.requests[before]! as never);
    };
    const users = Array.from({ length: 12 }, (_, i) => `user-${i}`);
    const home = new Map<string, string>();
    for (const user of users) home.set(user, await keyFor({ user }));
    for (const user of users) for (let i = 0; i < 3; i++) expect(await keyFor({ user })).toBe(home.get(user));
    expect(new Set(home.values()).size).toBeGreaterThan(1);
    // prompt_cache_key and Anthropic-style metadata.user_id work the same way.
    const pk = await keyFor({ prompt_cache_key: 'conversation-42' });
    for (let i = 0; i < 3; i++) expect(await keyFor({ prompt_cache_key: 'conversation-42' })).toBe(pk);

    // The busiest home key starts failing: its conversations move (failover), the others stay where they were.
    const counts = new Map<string, number>();
    for (const k of home.values()) counts.set(k, (counts.get(k) ?? 0) + 1);
    const broken = [...counts.entries()].sort((x, y) => y[1] - x[1])[0]![0];
    a.setScript((req) => (keyOf(req as never) === broken ? overloaded : { kind: 'answer' }));
    const victim = [...home.entries()].find(([, k]) => k === broken)![0];
    for (let i = 0; i < 3; i++) expect((await chat({ user: victim })).status).toBe(503);
    for (const user of users) {
      const now = await keyFor({ user });
      if (home.get(user) === broken) expect(now).not.toBe(broken);
      else expect(now).toBe(home.get(user));
    }
  });

  it.runIf(kind === 'postgresql')('two instances: a key cooled down on one is skipped by the other; the incident and the recovery are told once', async () => {
    await t.ctx.options.update({ retryCount: 0 });
    const id = await addChannel(t, { baseUrl: a.url, keys: [KEYS[0]!] });
    const other = await openDb(t.ctx.config.databaseUrl);
    // The second instance: its own database connection and relay (router, breaker), the same bus (as Redis would be).
    const b2 = new RelayService({ ...t.ctx, db: other }, { webhookAddressPolicy: () => true, clock });
    const seenByB: ChannelIncident[] = [];
    b2.events.on('channel-incident', (i) => seenByB.push(i));
    const payer = { userId: account.userId, token: null, group: 'default', source: 'api' as const };
    const callOn = (relay: RelayService) =>
      relay.execute(
        { endpoint: '/v1/chat/completions', kind: 'chat', format: 'openai', payer, model: 'gpt-4o-mini', stream: false, body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5 } },
        new DiscardingSink(),
      );
    try {
      await b2.channels.ensureLoaded();
      a.setScript(() => overloaded);
      for (let i = 0; i < 3; i++) expect((await callOn(t.relay)).status).toBe('error');
      await eventually(async () => expect((await keysOf(id))[0]!.cooldownUntil).not.toBeNull());
      // B never saw a failure, yet it skips the key: the cooldown is in the row, and its router reloaded.
      const seen = a.requests.length;
      await eventually(async () => {
        const outcome = await callOn(b2);
        expect(outcome.error?.code).toBe('no_channel');
      });
      expect(a.requests.length).toBe(seen);
      // After the cooldown B probes it (the upstream is fine again) and closes the breaker for both.
      a.setScript(null);
      skew += 30_000;
      expect((await callOn(b2)).status).toBe('ok');
      await eventually(async () => expect((await keysOf(id))[0]).toMatchObject({ cooldownUntil: null, consecutiveFailures: 0 }));
      await eventually(async () => expect((await callOn(t.relay)).status).toBe('ok'));
      expect(incidents.map((i) => i.kind)).toEqual(['cooled']);
      expect(seenByB.map((i) => i.kind)).toEqual(['recovered']);
    } finally {
      await b2.close();
      await other.close();
    }
  });
});
