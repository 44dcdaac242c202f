// The real grammY bot (runner, auto-retry, webhook callback) against a fake Telegram Bot API on 127.0.0.1, over the
// memory backend. Edit intervals and poll timeouts are shortened so every test is fast.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { MemoryBackend } from './memory-backend.js';
import { createNotifier, TransportRegistry } from '../../bots/core/notifications.js';
import { ADMIN_ONLY } from '../../bots/core/router.js';
import { startTelegramBot, type RunningTelegramBot } from '../../bots/telegram/start.js';
import { mountTelegramWebhook, webhookPathFor, webhookSecretFor, type TelegramConfig } from '../../bots/telegram/webhook.js';
import { FakeTelegramApi, type ChatUser, type FakeMessage } from '../fakes/telegram-api.js';
import { createMemoryLogger } from './core-suite.js';

const TOKEN = '110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';
const alice: ChatUser = { id: 1001, first_name: 'Alice', username: 'alice' };
const root: ChatUser = { id: 1002, first_name: 'Root' };
const bob: ChatUser = { id: 1003, first_name: 'Bob' };
const GROUP = -1_001_234;
const FAST = { editIntervalMs: 20, pollTimeoutSeconds: 1, retryDelayMs: { initial: 20, max: 200 } };

describe('telegram bot over long polling', () => {
  let fake: FakeTelegramApi;
  let backend: MemoryBackend;
  let registry: TransportRegistry;
  let running: RunningTelegramBot;
  let aliceId: number;
  const log = createMemoryLogger();

  /** Sends text as a user and waits for `count` new bot messages in that chat. */
  async function ask(from: ChatUser, text: string, chatId = from.id, count = 1): Promise<FakeMessage[]> {
    const before = fake.chat(chatId).length;
    fake.sendText(from, text, chatId);
    return fake.waitFor(() => {
      const fresh = fake.chat(chatId).slice(before);
      return fresh.length >= count ? fresh : undefined;
    }, 5000, `${count} answer(s) to "${text}"`);
  }
  const askText = async (from: ChatUser, text: string, chatId = from.id): Promise<string> => (await ask(from, text, chatId))[0]!.text;

  /** Proves the bot stayed silent: a /help sent after it is answered first (one chat is handled in order). */
  async function expectSilence(from: ChatUser, text: string, chatId: number): Promise<void> {
    const before = fake.chat(chatId).length;
    fake.sendText(from, text, chatId);
    const [next] = await ask(from, '/help', chatId);
    expect(next!.text).toMatch(/^You're linked as|^Link your relay account/);
    expect(fake.chat(chatId).length).toBe(before + 1);
  }

  beforeAll(async () => {
    fake = await FakeTelegramApi.start(TOKEN);
    backend = new MemoryBackend();
    aliceId = backend.addUser({ username: 'alice', quota: 1_250_000 });
    const rootId = backend.addUser({ username: 'root', role: 'root' });
    backend.link('telegram', String(alice.id), aliceId);
    backend.link('telegram', String(root.id), rootId);
    registry = new TransportRegistry();
    const config: TelegramConfig = { token: TOKEN, apiRoot: fake.url, webhookUrl: undefined, webhookSecret: undefined };
    running = startTelegramBot({ log }, backend, config, { ...FAST, registry });
    await running.connected;
  });

  afterAll(async () => {
    await running?.stop();
    await fake?.close();
  });

  it('connects: getMe, deleteWebhook, the command menu, then long polling', async () => {
    const methods = fake.calls.map((c) => c.method);
    expect(methods.slice(0, 3)).toEqual(['getMe', 'deleteWebhook', 'setMyCommands']);
    const menu = fake.callsOf('setMyCommands')[0]!.payload.commands as Array<{ command: string }>;
    expect(menu.map((c) => c.command)).toEqual(expect.arrayContaining(['start', 'help', 'link', 'balance', 'token', 'chat', 'price']));
    expect(menu.map((c) => c.command)).not.toContain('channels');
    await fake.waitFor(() => fake.callsOf('getUpdates').length > 0);
    expect(fake.callsOf('getUpdates')[0]!.payload).toMatchObject({ timeout: 1, allowed_updates: ['message', 'callback_query', 'pre_checkout_query'] });
    expect(fake.refusals).toEqual([]);
  });

  it('links an account with a code', async () => {
    const bobId = backend.addUser({ username: 'bob', quota: 10 });
    backend.issueLinkCode(bobId, 'TGLINK42');
    expect(await askText(bob, '/link TGLINK42', GROUP)).toMatch(/only link accounts in a private chat/);
    expect(await askText(bob, '/link TGLINK42')).toMatch(/^Linked to bob\./);
    expect(await backend.resolveLink('telegram', String(bob.id))).toMatchObject({ id: bobId });
  });

  it('shows the balance, also for /balance@botname in a group', async () => {
    expect(await askText(alice, '/balance')).toBe(
      'Account: alice (group default)\nBalance: 1,250,000 units ($2.50)\nUsed: 0 units ($0.00) over 0 requests\n\nNeed more? See /recharge.',
    );
    expect(await askText(alice, '/balance@relay_test_bot', GROUP)).toMatch(/^Account: alice/);
    await expectSilence(alice, '/balance@another_bot', GROUP);
  });

  it('creates a key only in a private chat, lists it, and deletes it after the button', async () => {
    expect(await askText(alice, '/token new ci 1000000 30d', GROUP)).toMatch(/only show new keys in a private chat\. Message me directly/);
    expect(backend.tokens.size).toBe(0);

    const created = await askText(alice, '/token new ci 1000000 30d gpt-4o-mini');
    const [token] = await backend.listTokens(aliceId);
    expect(created).toMatch(/^Token "ci" created/);
    expect(created).toContain(`sk-memory${String(token!.id).padStart(4, '0')}`);
    expect(token).toMatchObject({ remainQuota: 1_000_000, models: ['gpt-4o-mini'] });

    const list = await askText(alice, '/tokens');
    expect(list).toContain(`#${token!.id} ci · ${token!.keyPrefix}`);
    expect(list).not.toContain('sk-memory0');

    const [confirm] = await ask(alice, `/token del ${token!.id}`);
    expect(confirm!.reply_markup).toEqual({
      inline_keyboard: [[
        { text: 'Delete', callback_data: `/token del ${token!.id} confirm` },
        { text: 'Cancel', callback_data: '/token cancel' },
      ]],
    });
    const before = fake.chat(alice.id).length;
    fake.pressButton(alice, confirm!, `/token del ${token!.id} confirm`);
    const done = await fake.waitFor(() => fake.chat(alice.id)[before]);
    expect(done.text).toBe(`Token #${token!.id} deleted. Apps using its key stop working now.`);
    expect(fake.callsOf('answerCallbackQuery')).toHaveLength(1);
    expect(backend.tokens.size).toBe(0);
  });

  it('switches groups and refuses the ones users may not pick', async () => {
    backend.addGroup({ name: 'vip', ratio: '0.8', description: '', userSelectable: true, models: ['gpt-4o-mini'] });
    backend.addGroup({ name: 'staff', ratio: '0', description: '', userSelectable: false, models: [] });
    expect(await askText(alice, '/group vip')).toBe("You're now in group vip (price ratio 0.8).");
    expect(await askText(alice, '/group staff')).toBe(
      'Group "staff" cannot be chosen; ask an admin. See /groups for the groups you can switch to.',
    );
    expect(await askText(alice, '/group default')).toBe("You're now in group default (price ratio 1).");
  });

  it('redeems a code once, then shows it in the logs', async () => {
    backend.addRedemption('TG-GIFT', 500_000);
    expect(await askText(alice, '/redeem TG-GIFT')).toBe('Redeemed 500,000 units ($1.00). Your balance is now 1,750,000 units ($3.50).');
    expect(await askText(alice, '/redeem TG-GIFT')).toBe('This redemption code has already been used.');
    expect(await askText(alice, '/logs 1')).toMatch(/^Your last 1 entries:\n\d{4}-\d\d-\d\d \d\d:\d\d UTC · redeem · 500,000 units \(\$1\.00\)$/);
  });

  it('prices a model', async () => {
    expect(await askText(alice, '/price gpt-4o-mini')).toBe(
      'gpt-4o-mini in group default (ratio 1):\nInput: $0.15 per 1M tokens\nOutput: $0.60 per 1M tokens',
    );
  });

  it('streams a chat answer by editing one message', async () => {
    backend.answer(() => ({ deltas: ['Hel', 'lo ', 'from ', 'Telegram', '!'], delayMs: 15 }));
    const before = fake.chat(alice.id).length;
    const callsBefore = fake.calls.length;
    fake.sendText(alice, 'hi there');
    const message = await fake.waitFor(() => fake.chat(alice.id)[before]?.text === 'Hello from Telegram!' && fake.chat(alice.id)[before]);
    expect(fake.chat(alice.id)).toHaveLength(before + 1);
    const calls = fake.calls.slice(callsBefore).filter((c) => c.method === 'sendMessage' || c.method === 'editMessageText');
    expect(calls[0]).toMatchObject({ method: 'sendMessage', payload: { chat_id: alice.id, text: '…' } });
    const edits = calls.slice(1);
    expect(edits.length).toBeGreaterThanOrEqual(2);
    for (const edit of edits) expect(edit).toMatchObject({ method: 'editMessageText', payload: { message_id: message.message_id } });
    expect(edits.at(-1)!.payload.text).toBe('Hello from Telegram!');
    expect(fake.refusals).toEqual([]);
  });

  it('titles a new conversation when titles are on, and not when off', async () => {
    backend.answer((input) => ({ deltas: [input.purpose === 'title' ? 'Small talk' : 'Sure.'] }));
    await askText(alice, '/title on');
    await askText(alice, '/new');
    const calls = backend.chatCalls.length;
    await ask(alice, 'let us talk');
    await fake.waitFor(() => backend.chatCalls.length === calls + 2);
    expect(backend.chatCalls.slice(calls).map((c) => [c.purpose, c.model, c.source])).toEqual([
      ['chat', 'gpt-4o-mini', 'telegram'],
      ['title', 'gpt-4o-mini', 'telegram'],
    ]);
    expect(backend.conversations.at(-1)!.title).toBe('Small talk');

    await askText(alice, '/title off');
    await askText(alice, '/new');
    await ask(alice, 'again');
    // The next command is handled after the chat turn (same chat, in order): no title call came in between.
    await askText(alice, '/balance');
    expect(backend.chatCalls.slice(calls + 2).map((c) => c.purpose)).toEqual(['chat']);
  });

  it('splits a 10,000-character answer into three messages', async () => {
    backend.answer(() => ({ deltas: Array.from({ length: 10 }, () => 'y'.repeat(1000)), delayMs: 2 }));
    const before = fake.chat(alice.id).length;
    fake.sendText(alice, 'write a lot');
    const parts = await fake.waitFor(() => {
      const fresh = fake.chat(alice.id).slice(before);
      return fresh.length === 3 && fresh[2]!.text.length === 1808 && fresh[0]!.text.length === 4096 ? fresh : undefined;
    });
    expect(parts.map((m) => m.text.length)).toEqual([4096, 4096, 1808]);
    expect(parts.map((m) => m.text).join('')).toBe('y'.repeat(10_000));
    expect(fake.refusals).toEqual([]);
  });

  it('keeps other chats responsive while one chat streams', async () => {
    backend.answer(() => ({ deltas: ['slow ', 'slow ', 'slow ', 'slow ', 'done'], delayMs: 120 }));
    const before = fake.chat(alice.id).length;
    fake.sendText(alice, 'take your time');
    await fake.waitFor(() => fake.chat(alice.id)[before]);
    const reply = await askText(root, '/help');
    expect(reply).toMatch(/^You're linked as root/);
    expect(fake.chat(alice.id)[before]!.text).not.toBe('slow slow slow slow done');
    await fake.waitFor(() => fake.chat(alice.id)[before]!.text === 'slow slow slow slow done');
  });

  it('refuses admin commands to non-admins, serves admins', async () => {
    expect(await askText(alice, '/channels')).toBe(ADMIN_ONLY);
    expect(await askText(alice, '/codes 100 1')).toBe(ADMIN_ONLY);
    const id = backend.addChannel({ name: 'main', type: 'openai', status: 'enabled', disabledReason: null, priority: 1, responseTimeMs: null });
    expect(await askText(root, '/channels')).toBe(`Channels:\n🟢 #${id} main · openai · enabled · priority 1`);
  });

  it('alerts linked admins in their private chat when a channel is auto-disabled', async () => {
    const notifier = createNotifier(backend, registry, log);
    const before = fake.chat(root.id).length;
    expect(await notifier.channelAutoDisabled({ channelId: 3, channelName: 'anthropic-1', reason: 'invalid x-api-key' })).toBe(1);
    const alert = fake.chat(root.id)[before]!;
    expect(alert.text).toBe(
      '⚠️ Channel #3 "anthropic-1" was disabled automatically.\nReason: invalid x-api-key\nRe-enable it with /channel enable 3 once it is fixed.',
    );
    expect(fake.chat(alice.id).some((m) => m.text.includes('anthropic-1'))).toBe(false);
  });

  it('waits out a 429 and retries (auto-retry)', async () => {
    fake.failNext('sendMessage', 429, { ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } });
    const sends = fake.callsOf('sendMessage').length;
    const started = Date.now();
    expect(await askText(alice, '/recharge')).toMatch(/^Ask an administrator for a redemption code/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(fake.callsOf('sendMessage').length - sends).toBe(2);
  });

  it('never logged the bot token', () => {
    expect(JSON.stringify(log.lines)).not.toContain(TOKEN.split(':')[1]);
  });
});

describe('telegram bot over a webhook', () => {
  const HOOK_TOKEN = '220301654:BBHdqTcvCH1vGWJxfSeofSAs0K5PALDxyz';
  const config: TelegramConfig = { token: HOOK_TOKEN, apiRoot: undefined, webhookUrl: 'https://relay.example.com/tg/hook', webhookSecret: 'hook-secret_1' };
  let fake: FakeTelegramApi;
  let backend: MemoryBackend;
  let running: RunningTelegramBot;
  const app = Fastify();

  const update = (text: string, id: number) => ({
    update_id: id,
    message: { message_id: id, date: 0, text, from: { ...alice, is_bot: false }, chat: { id: alice.id, type: 'private', first_name: 'Alice' } },
  });

  beforeAll(async () => {
    fake = await FakeTelegramApi.start(HOOK_TOKEN);
    backend = new MemoryBackend();
    backend.link('telegram', String(alice.id), backend.addUser({ username: 'alice', quota: 5000 }));
    running = startTelegramBot({ log: createMemoryLogger() }, backend, { ...config, apiRoot: fake.url }, FAST);
    mountTelegramWebhook(app, running.bot, webhookSecretFor(config), webhookPathFor(config));
    await app.ready();
    await running.connected;
  });

  afterAll(async () => {
    await running?.stop();
    await app.close();
    await fake?.close();
  });

  it('registers the webhook with its secret instead of polling', () => {
    expect(fake.callsOf('setWebhook')[0]!.payload).toEqual({
      url: 'https://relay.example.com/tg/hook',
      secret_token: 'hook-secret_1',
      allowed_updates: ['message', 'callback_query', 'pre_checkout_query'],
    });
    expect(fake.callsOf('getUpdates')).toHaveLength(0);
  });

  it('refuses a request without the secret token', async () => {
    const res = await app.inject({ method: 'POST', url: '/tg/hook', payload: update('/balance', 1), headers: { 'x-telegram-bot-api-secret-token': 'wrong' } });
    expect(res.statusCode).toBe(401);
    expect(fake.callsOf('sendMessage')).toHaveLength(0);
  });

  it('answers the webhook at once and streams the reply in the background', async () => {
    backend.answer(() => ({ deltas: ['one ', 'two ', 'three'], delayMs: 100 }));
    const res = await app.inject({ method: 'POST', url: '/tg/hook', payload: update('hello', 2), headers: { 'x-telegram-bot-api-secret-token': 'hook-secret_1' } });
    expect(res.statusCode).toBe(200);
    expect(fake.chat(alice.id).find((m) => m.text === 'one two three')).toBeUndefined();
    await fake.waitFor(() => fake.chat(alice.id).find((m) => m.text === 'one two three'));
    expect(fake.refusals).toEqual([]);
  });

  it('derives a stable secret when none is configured', () => {
    const derived = webhookSecretFor({ ...config, webhookSecret: undefined });
    expect(derived).toMatch(/^[0-9a-f]{64}$/);
    expect(webhookSecretFor({ ...config, webhookSecret: undefined })).toBe(derived);
  });
});

describe('telegram unreachable', () => {
  it('logs and retries without throwing, with the token scrubbed, and stops cleanly', async () => {
    const log = createMemoryLogger();
    const closed = await FakeTelegramApi.start(TOKEN);
    const apiRoot = closed.url;
    await closed.close(); // nothing listens there any more: connection refused
    const running = startTelegramBot({ log }, new MemoryBackend(), { token: TOKEN, apiRoot, webhookUrl: undefined, webhookSecret: undefined }, FAST);
    const deadline = Date.now() + 5000;
    while (log.lines.filter((l) => l.msg === 'cannot reach Telegram; retrying').length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(log.lines.filter((l) => l.msg === 'cannot reach Telegram; retrying').length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(log.lines)).not.toContain(TOKEN.split(':')[1]);
    await running.stop();
  });
});
