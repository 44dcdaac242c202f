// The bot core over the REAL relay backend (services, pricing, ledger, in-process chat pipeline) on both databases,
// with a fake OpenAI upstream: what only the real backend shows (linking via POST /api/links/code, a key stored as
// its hash, billing and usage rows of a chat with its auto-title, admin commands on real channels, channel alerts from
// the relay's events, RelayService.chat's text stream). The shared command suite runs over this backend in
// core-relay.*.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBotCore, type BotCore } from '../../bots/core/core.js';
import { createRelayBackend } from '../../bots/core/relay-backend.js';
import { createNoticeOutbox, deliverNotices, recordChannelAlerts } from '../../bots/notice-outbox.js';
import { untagged } from './fake-transport.js';
import { createNotifier, TransportRegistry } from '../../bots/core/notifications.js';
import type { BotBackend } from '../../bots/core/backend.js';
import { hashSecret } from '../../src/auth/secrets.js';
import { RelayError } from '../../src/errors.js';
import { createTestApp, dbKinds, type TestApp } from '../helpers/context.js';
import { addChannel, eventually } from '../helpers/relay.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import { createFakeTransport, type RecordedMessage, type RecordingTransport } from './fake-transport.js';
import { createMemoryLogger } from './core-suite.js';

describe.each(dbKinds)('bot core over the relay backend on %s', (kind) => {
  let t: TestApp;
  let upstream: FakeOpenAI;
  let backend: BotBackend;
  let core: BotCore;
  let transport: RecordingTransport;
  let userId: number;
  let channelId: number;
  const log = createMemoryLogger();
  const ME = '5001';
  const ROOT = '5002';

  async function say(text: string, from = ME, chat = from): Promise<RecordedMessage[]> {
    const before = transport.messages.length;
    await core.handle({ platform: 'telegram', userId: from, chatId: chat, isPrivate: from === chat, text }, transport);
    return transport.messages.slice(before);
  }
  const one = async (text: string, from = ME, chat = from): Promise<string> => {
    const answers = await say(text, from, chat);
    expect(answers).toHaveLength(1);
    return answers[0]!.text;
  };

  async function linkCodeFor(authorization: string): Promise<string> {
    const res = await t.app.inject({ method: 'POST', url: '/api/links/code', headers: { authorization } });
    expect(res.statusCode).toBe(201);
    const body = res.json() as { code: string; expiresAt: string };
    const ttl = Date.parse(body.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(9 * 60_000);
    expect(ttl).toBeLessThanOrEqual(10 * 60_000);
    return body.code;
  }

  beforeAll(async () => {
    t = await createTestApp(kind);
    upstream = await startFakeOpenAI();
    channelId = await addChannel(t, { name: 'fake-openai', baseUrl: upstream.url, models: ['gpt-4o-mini', 'm'], groups: ['default', 'vip'] });
    await t.ctx.options.update({ modelRatios: { m: 1 }, completionRatios: { m: 1 } });
    const user = await t.ctx.db.prisma.user.create({ data: { username: 'carol', quota: 2_000_000n } });
    userId = user.id;
    await t.ctx.db.prisma.group.create({ data: { name: 'vip', ratio: '0.5', userSelectable: true } });
    await t.ctx.db.prisma.group.create({ data: { name: 'staff', ratio: '0', userSelectable: false } });
    backend = createRelayBackend(t.ctx, t.relay);
    core = createBotCore({ backend, log });
    transport = createFakeTransport({ platform: 'telegram', maxMessageLength: 4096, canEdit: true, minEditIntervalMs: 5 });
  });

  afterAll(async () => {
    await t?.close();
    await upstream?.close();
  });

  it('links with a code from POST /api/links/code, once', async () => {
    const key = 'rsm-carol-login-key-0123456789abcdef';
    await t.ctx.db.prisma.managementKey.create({ data: { userId, keyHash: hashSecret(key), kind: 'login' } });
    const stale = await linkCodeFor(`Bearer ${key}`);
    const code = await linkCodeFor(`Bearer ${key}`);
    expect(await one(`/link ${stale}`)).toBe('That link code is unknown or expired; create a new one in the web console.');
    expect(await one(`/link ${code}`)).toMatch(/^Linked to carol\./);
    expect(await one(`/link ${code}`, '5009')).toBe('That link code is unknown or expired; create a new one in the web console.');
    expect(await backend.resolveLink('telegram', ME)).toEqual({ id: userId, username: 'carol', role: 'user' });

    const rootCode = await linkCodeFor(t.admin.authorization);
    expect(await one(`/link ${rootCode}`, ROOT)).toMatch(/^Linked to root\./);
    const noKey = await t.app.inject({ method: 'POST', url: '/api/links/code' });
    expect(noKey.statusCode).toBe(401);
  });

  it('shows the balance and redeems a code once', async () => {
    expect(await one('/balance')).toContain('Balance: 2,000,000 units ($4.00)');
    const [code] = await backend.createRedemptionCodes(1, { quota: 500_000, count: 1, name: 'gift' });
    expect(await one(`/redeem ${code}`)).toBe('Redeemed 500,000 units ($1.00). Your balance is now 2,500,000 units ($5.00).');
    expect(await one(`/redeem ${code}`)).toBe('This redemption code has already been used.');
    const log = await t.ctx.db.prisma.usageLog.findFirstOrThrow({ where: { userId, type: 'redeem' } });
    expect(log.source).toBe('telegram');
  });

  it('creates a working key in private only, lists and deletes it', async () => {
    expect(await one('/token new app', ME, '-77')).toMatch(/only show new keys in a private chat/);
    const [created] = await say('/token new app 1000000 7d gpt-4o-mini');
    const key = /\n\n(sk-[A-Za-z0-9]{48})\n\n/.exec(created!.text)?.[1];
    expect(key).toBeDefined();
    const row = await t.ctx.db.prisma.token.findUniqueOrThrow({ where: { keyHash: hashSecret(key!) } });
    expect(row).toMatchObject({ userId, name: 'app', unlimited: false, remainQuota: 1_000_000n, models: '["gpt-4o-mini"]' });
    expect(await one('/tokens')).toContain(`#${row.id} app · ${row.keyPrefix} · 1,000,000 units ($2.00) left`);
    expect(await one(`/token del ${row.id} confirm`, ROOT)).toBe(`Token ${row.id} not found.`);
    expect(await one(`/token del ${row.id} confirm`)).toBe(`Token #${row.id} deleted. Apps using its key stop working now.`);
    expect(await t.ctx.db.prisma.token.count({ where: { userId } })).toBe(0);
  });

  it('chats through the relay: streamed, billed, logged, titled as its own entry', async () => {
    upstream.setScript((req) => ({ kind: 'stream', chunks: req.body?.max_tokens === 30 ? ['Relay ', 'chat'] : ['Hello', ' from', ' upstream'], usage: { prompt: 12, completion: 5 } }));
    await one('/title on');
    const before = await t.ctx.db.prisma.user.findUniqueOrThrow({ where: { id: userId } });
    const answers = await say('hi relay');
    expect(answers.map((m) => m.text)).toEqual(['Hello from upstream']);

    const logs = await t.ctx.db.prisma.usageLog.findMany({ where: { userId, type: 'consume' }, orderBy: { id: 'asc' } });
    expect(logs.map((l) => [l.endpoint, l.source, l.model, l.status])).toEqual([
      ['bot:chat', 'telegram', 'gpt-4o-mini', 'ok'],
      ['bot:title', 'telegram', 'gpt-4o-mini', 'ok'],
    ]);
    const after = await t.ctx.db.prisma.user.findUniqueOrThrow({ where: { id: userId } });
    const charged = logs.reduce((sum, l) => sum + l.quota, 0n);
    expect(charged).toBeGreaterThan(0n);
    expect(before.quota - after.quota).toBe(charged);

    const conversation = await t.ctx.db.prisma.conversation.findFirstOrThrow({ where: { userId, active: true }, include: { messages: { orderBy: { id: 'asc' } } } });
    expect(conversation.title).toBe('Relay chat');
    expect(conversation.messages.map((m) => [m.role, m.content])).toEqual([
      ['user', 'hi relay'],
      ['assistant', 'Hello from upstream'],
    ]);
    expect(await one('/logs 2')).toMatch(/^Your last 2 entries:\n.* · gpt-4o-mini · 12\+5 tokens · /);
  });

  it('serves admin commands to admins only', async () => {
    expect(await one('/channels')).toBe('Sorry, that command is for administrators only.');
    expect(await one('/channels', ROOT)).toMatch(new RegExp(`^Channels:\\n🟢 #${channelId} fake-openai · openai · enabled`));
    expect(await one(`/channel disable ${channelId}`, ROOT)).toBe(`Channel #${channelId} "fake-openai" is now disabled.`);
    expect(await one(`/channel enable ${channelId}`, ROOT)).toBe(`Channel #${channelId} "fake-openai" is now enabled.`);
    expect(await one('/user carol', ROOT)).toMatch(new RegExp(`^User #${userId} carol · user · enabled\\n[\\s\\S]*Chat links: telegram:${ME}$`));
    const [codes] = await say('/codes 1000 2 bots', ROOT);
    expect(codes!.sensitive).toBe(true);
    expect(await t.ctx.db.prisma.redemption.count({ where: { name: 'bots', quota: 1000n } })).toBe(2);
  });

  it('records channel alerts on any instance; the bot-running one delivers each once, worded for the admin', async () => {
    const registry = new TransportRegistry();
    registry.register(transport);
    const outbox = createNoticeOutbox(t.ctx, backend);
    const stop = recordChannelAlerts(t.relay, outbox, log);
    const prisma = t.ctx.db.prisma;
    await prisma.platformLink.create({ data: { platform: 'discord', platformUserId: 'root-on-discord', userId: 1 } });
    const before = transport.messages.length;
    t.relay.events.emit('channel-disabled', { channelId, channelName: 'fake-openai', keyId: 1, channelDisabled: false, reason: 'one key failed' });
    t.relay.events.emit('channel-disabled', { channelId, channelName: 'fake-openai', keyId: null, channelDisabled: true, reason: 'invalid api key sk-abcdefghijklmnopqrstuvwx' });
    // One row per linked admin identity (root on Telegram and on Discord), whichever instance runs the bots.
    await eventually(async () => expect(await prisma.botNotice.count()).toBe(2));
    stop();
    expect(transport.messages.length).toBe(before);

    const delivery = deliverNotices(outbox, createNotifier(backend, registry, log), () => registry.platforms, log);
    delivery.wake();
    await eventually(() => expect(transport.messages.length).toBe(before + 1));
    delivery.stop();
    const [alert] = transport.messages.slice(before);
    expect(alert).toMatchObject({ chatId: ROOT, direct: true });
    expect(alert!.text).toContain('Reason: invalid api key [redacted]');
    expect(untagged(alert!.buttons)).toEqual([[{ label: `🔁 Re-test #${channelId}`, data: `/channel test ${channelId}` }, { label: `🟢 Enable #${channelId}`, data: `/channel enable ${channelId}` }]]);
    // Sent once: a second delivery finds nothing; the Discord row waits for the instance that runs Discord.
    expect(await outbox.deliver(['telegram'], createNotifier(backend, registry, log))).toBe(0);
    expect(await prisma.botNotice.count({ where: { sentAt: null } })).toBe(1);
    await prisma.platformLink.deleteMany({ where: { platform: 'discord' } });
  });

  it('tells admins when a key cools down and when it recovers (circuit breaker incidents), once each', async () => {
    const registry = new TransportRegistry();
    registry.register(transport);
    const outbox = createNoticeOutbox(t.ctx, backend);
    // The first recording is the slower one: they must still be written, and told, in the order they happened.
    const write = outbox.channelDisabled.bind(outbox);
    let slow = true;
    outbox.channelDisabled = async (notice) => {
      if (slow) {
        slow = false;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return write(notice);
    };
    const stop = recordChannelAlerts(t.relay, outbox, log);
    const before = transport.messages.length;
    const pending = await t.ctx.db.prisma.botNotice.count({ where: { sentAt: null } });
    const base = { channelId, channelName: 'fake-openai', keyId: 1, keyMask: 'sk-up…eam1', at: new Date().toISOString() };
    t.relay.events.emit('channel-incident', { ...base, kind: 'cooled', channelOut: true, reason: 'overloaded (HTTP 529)', until: '2026-12-06T20:00:00.000Z' });
    t.relay.events.emit('channel-incident', { ...base, kind: 'recovered', channelOut: false, reason: 'probe succeeded' });
    await eventually(async () => expect(await t.ctx.db.prisma.botNotice.count({ where: { sentAt: null } })).toBe(pending + 2));
    stop();
    const delivery = deliverNotices(outbox, createNotifier(backend, registry, log), () => registry.platforms, log);
    delivery.wake();
    await eventually(() => expect(transport.messages.length).toBe(before + 2));
    delivery.stop();
    const [cooled, recovered] = transport.messages.slice(before);
    expect(cooled!.text).toBe(
      `⏸️ Key sk-up…eam1 of channel #${channelId} "fake-openai" is cooling down after repeated failures.\nReason: overloaded (HTTP 529)\n` +
        'It is skipped until 2026-12-06T20:00:00.000Z, then probed again.\nThe channel has no other usable key right now.',
    );
    expect(recovered!.text).toBe(`✅ Key sk-up…eam1 of channel #${channelId} "fake-openai" works again: its probe succeeded.`);
  });

  it('signs in to the web console with the link from /web, once', async () => {
    await t.ctx.options.update({ publicUrl: 'https://relay.example.com/' });
    const [answer] = await say('/web');
    const url = new URL(/https:\/\/\S+/.exec(answer!.text)![0]);
    expect(url.origin + url.pathname).toBe('https://relay.example.com/api/auth/link-login');
    const first = await t.app.inject({ method: 'GET', url: url.pathname + url.search });
    expect(first.statusCode).toBe(302);
    expect(first.headers.location).toBe('/');
    expect(first.headers['referrer-policy']).toBe('no-referrer');
    const cookie = String(first.headers['set-cookie']);
    expect(cookie).toMatch(/relay_session=[^;]+;.*HttpOnly/);
    const me = await t.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: cookie.split(';')[0]! } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ username: 'carol' });
    // Used once: the same link again, or a made-up one, goes to the sign-in page, which says so.
    for (const again of [url.pathname + url.search, '/api/auth/link-login?code=madeupmadeupmadeup']) {
      const res = await t.app.inject({ method: 'GET', url: again });
      expect(res.statusCode).toBe(302);
      expect(res.headers.location).toBe('/signin?link=invalid');
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    const stored = await t.ctx.db.prisma.signInCode.findMany();
    expect(stored.every((row) => !url.search.includes(row.codeHash))).toBe(true);
    await t.ctx.options.update({ publicUrl: '' });
  });

  it('keeps language, chat mode, choices and an undelivered answer in the database', async () => {
    const key = { platform: 'qq' as const, chatId: 'G1', platformUserId: 'U1' };
    await backend.setLanguage('qq', 'U1', 'en');
    expect(await createRelayBackend(t.ctx, t.relay).getLanguage('qq', 'U1')).toBe('en');
    await backend.setChatMode(key, true);
    await backend.setChoices(key, ['/token del 1 confirm', '/token cancel']);
    await backend.savePendingReply(key, 'part one');
    await backend.savePendingReply(key, 'part two');
    // Another instance (another backend on the same database) sees all of it.
    const other = createRelayBackend(t.ctx, t.relay);
    expect(await other.chatMode(key)).toBe(true);
    expect(await other.takeChoice(key, 2)).toBe('/token cancel');
    expect(await other.takeChoice(key, 1)).toBeNull(); // one choice per offer
    expect(await other.takePendingReply(key)).toBe('part one\npart two');
    expect(await other.takePendingReply(key)).toBeNull();
  });

  // RelayService.chat itself: the pipeline hands it the answer's text as it is generated (no SSE parsed back).
  const raw = (...events: unknown[]) => events.map((e) => `data: ${typeof e === 'string' ? e : JSON.stringify(e)}\n\n`).join('');
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
    id: 'c1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  const quotaOf = async () => Number((await t.ctx.db.prisma.user.findUniqueOrThrow({ where: { id: userId } })).quota);
  const lastLog = () => t.ctx.db.prisma.usageLog.findFirstOrThrow({ where: { userId }, orderBy: { id: 'desc' } });

  it('relay.chat streams the content (not the reasoning) through onDelta, and bills the call', async () => {
    upstream.setScript(() => ({
      kind: 'raw',
      status: 200,
      contentType: 'text/event-stream',
      body: raw(
        chunk({ role: 'assistant', content: '' }),
        chunk({ reasoning_content: 'thinking hard' }),
        chunk({ content: 'Hello' }),
        chunk({ content: ' there' }, 'stop'),
        { id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [], usage: { prompt_tokens: 9, completion_tokens: 7, total_tokens: 16 } },
        '[DONE]',
      ),
    }));
    const deltas: string[] = [];
    const before = await quotaOf();
    const result = await t.relay.chat({ userId, model: 'm', messages: [{ role: 'user', content: 'Hi' }], source: 'telegram', onDelta: (d) => deltas.push(d) });
    expect(deltas.join('')).toBe('Hello there'); // what one upstream read carried comes as one piece
    expect(result).toEqual({ text: 'Hello there', model: 'm', usage: { promptTokens: 9, completionTokens: 7, cacheReadTokens: 0, cacheWriteTokens: 0 }, quota: 16 });
    expect(before - (await quotaOf())).toBe(16);
    expect(await lastLog()).toMatchObject({ endpoint: 'bot:chat', source: 'telegram', status: 'ok', quota: 16n });
    // The upstream was asked for usage in the stream, as for any client.
    expect(upstream.requests.at(-1)!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('relay.chat of a stream cut short: what streamed was shown and billed, and the error thrown as the RelayError it is', async () => {
    upstream.setScript(() => ({ kind: 'stream', chunks: ['one ', 'two ', 'three'], cutAfter: 2, usage: null }));
    const deltas: string[] = [];
    const err = await t.relay
      .chat({ userId, model: 'm', messages: [{ role: 'user', content: 'Hi' }], source: 'discord', onDelta: (d) => deltas.push(d) })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayError);
    expect((err as RelayError).code).toBe('upstream_error');
    expect(deltas.join('')).toBe('one '); // the role chunk and one piece went out before the cut
    const entry = await lastLog();
    expect(entry).toMatchObject({ endpoint: 'bot:chat', type: 'consume', status: 'error' });
    expect(entry.completionTokens).toBeGreaterThan(0);
  });
});
