// The QQ adapter end to end: koishi with the real @satorijs/adapter-qq against a local fake of the QQ bot API (token
// exchange, gateway, passive replies), with the bot core on the in-memory backend. The adapter keeps its production
// hosts (bots.qq.com, api.sgroup.qq.com); koishi's HTTP hooks point them at the fake. The command set is also checked
// through koishi's mock client, with no network at all.
import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBotCore, type ChatTransport, type SentMessage } from '../../bots/core/index.js';
import { MemoryBackend } from './memory-backend.js';
import { qqAdapter } from '../../bots/qq/adapters.js';
import { startQqBots, type RunningBots } from '../../bots/qq/index.js';
import { installCoreBridge, sendInSession } from '../../bots/qq/bridge.js';
import { koishi, type KoishiContext } from '../../bots/qq/koishi.js';
import { routeKoishiLogs } from '../../bots/qq/logging.js';
import { stopKoishi } from '../../bots/qq/shutdown.js';
import { QQ_MAX_REPLIES, ReplyTransport, type ReplyPolicy } from '../../bots/qq/reply-transport.js';
import { QQ_INTENTS } from '../../bots/qq/adapters.js';
import { zh } from '../../bots/core/i18n/zh.js';
import { TINY_PNG } from './core-suite.js';
import type {} from '@koishijs/plugin-mock'; // its `ctx.mock` type
import { FakeQq, type QqReply } from '../fakes/qq-api.js';
import { GROUP, runCoreSuite } from './core-suite.js';
import { createFakeTransport, memoryLog, mirrored, type RecordingTransport } from './fake-transport.js';

const APP_ID = '102030405';
const SECRET = 'qq-test-secret';
const OPENID = 'E4F4AEA33253A2797FB897C50B81D7ED';
const log = memoryLog();
/** QQ users get Chinese by default. */
const SHORTENED_NOTE = zh.chat.shortened;
const FAST = { reconnect: { initialMs: 20, maxMs: 200 }, imagePolicy: () => true } as const;

let fake: FakeQq;
let backend: MemoryBackend;
let bots: RunningBots | undefined;
let aliceId: number;


function redirectTo(target: FakeQq) {
  return (app: KoishiContext) => {
    app.on('http/fetch-init', (url) => target.redirect(url));
    app.on('http/websocket-init', (url) => target.redirect(url));
  };
}

async function startBots(sandbox = false, options: Parameters<typeof startQqBots>[3] = {}): Promise<RunningBots> {
  bots = startQqBots(
    { log },
    backend,
    { qq: { appId: APP_ID, secret: SECRET, token: 'qq-bot-token', sandbox }, onebot: undefined },
    { configureApp: redirectTo(fake), ...FAST, ...options },
  );
  await bots.ready;
  await fake.waitForReady();
  return bots;
}

/** Replies to `msgId` once `count` have arrived and nothing more is pending. */
async function repliesTo(msgId: string, count: number): Promise<QqReply[]> {
  return fake.waitFor(() => {
    const found = fake.repliesTo(msgId);
    return found.length === count ? found : undefined;
  }, 5_000, `${count} replies to ${msgId}`);
}

function letters(length: number): string {
  return Array.from({ length: length / 100 }, (_, i) => String.fromCharCode(97 + (i % 26)).repeat(100)).join('');
}

beforeEach(async () => {
  fake = new FakeQq({ appId: APP_ID, secret: SECRET });
  await fake.start();
  backend = new MemoryBackend();
  aliceId = backend.addUser({ username: 'alice', quota: 1_250_000 });
  backend.link('qq', OPENID, aliceId);
  log.entries.length = 0;
});

afterEach(async () => {
  await bots?.stop();
  bots = undefined;
  await fake.close();
});

describe('QQ bot (official API)', () => {
  it('exchanges the app secret for a token at bots.qq.com and identifies on the gateway for C2C and group messages', async () => {
    await startBots();
    const exchange = fake.calls.find((c) => c.path === '/app/getAppAccessToken')!;
    expect(exchange.host).toBe('bots.qq.com');
    expect(exchange.body).toEqual({ appId: APP_ID, clientSecret: SECRET });
    const gateway = fake.calls.find((c) => c.path === '/gateway')!;
    expect(gateway.host).toBe('api.sgroup.qq.com');
    expect(gateway.authorization).toBe(`QQBot ${fake.accessToken}`);
    expect(fake.identifies).toEqual([{ token: `QQBot ${fake.accessToken}`, intents: QQ_INTENTS, shard: [0, 1] }]);
    // C2C and group @-messages, guild direct messages, guild channel @-messages.
    expect(QQ_INTENTS).toBe((1 << 25) | (1 << 12) | (1 << 30));
    expect(JSON.stringify(log.entries)).not.toContain(SECRET);
  });

  it('uses the sandbox API host when QQ_SANDBOX is on', async () => {
    await startBots(true);
    expect(fake.calls.find((c) => c.path === '/gateway')!.host).toBe('sandbox.api.sgroup.qq.com');
  });

  it('answers /balance in a private chat with one passive reply (msg_id of the message, msg_seq 1)', async () => {
    await startBots();
    const msgId = fake.c2cMessage(OPENID, '/balance');
    const [reply] = await repliesTo(msgId, 1);
    expect(reply).toMatchObject({ scope: 'c2c', target: OPENID, msgId, msgSeq: 1, accepted: true });
    expect(reply!.content).toContain('余额：1,250,000 额度（$2.50）');
    // No buttons on QQ: the choices are numbered.
    expect(reply!.content.endsWith('\n\n1. 📊 用量\n2. 🔑 令牌\n3. 💳 充值\n回复数字即可选择。')).toBe(true);
    const next = fake.c2cMessage(OPENID, '1');
    const [usage] = await repliesTo(next, 1);
    expect(usage!.content).toMatch(/^你的用量（按 UTC 日期）：\n今天：0 次请求/);
  });

  it('sends a 5,000-character chat answer in three parts with rising msg_seq, billed once', async () => {
    const answer = letters(5_000);
    backend.answer(() => ({ deltas: answer.match(/.{1,500}/g)! }));
    await startBots();
    const msgId = fake.c2cMessage(OPENID, 'write me something long');
    const replies = await repliesTo(msgId, 3);
    expect(replies.map((r) => [r.msgSeq, r.content.length, r.accepted])).toEqual([
      [1, 2000, true],
      [2, 2000, true],
      [3, 1000, true],
    ]);
    expect(replies.map((r) => r.content).join('')).toBe(answer);
    expect(backend.chatCalls).toHaveLength(1);
    expect(backend.chatCalls[0]!.source).toBe('qq');
  });

  it('keeps within 5 replies: a longer answer has its tail joined into the fifth, shortened and saying so', async () => {
    const answer = letters(12_000);
    backend.answer(() => ({ deltas: answer.match(/.{1,1000}/g)! }));
    await startBots();
    const msgId = fake.c2cMessage(OPENID, 'write me something very long');
    const replies = await repliesTo(msgId, QQ_MAX_REPLIES);
    // The fifth reply is the held-back rest, which the bridge sends once the core has finished with the message: nothing
    // can follow it, so the count is final here.
    expect(replies.at(-1)!.content.endsWith(`\n${SHORTENED_NOTE}`)).toBe(true);
    expect(fake.repliesTo(msgId)).toHaveLength(QQ_MAX_REPLIES);
    expect(replies.every((r) => r.accepted)).toBe(true);
    expect(replies.map((r) => r.msgSeq)).toEqual([1, 2, 3, 4, 5]);
    expect(replies.slice(0, 4).map((r) => r.content)).toEqual(answer.slice(0, 8000).match(/.{2000}/g));
    const last = replies[4]!.content;
    expect(last.length).toBeLessThanOrEqual(2000);
    expect(last.endsWith(`\n${SHORTENED_NOTE}`)).toBe(true);
    expect(answer.slice(8000).startsWith(last.slice(0, -SHORTENED_NOTE.length - 1))).toBe(true);
  });

  it('links accounts only in a private chat, and never shows a key in a group', async () => {
    const bobOpenid = 'B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0';
    const bobId = backend.addUser({ username: 'bob', quota: 10 });
    backend.issueLinkCode(bobId, 'LINK-1234');
    await startBots();

    const inGroup = fake.groupAtMessage('GROUP_OPENID_1', bobOpenid, '/link LINK-1234');
    const [refusal] = await repliesTo(inGroup, 1);
    expect(refusal).toMatchObject({ scope: 'group', target: 'GROUP_OPENID_1', msgSeq: 1, accepted: true });
    expect(refusal!.content).toBe(zh.privateOnly.link);
    expect(await backend.resolveLink('qq', bobOpenid)).toBeNull();

    const inPrivate = fake.c2cMessage(bobOpenid, '/link LINK-1234');
    const [linked] = await repliesTo(inPrivate, 1);
    expect(linked!.content).toBe('已绑定到 bob。试试 /balance、/tokens，或者直接给我发消息聊天。');
    expect(await backend.resolveLink('qq', bobOpenid)).toMatchObject({ id: bobId });

    backend.link('qq', 'ALICE_IN_GROUP', aliceId);
    const keyInGroup = fake.groupAtMessage('GROUP_OPENID_1', 'ALICE_IN_GROUP', '/token new ci');
    const [noKey] = await repliesTo(keyInGroup, 1);
    expect(noKey!.content).toBe(zh.privateOnly.keys);
    expect(backend.tokens.size).toBe(0);
  });

  it('answers @-mentions in a QQ guild (频道) channel and guild direct messages, passively', async () => {
    backend.link('qq', 'GUILD_USER_1', aliceId);
    backend.answer(() => ({ deltas: ['四。'] }));
    await startBots();
    // Guild and channel ids are numbers; a direct message's channel is "<guild>_<channel>" in koishi.
    const inChannel = fake.guildAtMessage('7654321', '1234567', 'GUILD_USER_1', '2+2 等于几？');
    const [answer] = await repliesTo(inChannel, 1);
    expect(answer).toMatchObject({ scope: 'channel', target: '1234567', msgId: inChannel, accepted: true, content: '四。' });
    expect(backend.chatCalls.at(-1)!.messages.at(-1)).toEqual({ role: 'user', content: '2+2 等于几？' });
    const direct = fake.guildDirectMessage('987654', '456789', 'GUILD_USER_1', '/balance');
    const [balance] = await repliesTo(direct, 1);
    expect(balance).toMatchObject({ scope: 'dms', target: '987654', accepted: true });
    expect(balance!.content).toMatch(/^账户：alice/);
  });

  it('finishes an answer that outlives the reply window as an active message, said in time', async () => {
    await fake.close();
    fake = new FakeQq({ appId: APP_ID, secret: SECRET, activeQuota: 5 });
    await fake.start();
    // A 2-second "5 minutes": the answer takes 3 s.
    backend.answer(() => ({ deltas: ['第一段。', '第二段。', '第三段。'], delayMs: 1000 }));
    await startBots(false, { replyWindow: { windowMs: 2_000, marginMs: 500 } });
    const msgId = fake.c2cMessage(OPENID, '讲个长故事');
    await fake.waitFor(() => fake.replies.some((r) => r.msgId === undefined), 6_000, 'the active message');
    const passive = fake.repliesTo(msgId);
    expect(passive.map((r) => [r.content, r.accepted])).toEqual([[zh.chat.windowClosing, true]]);
    expect(fake.replies.filter((r) => r.msgId === undefined).map((r) => [r.scope, r.target, r.content, r.accepted])).toEqual([
      ['c2c', OPENID, '第一段。第二段。第三段。', true],
    ]);
  });

  it('keeps what QQ refuses after the window and delivers it with the user\'s next message', async () => {
    backend.answer(() => ({ deltas: ['第一段。', '第二段。', '第三段。'], delayMs: 1000 }));
    await startBots(false, { replyWindow: { windowMs: 2_000, marginMs: 500 } });
    const first = fake.c2cMessage(OPENID, '讲个长故事');
    await fake.waitFor(() => fake.replies.some((r) => r.msgId === undefined && !r.accepted), 6_000, 'the refused active message');
    expect(fake.repliesTo(first).map((r) => r.content)).toEqual([zh.chat.windowClosing]);
    backend.answer(() => ({ deltas: ['好的。'] }));
    const next = fake.c2cMessage(OPENID, '继续');
    const replies = await repliesTo(next, 2);
    expect(replies.map((r) => [r.content, r.accepted])).toEqual([
      ['第一段。第二段。第三段。', true],
      ['好的。', true],
    ]);
    expect(await backend.takePendingReply({ platform: 'qq', chatId: OPENID, platformUserId: OPENID })).toBeNull();
  });

  it('reconnects with backoff when the gateway connection drops', async () => {
    await startBots();
    const sessions = fake.sessionsStarted;
    fake.dropConnections();
    await fake.waitFor(() => fake.sessionsStarted > sessions, 5_000, 'a new gateway session');
    const msgId = fake.c2cMessage(OPENID, '/help');
    const [reply] = await repliesTo(msgId, 1);
    expect(reply!.content).toMatch(/^你已绑定账户 alice/);
    expect(log.entries.some((e) => e.msg === 'connection lost; reconnecting')).toBe(true);
  });

  it('sends an image with its question to the vision model', async () => {
    backend.options.botVisionModel = 'gpt-4o';
    backend.groups.get('default')!.models.push('gpt-4o');
    backend.answer(() => ({ deltas: ['一张很小的图片。'] }));
    await startBots();
    const msgId = fake.c2cMessage(OPENID, '这是什么？', [fake.file('tiny.png', TINY_PNG)]);
    await repliesTo(msgId, 1);
    expect(backend.chatCalls.at(-1)!.model).toBe('gpt-4o');
    expect(backend.chatCalls.at(-1)!.messages.at(-1)!.content).toEqual([
      { type: 'text', text: '这是什么？' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${TINY_PNG.toString('base64')}` } },
    ]);
  });

  it('keeps retrying when the token exchange fails, then connects', async () => {
    await fake.close();
    fake = new FakeQq({ appId: APP_ID, secret: SECRET, failTokenExchange: 2 });
    await fake.start();
    await startBots();
    expect(fake.calls.filter((c) => c.path === '/app/getAppAccessToken')).toHaveLength(3);
    expect(log.entries.some((e) => e.level === 'warn')).toBe(true);
  });
});

describe('QQ command set through koishi (mock client, no network)', () => {
  const require = createRequire(import.meta.url);
  const mock = require('@koishijs/plugin-mock') as { default: Parameters<KoishiContext['plugin']>[0] };
  let app: InstanceType<typeof koishi.App>;
  let mockAdapter: { dispose(): unknown };

  beforeEach(async () => {
    app = new koishi.App({ prefix: ['/'], prefixMode: 'strict' });
    app.plugin(koishi.HTTP);
    mockAdapter = app.plugin(mock.default);
    const core = createBotCore({ backend, log });
    installCoreBridge(app, {
      core,
      backend,
      log,
      platformOf: () => 'qq',
      policyFor: () => ({ platform: 'qq', maxMessageLength: 2000, maxReplies: QQ_MAX_REPLIES, partIntervalMs: 0 }),
    });
    await app.start();
    backend.link('qq', 'mock-user', aliceId);
  });

  afterEach(async () => {
    await stopKoishi(app, [mockAdapter]);
  });

  it('registers every core command as a koishi command', () => {
    const core = createBotCore({ backend, log });
    for (const command of core.commands) expect(app.$commander.get(command.name), command.name).toBeDefined();
  });

  it('routes commands, their raw arguments and plain chat to the core', async () => {
    const client = app.mock.client('mock-user');
    await client.shouldReply('/lang en', "OK, I'll answer in English from now on.");
    await client.shouldReply('/balance', /Balance: 1,250,000 units \(\$2\.50\)/);
    // koishi would read "-h" as its help option; the core gets the text as typed.
    await client.shouldReply('/token -h', /^Usage:\n\/token new <name>/);
    await client.shouldReply('/token new ci-key $5', /sk-memory\d{4}x{39}/);
    expect([...backend.tokens.values()].map((t) => [t.name, t.remainQuota])).toEqual([['ci-key', 2_500_000]]);

    backend.answer((input) => ({ deltas: [`echo: ${String(input.messages.at(-1)?.content)}`] }));
    // The mock client reads its input as markup, as koishi does with every platform's messages: escape to type "<b>".
    // The answer goes out as a text element, so it is shown as written, not read as markup.
    await client.shouldReply(koishi.h.escape('balance <b>please</b>'), 'echo: balance <b>please</b>');
    await client.shouldReply('/nosuchcommand', "I don't know /nosuchcommand. See /help.");
  });

  it('stays quiet in a group unless addressed with a command', async () => {
    const client = app.mock.client('mock-user', 'group-1');
    await client.shouldNotReply('just talking here');
    await client.shouldReply('/balance', /余额：/);
  });
});

/* ----------------------------------------------------------------------------------------------------------------
 * The core's shared suite over the QQ reply transport: each answer goes through koishi's QQ adapter to the fake as
 * a passive reply (a fresh msg_id per answer, opened on the fake), and after each test the fake must have accepted
 * exactly what the suite's recorder saw. The five-replies budget per message is tested end to end above.
 * -------------------------------------------------------------------------------------------------------------- */

const suiteQq = new FakeQq({ appId: APP_ID, secret: SECRET });
await suiteQq.start();
const restoreSuiteLogs = routeKoishiLogs(memoryLog());
const suiteApp = new koishi.App();
suiteApp.plugin(koishi.HTTP);
redirectTo(suiteQq)(suiteApp);
const suiteAdapter = qqAdapter({ appId: APP_ID, secret: SECRET, token: 't', sandbox: false });
const suiteFork = suiteApp.plugin(suiteAdapter.plugin, suiteAdapter.config);
await suiteApp.start();
await suiteQq.waitForReady();
afterAll(async () => {
  await stopKoishi(suiteApp, [suiteFork]);
  await suiteQq.close();
  restoreSuiteLogs();
});

const qqPolicy: ReplyPolicy = { platform: 'qq', maxMessageLength: 2000, maxReplies: QQ_MAX_REPLIES, partIntervalMs: 0 };

/** Answers as the bridge does, each in a passive-reply window the fake opened for that chat. */
function qqReplies(): ChatTransport {
  const bot = suiteApp.bots.find((b) => b.platform === 'qq' && !b.hidden)!;
  return {
    platform: 'qq',
    maxMessageLength: qqPolicy.maxMessageLength,
    canEdit: false,
    buttons: 'numbered',
    minEditIntervalMs: 0,
    async send(chatId, reply) {
      const group = chatId === GROUP;
      const msgId = suiteQq.allowReplies(group ? 'group' : 'c2c', chatId);
      const session = bot.session({ type: 'message', timestamp: Date.now(), channel: { id: chatId, type: group ? 0 : 1 }, message: { id: msgId }, user: { id: chatId } });
      const transport = new ReplyTransport((text) => sendInSession(session, text), qqPolicy);
      const sent = await transport.send(chatId, reply);
      await transport.finish();
      return sent;
    },
    async edit() {
      throw new Error('QQ cannot edit');
    },
  };
}


describe('core suite over the QQ reply transport', () => {
  let recorder: RecordingTransport | undefined;
  let repliesBefore = 0;
  beforeEach(() => {
    repliesBefore = suiteQq.replies.length;
  });
  afterEach(() => {
    const replies = suiteQq.replies.slice(repliesBefore);
    expect(replies.filter((r) => !r.accepted)).toEqual([]);
    expect(replies.map((r) => r.content)).toEqual(recorder!.messages.map((m) => m.text));
  });
  runCoreSuite(() => {
    recorder = createFakeTransport({ platform: 'qq', maxMessageLength: 2000, canEdit: false, minEditIntervalMs: 0, canMessageUsers: false });
    return mirrored(qqReplies(), recorder);
  });
});
