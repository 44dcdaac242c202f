// The OneBot v11 route to QQ end to end: koishi with the real koishi-plugin-adapter-onebot connecting over a forward
// WebSocket to a local OneBot implementation, with the bot core on the in-memory backend.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TransportRegistry, type ChatTransport, type SentMessage } from '../../bots/core/index.js';
import { MemoryBackend } from './memory-backend.js';
import { oneBotAdapter } from '../../bots/qq/adapters.js';
import { sendInSession } from '../../bots/qq/bridge.js';
import { startQqBots, type QqBotsOptions, type RunningBots } from '../../bots/qq/index.js';
import { koishi } from '../../bots/qq/koishi.js';
import { routeKoishiLogs } from '../../bots/qq/logging.js';
import { NoticeTransport } from '../../bots/qq/notice-transport.js';
import { ReplyTransport, type ReplyPolicy } from '../../bots/qq/reply-transport.js';
import { zh } from '../../bots/core/i18n/zh.js';
import { TINY_PNG } from './core-suite.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { stopKoishi } from '../../bots/qq/shutdown.js';
import type { Config } from '../../src/config.js';
import { FakeOneBot, type OneBotSent } from '../fakes/onebot-ws.js';
import { FakeQq } from '../fakes/qq-api.js';
import { GROUP, runCoreSuite } from './core-suite.js';
import { createFakeTransport, memoryLog, mirrored, type RecordingTransport } from './fake-transport.js';

const SELF_ID = '10001';
const ALICE = 20002;
const ACCESS_TOKEN = 'onebot-access-token';
const log = memoryLog();

let fake: FakeOneBot;
let backend: MemoryBackend;
let bots: RunningBots | undefined;
let aliceId: number;


const FAST_RETRY = { initialMs: 20, maxMs: 200 };

async function startBots(
  config: Pick<Config, 'qq' | 'onebot'> = { qq: undefined, onebot: { endpoint: fake.endpoint, token: ACCESS_TOKEN, selfId: SELF_ID } },
  options: QqBotsOptions = {},
): Promise<RunningBots> {
  bots = startQqBots({ log }, backend, config, { oneBotPartIntervalMs: 0, reconnect: FAST_RETRY, imagePolicy: () => true, ...options });
  await bots.ready;
  await fake.waitForLogin();
  return bots;
}

async function sentCount(count: number, filter: (s: OneBotSent) => boolean = () => true): Promise<OneBotSent[]> {
  return fake.waitFor(() => {
    const found = fake.sent.filter(filter);
    return found.length === count ? found : undefined;
  }, 5_000, `${count} sent messages`);
}

beforeEach(async () => {
  fake = new FakeOneBot({ selfId: SELF_ID, accessToken: ACCESS_TOKEN });
  await fake.start();
  backend = new MemoryBackend();
  aliceId = backend.addUser({ username: 'alice', quota: 1_250_000 });
  backend.link('onebot', String(ALICE), aliceId);
  log.entries.length = 0;
});

afterEach(async () => {
  await bots?.stop();
  bots = undefined;
  await fake.close();
});

describe('OneBot bot (forward WebSocket)', () => {
  it('connects with the access token and answers /balance in a private chat', async () => {
    await startBots();
    expect(fake.rejectedConnections).toBe(0);
    fake.privateMessage(ALICE, '/balance');
    const [reply] = await sentCount(1);
    expect(reply).toMatchObject({ action: 'send_private_msg', userId: ALICE });
    expect(reply!.text).toContain('余额：1,250,000 额度（$2.50）');
  });

  it('works without ONEBOT_SELF_ID: the account comes from get_login_info', async () => {
    await startBots({ qq: undefined, onebot: { endpoint: fake.endpoint, token: ACCESS_TOKEN, selfId: undefined } });
    fake.privateMessage(ALICE, '/balance');
    const [reply] = await sentCount(1);
    expect(reply).toMatchObject({ action: 'send_private_msg', userId: ALICE });
  });

  it('sends a 5,000-character chat answer as three private messages, billed once', async () => {
    const answer = Array.from({ length: 50 }, (_, i) => String.fromCharCode(97 + (i % 26)).repeat(100)).join('');
    backend.answer(() => ({ deltas: answer.match(/.{1,500}/g)!, delayMs: 1 }));
    await startBots();
    fake.privateMessage(ALICE, 'tell me a long story');
    const parts = await sentCount(3);
    expect(parts.map((p) => [p.action, p.userId, p.text.length])).toEqual([
      ['send_private_msg', ALICE, 2000],
      ['send_private_msg', ALICE, 2000],
      ['send_private_msg', ALICE, 1000],
    ]);
    expect(parts.map((p) => p.text).join('')).toBe(answer);
    expect(backend.chatCalls).toHaveLength(1);
    expect(backend.chatCalls[0]!.source).toBe('onebot');
  });

  it('answers commands in a group and ignores ordinary group talk', async () => {
    await startBots();
    fake.groupMessage(30003, ALICE, 'nice weather today');
    fake.groupMessage(30003, ALICE, '/balance');
    const [reply] = await sentCount(1);
    expect(reply).toMatchObject({ action: 'send_group_msg', groupId: 30003 });
    expect(reply!.text).toContain('余额：');
    expect(backend.chatCalls).toHaveLength(0);
  });

  it('delivers admin alerts privately through the registry', async () => {
    const registry = new TransportRegistry();
    await startBots(undefined, { registry });
    const delivered = await registry.sendToUser({ platform: 'onebot', platformUserId: String(ALICE) }, { text: 'Channel #3 was disabled' }, log);
    expect(delivered).toBe(true);
    expect(fake.sent).toMatchObject([{ action: 'send_private_msg', userId: ALICE, text: 'Channel #3 was disabled' }]);
    await bots!.stop();
    bots = undefined;
    expect(registry.get('onebot')).toBeUndefined();
  });

  it('reconnects within seconds after the OneBot implementation restarts (NapCat, Lagrange)', async () => {
    await startBots();
    const accepted = fake.accepted;
    const started = Date.now();
    await fake.restart(1_500);
    await fake.waitFor(() => fake.accepted > accepted, 25_000, 'a new connection');
    expect(Date.now() - started).toBeLessThan(25_000);
    fake.privateMessage(ALICE, '/balance');
    const [reply] = await sentCount(1);
    expect(reply!.text).toContain('余额：1,250,000 额度（$2.50）');
    expect(log.entries.some((e) => e.level === 'warn' && e.msg === 'connection lost; reconnecting')).toBe(true);
  });

  it('chats in a group when @-mentioned, and numbers the choices it offers', async () => {
    backend.answer(() => ({ deltas: ['四。'] }));
    await startBots();
    fake.groupMessage(30003, ALICE, '2+2 等于几？', 'alice', true);
    const [answer] = await sentCount(1);
    expect(answer).toMatchObject({ action: 'send_group_msg', groupId: 30003, text: '四。' });
    expect(backend.chatCalls.at(-1)!.messages.at(-1)).toEqual({ role: 'user', content: '2+2 等于几？' });

    const token = await backend.createToken(aliceId, { name: 'ci', quota: null, expiresAt: null, models: [] });
    fake.privateMessage(ALICE, `/token del ${token.id}`);
    const question = (await sentCount(2))[1];
    expect(question!.text.endsWith('\n\n1. 删除\n2. 取消\n回复数字即可选择。')).toBe(true);
    fake.privateMessage(ALICE, '1');
    await sentCount(3);
    expect(fake.sent[2]!.text).toBe(`令牌 #${token.id} 已删除，使用它的应用从现在起无法调用。`);
    expect(backend.tokens.size).toBe(0);
  });

  it('sends an image with its question to the vision model', async () => {
    backend.options.botVisionModel = 'gpt-4o';
    backend.groups.get('default')!.models.push('gpt-4o');
    backend.answer(() => ({ deltas: ['一张很小的图片。'] }));
    const images = createServer((_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(TINY_PNG));
    await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
    try {
      await startBots();
      fake.privateImage(ALICE, '这是什么？', `http://127.0.0.1:${(images.address() as AddressInfo).port}/tiny.png`);
      await sentCount(1);
      expect(backend.chatCalls.at(-1)!.messages.at(-1)!.content).toEqual([
        { type: 'text', text: '这是什么？' },
        { type: 'image_url', image_url: { url: `data:image/png;base64,${TINY_PNG.toString('base64')}` } },
      ]);
    } finally {
      images.close();
    }
  });

  it('is refused with a wrong access token, logs it, and keeps retrying without throwing', async () => {
    bots = startQqBots(
      { log },
      backend,
      { qq: undefined, onebot: { endpoint: fake.endpoint, token: 'not-the-access-token-4711', selfId: SELF_ID } },
      { reconnect: FAST_RETRY },
    );
    await bots.ready;
    await fake.waitFor(() => fake.rejectedConnections >= 2, 5_000, 'two refused connections');
    expect(fake.calls).toHaveLength(0);
    expect(log.entries.some((e) => e.level === 'warn')).toBe(true);
    expect(JSON.stringify(log.entries)).not.toContain('not-the-access-token-4711');
  });

  it('keeps working when the official QQ API cannot be reached', async () => {
    // A QQ fake that never hands out a token: the QQ adapter keeps retrying while OneBot serves users.
    const qq = new FakeQq({ appId: '1', secret: 's', failTokenExchange: 1_000 });
    await qq.start();
    try {
      await startBots(
        { qq: { appId: '1', secret: 's', token: 't', sandbox: false }, onebot: { endpoint: fake.endpoint, token: ACCESS_TOKEN, selfId: SELF_ID } },
        {
          configureApp: (app) => {
            app.on('http/fetch-init', (url) => qq.redirect(url));
            app.on('http/websocket-init', (url) => qq.redirect(url));
          },
        },
      );
      await qq.waitFor(() => qq.calls.length >= 2, 5_000, 'QQ token retries');
      fake.privateMessage(ALICE, '/balance');
      const [reply] = await sentCount(1);
      expect(reply!.text).toContain('余额：');
    } finally {
      await bots?.stop();
      bots = undefined;
      await qq.close();
    }
  });
});

/* ----------------------------------------------------------------------------------------------------------------
 * The core's shared suite over the OneBot reply transport (and the notice transport for private messages): every
 * message goes through koishi's OneBot adapter to the fake, which must end up with exactly what the recorder saw.
 * -------------------------------------------------------------------------------------------------------------- */

const suiteOneBot = new FakeOneBot({ selfId: SELF_ID });
await suiteOneBot.start();
const restoreSuiteLogs = routeKoishiLogs(memoryLog());
const suiteApp = new koishi.App();
suiteApp.plugin(koishi.HTTP);
const suiteAdapter = oneBotAdapter({ endpoint: suiteOneBot.endpoint, token: undefined, selfId: SELF_ID });
const suiteFork = suiteApp.plugin(suiteAdapter.plugin, suiteAdapter.config);
await suiteApp.start();
await suiteOneBot.waitForLogin();
afterAll(async () => {
  await stopKoishi(suiteApp, [suiteFork]);
  await suiteOneBot.close();
  restoreSuiteLogs();
});

const oneBotPolicy: ReplyPolicy = { platform: 'onebot', maxMessageLength: 2000, maxReplies: Infinity, partIntervalMs: 0 };

/** Answers as the bridge does: in a session for the chat ("private:<id>" for a user, the group id for a group). */
function oneBotReplies(): ChatTransport {
  const bot = suiteApp.bots.find((b) => b.platform === 'onebot')!;
  const notices = new NoticeTransport('onebot', oneBotPolicy.maxMessageLength, () => bot);
  return {
    platform: 'onebot',
    maxMessageLength: oneBotPolicy.maxMessageLength,
    canEdit: false,
    buttons: 'numbered',
    minEditIntervalMs: 0,
    async send(chatId, reply) {
      const group = chatId === GROUP;
      const channel = group ? { id: chatId, type: 0 } : { id: `private:${chatId}`, type: 1 };
      const session = bot.session({ type: 'message', timestamp: Date.now(), channel, message: { id: '1' }, user: { id: chatId } });
      return new ReplyTransport((text) => sendInSession(session, text), oneBotPolicy).send(chatId, reply);
    },
    async edit() {
      throw new Error('OneBot cannot edit');
    },
    sendToUser: (userId, reply) => notices.sendToUser(userId, reply),
  };
}


describe('core suite over the OneBot reply transport', () => {
  let recorder: RecordingTransport | undefined;
  let sentBefore = 0;
  beforeEach(() => {
    sentBefore = suiteOneBot.sent.length;
  });
  afterEach(() => {
    const sent = suiteOneBot.sent.slice(sentBefore);
    expect(sent.map((s) => s.text)).toEqual(recorder!.messages.map((m) => m.text));
    expect(sent.map((s) => (s.action === 'send_group_msg' ? String(s.groupId) : String(s.userId)))).toEqual(recorder!.messages.map((m) => m.chatId));
  });
  runCoreSuite(() => {
    recorder = createFakeTransport({ platform: 'onebot', maxMessageLength: 2000, canEdit: false, minEditIntervalMs: 0 });
    return mirrored(oneBotReplies(), recorder);
  });
});
