// Always on: two instances on one PostgreSQL carry the same Telegram bot; exactly one polls. The one running it is a
// real process, killed (SIGKILL: no goodbye, its database session simply ends); the other takes the bot over within
// seconds and carries on the conversation (history and group chat mode come from the database). PostgreSQL only:
// SQLite is one process by design.
import { afterAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { startRelayStation, type RelayStation } from '../../src/main.js';
import { createTestContext, createTestDatabase, TEST_ADMIN_KEY, TEST_SECRET_KEY, type TestApp, type TestContext, type TestDatabase } from '../helpers/context.js';
import { addChannel } from '../helpers/relay.js';
import { startServerProcess } from '../helpers/server-process.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import { FakeTelegramApi, type ChatUser } from '../fakes/telegram-api.js';

const TOKEN = '330401765:CCHdqTcvCH1vGWJxfSeofSAs0K5PALDtko';
const alice: ChatUser = { id: 1001, first_name: 'Alice', username: 'alice' };
const GROUP = -1_004_242;

describe('bot takeover between two instances on PostgreSQL', () => {
  let database: TestDatabase;
  let ctx: TestContext;
  let upstream: FakeOpenAI;
  let telegram: FakeTelegramApi;
  let first: ChildProcess | undefined;
  let second: RelayStation | undefined;

  afterAll(async () => {
    first?.kill('SIGKILL');
    await second?.close();
    await telegram?.close();
    await upstream?.close();
    await ctx?.cleanup();
    await database?.drop();
  });

  it('the other instance answers within 15 s of the bot-running one being killed, with the conversation intact', { timeout: 120_000 }, async () => {
    database = await createTestDatabase('postgresql');
    ctx = await createTestContext('postgresql', {}, database);
    upstream = await startFakeOpenAI();
    upstream.setScript((req) => ({ kind: 'stream', chunks: [`Answer ${(req.body?.messages as unknown[]).length}`], usage: { prompt: 10, completion: 2 } }));
    telegram = await FakeTelegramApi.start(TOKEN);
    await addChannel({ ctx } as unknown as TestApp, { baseUrl: upstream.url, models: ['gpt-4o-mini'] });
    const user = await ctx.db.prisma.user.create({ data: { username: 'alice', quota: 5_000_000n } });
    await ctx.db.prisma.platformLink.create({ data: { platform: 'telegram', platformUserId: String(alice.id), userId: user.id } });
    const env = { DATABASE_URL: database.url, TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: telegram.url };

    /** A user writes; resolves with the bot's answer once its streamed text is final. */
    const ask = async (text: string, chatId = alice.id, timeoutMs = 15_000): Promise<string> => {
      const before = telegram.chat(chatId).length;
      telegram.sendText(alice, text, chatId);
      const message = await telegram.waitFor(() => {
        const answer = telegram.chat(chatId)[before];
        return answer && answer.text !== '…' ? answer : undefined;
      }, timeoutMs, `an answer to "${text}"`);
      return message.text;
    };

    // Instance A, a real process, takes the bot (the lock is free) and polls Telegram.
    const a = await startServerProcess(env);
    first = a.child;
    await telegram.waitFor(() => telegram.callsOf('getUpdates').length > 0, 30_000, 'instance A polling');
    // Instance B, in this process, carries the same variables and waits.
    second = await startRelayStation(
      loadConfig({ ...env, RELAY_ADMIN_KEY: TEST_ADMIN_KEY, RELAY_SECRET_KEY: TEST_SECRET_KEY, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }),
      pino({ level: 'silent' }),
    );
    expect(second.bots.platforms).toEqual(['telegram']);
    expect(await ask('hi')).toBe('Answer 1');
    expect(await ask('/chat', GROUP)).toMatch(/^Chat mode on/);
    expect(second.bots.leadership?.held.size).toBe(0);
    expect(telegram.callsOf('setMyCommands')).toHaveLength(2); // only A connected (its menu in English and Chinese)

    first.kill('SIGKILL');
    await new Promise((resolve) => first!.once('exit', resolve));
    const killedAt = Date.now();

    // B takes over: the same conversation continues (the history came from the database) ...
    expect(await ask('and again')).toBe('Answer 3');
    const tookOverIn = Date.now() - killedAt;
    expect(tookOverIn).toBeLessThan(15_000);
    expect(second.bots.leadership?.held.size).toBe(1);
    expect(upstream.requests.at(-1)!.body!.messages).toEqual([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'Answer 1' },
      { role: 'user', content: 'and again' },
    ]);
    // ... and so does group chat mode: a plain group message still goes to the model.
    expect(await ask('still listening?', GROUP)).toBe('Answer 1');
    expect(telegram.callsOf('setMyCommands')).toHaveLength(4);
    expect(telegram.refusals).toEqual([]);
  });
});
