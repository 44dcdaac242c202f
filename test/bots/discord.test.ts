// The Discord adapter end to end: the real discord.js client against a local fake of Discord's REST API and gateway,
// with the bot core on the in-memory backend.
import { Client, Events, MessageFlags, REST, type ChatInputCommandInteraction } from 'discord.js';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBackend } from './memory-backend.js';
import { TransportRegistry, type ChatTransport, type SentMessage } from '../../bots/core/index.js';
import { ChannelTransport } from '../../bots/discord/channel-transport.js';
import { startDiscordBot, type RunningBot } from '../../bots/discord/index.js';
import { InteractionTransport } from '../../bots/discord/interaction-transport.js';
import { en } from '../../bots/core/i18n/en.js';
import { FakeDiscord, type FakeMessage } from '../fakes/discord-api.js';
import { runCoreSuite, TINY_PNG } from './core-suite.js';
import { createFakeTransport, memoryLog, type RecordingTransport } from './fake-transport.js';

const SENT_PRIVATELY = en.sentPrivately;

const APP_ID = '700000000000000001';
const GUILD = '800000000000000001';
const EPHEMERAL = 64;

let fake: FakeDiscord;
let backend: MemoryBackend;
let bot: RunningBot | undefined;
let aliceId: number;
const log = memoryLog();


async function startBot(options: Parameters<typeof startDiscordBot>[3] = {}, guildId?: string): Promise<RunningBot> {
  bot = startDiscordBot(
    { log },
    backend,
    { token: 'discord-test-token', applicationId: APP_ID, apiRoot: fake.apiRoot, guildId },
    { minEditIntervalMs: 0, retryDelayMs: 10, imagePolicy: () => true, ...options },
  );
  await bot.ready;
  return bot;
}

/** The interaction's deferred reply and its follow-ups, once `count` of them exist and the last is final. */
async function answersTo(token: string, count: number): Promise<FakeMessage[]> {
  return fake.waitFor(() => {
    const found = fake.messagesFor(token);
    return found.length === count && found.every((m) => m.content !== '' && m.content !== '…') ? found : undefined;
  }, 5_000, `${count} answers to ${token}`);
}

function callbackOf(interactionId: string) {
  const call = fake.calls.find((c) => c.method === 'POST' && c.path.startsWith(`/interactions/${interactionId}/`));
  return call?.body as { type: number; data?: { flags?: number } } | undefined;
}

beforeEach(async () => {
  fake = new FakeDiscord({ applicationId: APP_ID });
  await fake.start();
  backend = new MemoryBackend();
  aliceId = backend.addUser({ username: 'alice', quota: 1_250_000 });
  backend.link('discord', fake.defaultUser.id, aliceId);
  log.entries.length = 0;
});

afterEach(async () => {
  await bot?.stop();
  bot = undefined;
  await fake.close();
});

describe('Discord bot', () => {
  it('registers the core commands as global slash commands, without admin commands or /start', async () => {
    await startBot();
    const put = fake.callsTo('PUT', /^\/applications\/\d+\/commands$/);
    expect(put).toHaveLength(1);
    expect(put[0]!.authorization).toBe('Bot discord-test-token');
    const names = (fake.registeredCommands.get('global') ?? []).map((c) => c['name']);
    expect(names).toContain('balance');
    expect(names).toContain('chat');
    expect(names).toContain('token');
    expect(names).not.toContain('start');
    expect(names).not.toContain('channel');
    const commands = fake.registeredCommands.get('global')!;
    const token = commands.find((c) => c['name'] === 'token')!;
    expect(token['description_localizations']).toEqual({ 'zh-CN': '创建或删除 API 令牌', 'zh-TW': '创建或删除 API 令牌' });
    const [create, del] = token['options'] as Array<Record<string, unknown>>;
    expect(create).toMatchObject({ type: 1, name: 'new' });
    expect((create!['options'] as Array<Record<string, unknown>>).map((o) => [o['name'], o['type'], o['required'], o['autocomplete']])).toEqual([
      ['name', 3, true, false],
      ['quota', 3, false, false],
      ['expiry', 3, false, false],
      ['models', 3, false, true],
    ]);
    expect(del).toMatchObject({ type: 1, name: 'del', options: [{ name: 'id', type: 4, required: true, autocomplete: true, min_value: 1 }] });
    expect(token['contexts']).toEqual([0, 1]);
    // Fixed choices with their labels in both languages; an image attachment on /chat.
    const lang = commands.find((c) => c['name'] === 'lang')!;
    expect((lang['options'] as Array<Record<string, unknown>>)[0]!['choices']).toContainEqual({
      name: 'Follow my app',
      name_localizations: { 'zh-CN': '跟随应用语言', 'zh-TW': '跟随应用语言' },
      value: 'auto',
    });
    const chat = commands.find((c) => c['name'] === 'chat')!;
    expect((chat['options'] as Array<Record<string, unknown>>).map((o) => [o['name'], o['type']])).toEqual([
      ['text', 3],
      ['image', 11],
    ]);
    for (const c of commands) expect(String(c['description']).length).toBeLessThanOrEqual(100);
  });

  it('registers per guild when a guild id is configured', async () => {
    await startBot({}, GUILD);
    expect(fake.callsTo('PUT', new RegExp(`^/applications/${APP_ID}/guilds/${GUILD}/commands$`))).toHaveLength(1);
    expect(fake.callsTo('PUT', /^\/applications\/\d+\/commands$/)).toHaveLength(0);
  });

  it('answers /balance: deferred (type 5, ephemeral) within the interaction, then @original filled', async () => {
    await startBot();
    const { id, token } = fake.slashCommand({ name: 'balance', guildId: GUILD });
    const [answer] = await answersTo(token, 1);
    expect(callbackOf(id)).toEqual({ type: 5, data: { flags: EPHEMERAL } });
    expect(answer!.kind).toBe('original');
    expect(answer!.content).toContain('Balance: 1,250,000 units ($2.50)');
    const patch = fake.callsTo('PATCH', new RegExp(`^/webhooks/${APP_ID}/${token}/messages/%40original$`));
    expect(patch).toHaveLength(1);
    expect((patch[0]!.body as { allowed_mentions: unknown }).allowed_mentions).toEqual({ parse: [] });
  });

  it('shows a new token only in the DM, ephemerally; in a server it refuses before creating one', async () => {
    await startBot();
    const inGuild = fake.slashCommand({ name: 'token', guildId: GUILD, options: [{ name: 'new', type: 1, options: [{ name: 'name', type: 3, value: 'ci-key' }] }] });
    const [refusal] = await answersTo(inGuild.token, 1);
    expect(refusal!.content).toMatch(/only show new keys in a private chat/);
    expect(backend.tokens.size).toBe(0);

    const inDm = fake.slashCommand({
      name: 'token',
      options: [{ name: 'new', type: 1, options: [{ name: 'name', type: 3, value: 'ci-key' }, { name: 'quota', type: 3, value: '$5' }] }],
    });
    const [shown] = await answersTo(inDm.token, 1);
    expect(callbackOf(inDm.id)).toEqual({ type: 5, data: { flags: EPHEMERAL } });
    const [created] = [...backend.tokens.values()];
    expect(created!.name).toBe('ci-key');
    expect(created!.remainQuota).toBe(2_500_000);
    expect(shown!.content).toMatch(/sk-memory\d{4}x{39}/);
  });

  it('a public interaction sends a key as an ephemeral follow-up, never in @original', async () => {
    await startBot();
    // /chat is deferred publicly; the first reply of that interaction being sensitive must not land in @original.
    const { InteractionTransport } = await import('../../bots/discord/interaction-transport.js');
    const calls: Array<{ method: string; options: Record<string, unknown> }> = [];
    const interaction = {
      deferred: true,
      editReply: async (options: Record<string, unknown>) => (calls.push({ method: 'editReply', options }), { id: '1' }),
      followUp: async (options: Record<string, unknown>) => (calls.push({ method: 'followUp', options }), { id: '2' }),
      deleteReply: async () => undefined,
    };
    const transport = new InteractionTransport(interaction as never, { ephemeral: false, updatesMessage: false, minEditIntervalMs: 0 });
    const sent = await transport.send('c', { text: 'sk-secret', sensitive: true });
    expect(sent).toEqual({ chatId: 'c', messageId: '2' });
    expect(calls).toEqual([
      { method: 'editReply', options: { content: SENT_PRIVATELY, components: [], allowedMentions: { parse: [] } } },
      { method: 'followUp', options: { content: 'sk-secret', components: [], allowedMentions: { parse: [] }, flags: EPHEMERAL } },
    ]);
  });

  it('asks for confirmation with buttons and acts on the pressed button (type 6, original message updated)', async () => {
    const tokenId = (await backend.createToken(aliceId, { name: 'old', quota: null, expiresAt: null, models: [] })).id;
    await startBot();
    const ask = fake.slashCommand({ name: 'token', options: [{ name: 'del', type: 1, options: [{ name: 'id', type: 4, value: tokenId }] }] });
    const [question] = await answersTo(ask.token, 1);
    expect(question!.content).toMatch(/^Delete token #\d+ "old"/);
    const buttons = (question!.components as Array<{ components: Array<Record<string, unknown>> }>)[0]!.components;
    expect(buttons.map((b) => [b['style'], b['label'], String(b['custom_id']).replace(/^\w+\|/, '')])).toEqual([
      [1, 'Delete', `/token del ${tokenId} confirm`],
      [2, 'Cancel', '/token cancel'],
    ]);
    expect(backend.tokens.has(tokenId)).toBe(true);

    // Someone else pressing it is told privately and changes nothing.
    const intruder = fake.buttonPress({ customId: String(buttons[0]!['custom_id']), user: { id: '400000000000000077', username: 'mallory' } });
    await fake.waitFor(() => callbackOf(intruder.id));
    expect(callbackOf(intruder.id)).toMatchObject({ type: 4, data: { content: en.buttons.notYours, flags: EPHEMERAL } });
    expect(backend.tokens.has(tokenId)).toBe(true);

    const press = fake.buttonPress({ customId: String(buttons[0]!['custom_id']) });
    const [result] = await answersTo(press.token, 1);
    expect(callbackOf(press.id)).toEqual({ type: 6 });
    expect(result!.content).toBe(`Token #${tokenId} deleted. Apps using its key stop working now.`);
    expect(result!.components).toEqual([]);
    expect(backend.tokens.has(tokenId)).toBe(false);
  });

  it('streams a 5,000-character /chat answer into @original plus two follow-ups, billed once', async () => {
    const answer = Array.from({ length: 50 }, (_, i) => String.fromCharCode(97 + (i % 26)).repeat(100)).join('');
    backend.answer(() => ({ deltas: answer.match(/.{1,250}/g)!, delayMs: 2 }));
    await startBot();
    const { id, token } = fake.slashCommand({ name: 'chat', guildId: GUILD, options: [{ name: 'text', type: 3, value: 'tell me a long story' }] });
    const parts = await fake.waitFor(() => {
      const found = fake.messagesFor(token);
      return found.map((m) => m.content).join('') === answer ? found : undefined;
    }, 10_000, 'the whole answer');

    expect(callbackOf(id)).toEqual({ type: 5, data: { flags: 0 } });
    expect(parts.map((m) => [m.kind, m.content.length, m.flags])).toEqual([
      ['original', 2000, 0],
      ['followup', 2000, 0],
      ['followup', 1000, 0],
    ]);
    // The reply grew in place: the placeholder, then edits of the same message.
    expect(parts[0]!.edits).toBeGreaterThanOrEqual(2);
    expect(backend.chatCalls).toHaveLength(1);
    expect(backend.chatCalls[0]!.source).toBe('discord');
    expect(backend.logs.filter((l) => l.type === 'consume')).toHaveLength(1);
  });

  it('chats in a DM: the answer is sent to the DM channel and edited as it streams', async () => {
    backend.answer(() => ({ deltas: ['Hello', ', ', 'Alice!'], delayMs: 5 }));
    await startBot();
    fake.directMessage('hi there');
    const channel = fake.dmChannelFor(fake.defaultUser.id);
    const [reply] = await fake.waitFor(() => {
      const found = fake.messagesIn(channel);
      return found[0]?.content === 'Hello, Alice!' ? found : undefined;
    }, 5_000, 'the DM answer');
    expect(fake.messagesIn(channel)).toHaveLength(1);
    expect(reply!.edits).toBeGreaterThanOrEqual(1);
    expect(backend.chatCalls.map((c) => c.messages.at(-1)?.content)).toEqual(['hi there']);
  });

  it('reaches users privately through the registry (admin alerts, low-balance warnings)', async () => {
    const registry = new TransportRegistry();
    await startBot({ registry });
    const delivered = await registry.sendToUser({ platform: 'discord', platformUserId: '400000000000000009' }, { text: 'Channel #3 was disabled' }, log);
    expect(delivered).toBe(true);
    const dm = fake.dmChannelFor('400000000000000009');
    expect(fake.callsTo('POST', /^\/users\/@me\/channels$/).map((c) => c.body)).toEqual([{ recipient_id: '400000000000000009' }]);
    expect(fake.messagesIn(dm).map((m) => m.content)).toEqual(['Channel #3 was disabled']);
    await bot!.stop();
    expect(registry.get('discord')).toBeUndefined();
  });

  it('answers in the language of the user\'s Discord client', async () => {
    await startBot();
    const { token } = fake.slashCommand({ name: 'balance', locale: 'zh-CN' });
    const [answer] = await answersTo(token, 1);
    expect(answer!.content).toBe('账户：alice（分组 default）\n余额：1,250,000 额度（$2.50）\n已用：0 额度（$0.00），共 0 次请求\n\n需要充值？发送 /recharge。');
  });

  it('suggests groups, models and the user\'s keys as they type', async () => {
    backend.addGroup({ name: 'vip', ratio: '0.5', description: '', userSelectable: true, models: ['gpt-4o-mini'] });
    const key = await backend.createToken(aliceId, { name: 'laptop', quota: null, expiresAt: null, models: [] });
    await startBot();
    const groups = fake.autocomplete({ name: 'group', options: [{ name: 'name', type: 3, value: 'vi', focused: true }] });
    await fake.waitFor(() => callbackOf(groups.id));
    expect(callbackOf(groups.id)).toEqual({ type: 8, data: { choices: [{ name: 'vip (×0.5)', value: 'vip' }] } });
    const tokens = fake.autocomplete({ name: 'token', options: [{ name: 'del', type: 1, options: [{ name: 'id', type: 4, value: '', focused: true }] }] });
    await fake.waitFor(() => callbackOf(tokens.id));
    expect(callbackOf(tokens.id)).toEqual({ type: 8, data: { choices: [{ name: `#${key.id} laptop (${key.keyPrefix})`, value: key.id }] } });
    // Someone who is not linked gets no suggestions (and learns nothing).
    const stranger = fake.autocomplete({ name: 'group', options: [{ name: 'name', type: 3, value: '', focused: true }], user: { id: '400000000000000055', username: 'eve' } });
    await fake.waitFor(() => callbackOf(stranger.id));
    expect(callbackOf(stranger.id)).toEqual({ type: 8, data: { choices: [] } });
  });

  it('chats in a server channel when @-mentioned, without the MessageContent intent, replying to the question', async () => {
    backend.answer(() => ({ deltas: ['Four.'] }));
    const CHANNEL = '610000000000000001';
    await fake.close();
    fake = new FakeDiscord({ applicationId: APP_ID, guilds: [{ id: GUILD, channels: [CHANNEL] }] });
    await fake.start();
    await startBot();
    const intents = (fake.identifies[0] as { intents: number }).intents;
    expect(intents & (1 << 15)).toBe(0); // no MessageContent
    expect(intents & (1 << 9)).toBe(1 << 9); // GuildMessages
    const question = fake.guildMessage('what is 2+2?', { guildId: GUILD, channelId: CHANNEL, mentionBot: true });
    const [answer] = await fake.waitFor(() => {
      const found = fake.messagesIn(CHANNEL);
      return found[0]?.content === 'Four.' ? found : undefined;
    }, 5_000, 'the channel answer');
    expect(answer!.replyTo).toBe(question);
    expect(backend.chatCalls.at(-1)!.messages.at(-1)).toEqual({ role: 'user', content: 'what is 2+2?' });
    // Without a mention the bot stays out of the conversation.
    fake.guildMessage('just talking', { guildId: GUILD, channelId: CHANNEL });
    fake.directMessage('/help');
    await fake.waitFor(() => fake.messagesIn(fake.dmChannelFor(fake.defaultUser.id)).length > 0);
    expect(fake.messagesIn(CHANNEL)).toHaveLength(1);
  });

  it('sends an image attached to /chat to the vision model', async () => {
    backend.options.botVisionModel = 'gpt-4o';
    backend.groups.get('default')!.models.push('gpt-4o');
    backend.answer(() => ({ deltas: ['A tiny image.'] }));
    await startBot();
    const { token } = fake.slashCommand({
      name: 'chat',
      options: [{ name: 'text', type: 3, value: 'what is this?' }, { name: 'image', type: 11, value: '900000000000000001' }],
      attachments: [{ id: '900000000000000001', filename: 'tiny.png', contentType: 'image/png', bytes: TINY_PNG }],
    });
    await answersTo(token, 1);
    expect(backend.chatCalls.at(-1)!.model).toBe('gpt-4o');
    expect(backend.chatCalls.at(-1)!.messages.at(-1)!.content).toEqual([
      { type: 'text', text: 'what is this?' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${TINY_PNG.toString('base64')}` } },
    ]);
  });

  it('keeps retrying when Discord cannot be reached, then connects', async () => {
    await fake.close();
    fake = new FakeDiscord({ applicationId: APP_ID, failGatewayDiscovery: 5 });
    await fake.start();
    await startBot();
    expect(fake.callsTo('GET', /^\/gateway\/bot$/).length).toBeGreaterThan(5);
    expect(log.entries.some((e) => e.level === 'warn' && e.msg === 'Discord connection failed; retrying')).toBe(true);
    expect(fake.identifies).toHaveLength(1);
    expect(JSON.stringify(log.entries)).not.toContain('discord-test-token');
  });

  it('stops cleanly while still trying to connect', async () => {
    await fake.close();
    fake = new FakeDiscord({ applicationId: APP_ID, failGatewayDiscovery: 1_000 });
    await fake.start();
    bot = startDiscordBot({ log }, backend, { token: 't', applicationId: APP_ID, apiRoot: fake.apiRoot, guildId: undefined }, { retryDelayMs: 60_000 });
    await fake.waitFor(() => fake.calls.length > 0, 5_000, 'a first attempt');
    await bot.stop();
    await bot.ready;
    bot = undefined;
    expect(fake.identifies).toHaveLength(0);
  });
});

/* ----------------------------------------------------------------------------------------------------------------
 * The core's shared suite, run over each Discord transport: every message goes through discord.js to the fake, and
 * the suite's recorder keeps the core's view. After each test the fake must show exactly what the recorder saw.
 * -------------------------------------------------------------------------------------------------------------- */

const suiteFake = new FakeDiscord({ applicationId: APP_ID });
await suiteFake.start();
const suiteRest = new REST({ api: suiteFake.apiRoot }).setToken('suite-token');
const suiteClient = new Client({ intents: [], rest: { api: suiteFake.apiRoot } });
await suiteClient.login('suite-token');
afterAll(async () => {
  await suiteClient.destroy();
  await suiteFake.close();
});

/** The suite's recorder in front of a real transport: the core sees the recorder, the platform gets every call. */
function mirrored(real: () => Promise<ChatTransport>, recorder: RecordingTransport): RecordingTransport {
  let transport: Promise<ChatTransport> | undefined;
  const platformIds = new Map<string, SentMessage>();
  const key = (m: SentMessage): string => `${m.chatId}/${m.messageId}`;
  const target = (): Promise<ChatTransport> => (transport ??= real());
  return {
    ...recorder,
    async send(chatId, reply) {
      const recorded = await recorder.send(chatId, reply);
      platformIds.set(key(recorded), await (await target()).send(chatId, reply));
      return recorded;
    },
    async edit(message, text, buttons) {
      await recorder.edit(message, text, buttons);
      await (await target()).edit(platformIds.get(key(message))!, text, buttons);
    },
    async sendToUser(userId, reply) {
      const recorded = await recorder.sendToUser!(userId, reply);
      await (await target()).sendToUser!(userId, reply);
      return recorded;
    },
  };
}

const discordLimits = { platform: 'discord', maxMessageLength: 2000, canEdit: true, minEditIntervalMs: 5 } as const;
let suiteRecorder: RecordingTransport | undefined;
let suiteMessagesBefore = 0;

function expectFakeToMatchRecorder(): void {
  if (!suiteRecorder) return;
  const onPlatform = [...suiteFake.messages.values()].slice(suiteMessagesBefore).map((m) => m.content);
  expect(onPlatform).toEqual(suiteRecorder.messages.map((m) => m.text));
}

describe('core suite over the DM channel transport', () => {
  beforeEach(() => {
    suiteMessagesBefore = suiteFake.messages.size;
  });
  afterEach(expectFakeToMatchRecorder);
  runCoreSuite(() => {
    suiteRecorder = createFakeTransport(discordLimits);
    return mirrored(async () => new ChannelTransport(suiteRest, discordLimits.minEditIntervalMs), suiteRecorder);
  });
});

/** A real slash-command interaction, received by discord.js from the fake and deferred (ephemerally) like the bot does. */
async function deferredInteraction(): Promise<ChatInputCommandInteraction> {
  const received = new Promise<ChatInputCommandInteraction>((resolve) => {
    suiteClient.once(Events.InteractionCreate, (interaction) => {
      if (interaction.isChatInputCommand()) resolve(interaction);
    });
  });
  suiteFake.slashCommand({ name: 'balance' });
  const interaction = await received;
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  return interaction;
}

describe('core suite over the interaction transport', () => {
  beforeEach(() => {
    suiteMessagesBefore = suiteFake.messages.size;
  });
  afterEach(expectFakeToMatchRecorder);
  runCoreSuite(() => {
    suiteRecorder = createFakeTransport(discordLimits);
    const dms = new ChannelTransport(suiteRest, discordLimits.minEditIntervalMs);
    return mirrored(
      async () =>
        new InteractionTransport(await deferredInteraction(), {
          ephemeral: true,
          updatesMessage: false,
          minEditIntervalMs: discordLimits.minEditIntervalMs,
          sendToUser: (userId, reply) => dms.sendToUser(userId, reply),
        }),
      suiteRecorder,
    );
  });
});
