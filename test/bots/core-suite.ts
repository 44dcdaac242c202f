// The platform-neutral command tests, as a suite any platform runs with its own transport limits, in either world: the
// in-memory double or the real relay backend (worlds.ts), with one set of expectations, so the double cannot drift
// from the rules it stands in for:
//   runCoreSuite(() => createFakeTransport({ platform: 'discord', maxMessageLength: 2000, canEdit: true, ... }))
//   runCoreSuite(() => createFakeTransport({ platform: 'telegram', … }), relayWorlds('postgresql'))   // relay-world.ts
// It drives the core with IncomingMessages and reads the chat as the user sees it.
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createBotCore, type BotCore } from '../../bots/core/core.js';
import type { BotBackend } from '../../bots/core/backend.js';
import { memoryWorlds, type BotWorld, type WorldFactory } from './worlds.js';
import { createNotifier, TransportRegistry } from '../../bots/core/notifications.js';
import type { BotLogger } from '../../bots/core/errors.js';
import { decodePress } from '../../bots/core/buttons.js';
import { en } from '../../bots/core/i18n/en.js';
import type { ImageSource, IncomingMessage } from '../../bots/core/types.js';
import { untagged, type RecordedMessage, type RecordingTransport } from './fake-transport.js';

const NOT_LINKED = en.notLinked;
const ADMIN_ONLY = en.adminOnly;

/** A 2×1 PNG: a real image, so the relay prices it by the vision rule from its header. */
export const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAYAAAD0In+KAAAAEUlEQVR4nGP4z8DwHwQZGBgAJfsE/M0ZdBAAAAAASUVORK5CYII=',
  'base64',
);

export interface From {
  user?: string;
  chat?: string;
  name?: string;
  /** The app's language (default "en": the suite reads English unless a test says otherwise). */
  locale?: string | null;
  addressed?: boolean;
  images?: ImageSource[];
  pressed?: { messageId: string };
}

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string | undefined;
}

export function createMemoryLogger(): BotLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (obj: object, msg?: string) => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

/** Alice is a linked user (private chat "100"), Root a linked admin ("900"); group chat "-500". */
export const ALICE = '100';
export const ROOT = '900';
export const GROUP = '-500';

export function runCoreSuite(makeTransport: () => RecordingTransport, worlds: WorldFactory = memoryWorlds()): void {
  const platform = makeTransport().platform;

  describe(`bot core on ${platform} over ${worlds.name}`, () => {
    let world: BotWorld;
    let backend: BotBackend;
    let transport: RecordingTransport;
    let core: BotCore;
    let log: ReturnType<typeof createMemoryLogger>;
    let aliceId: number;
    let rootId: number;

    /** Sends a message as a user and returns the messages the bot sent in answer (their final text). */
    async function say(text: string, from: From = {}): Promise<RecordedMessage[]> {
      const user = from.user ?? ALICE;
      const chatId = from.chat ?? user;
      const before = transport.messages.length;
      const message: IncomingMessage = {
        platform,
        userId: user,
        chatId,
        isPrivate: chatId === user,
        text,
        displayName: from.name,
        messageId: `m${++incoming}`,
        ...(from.locale === null ? {} : { locale: from.locale ?? 'en' }),
        ...(from.addressed ? { addressed: true } : {}),
        ...(from.images ? { images: from.images } : {}),
        ...(from.pressed ? { pressed: from.pressed } : {}),
      };
      await core.handle(message, transport);
      return transport.messages.slice(before);
    }
    let incoming = 0;
    /** Without the numbered choices a platform without buttons adds. */
    const main = (m: RecordedMessage): string => m.text.replace(/\n\n(?:\d+\. .*\n)+(?:Reply with a number to choose\.|回复数字即可选择。)$/, '');
    const texts = (messages: RecordedMessage[]): string[] => messages.map(main);
    const one = async (text: string, from?: From): Promise<string> => {
      const answers = await say(text, from);
      expect(answers).toHaveLength(1);
      return main(answers[0]!);
    };
    /** The choices under a message as the user sees them: its buttons, or the numbered lines. */
    const choicesOf = (m: RecordedMessage): string[] =>
      transport.buttons === 'native' ? (m.buttons ?? []).flat().map((b) => b.label) : [...m.text.matchAll(/^\d+\. (.*)$/gm)].map((x) => x[1]!);
    /**
     * Picks a choice under `m` as the user would: presses the button (its answer replaces `m` where the platform can
     * edit), or answers with its number. Returns the message that shows the answer.
     */
    async function choose(m: RecordedMessage, label: string, from: From = {}): Promise<RecordedMessage> {
      const index = choicesOf(m).indexOf(label);
      expect(index, `choice "${label}" under: ${m.text}`).toBeGreaterThanOrEqual(0);
      if (transport.buttons === 'numbered') return (await say(String(index + 1), from))[0]!;
      const press = decodePress(m.buttons!.flat()[index]!.data, from.user ?? ALICE);
      expect(press.ok).toBe(true);
      const sent = await say(press.ok ? press.command : '', { ...from, pressed: { messageId: m.messageId } });
      return transport.canEdit ? m : sent[0]!;
    }

    const keyOf = (chat = ALICE) => ({ platform, chatId: chat, userId: aliceId });

    beforeEach(async () => {
      world = await worlds.open();
      backend = world.backend;
      transport = makeTransport();
      log = createMemoryLogger();
      core = createBotCore({ backend, log });
      aliceId = await world.addUser({ username: 'alice', quota: 1_250_000 });
      rootId = await world.addUser({ username: 'root', role: 'root', quota: 0 });
      await world.link(platform, ALICE, aliceId);
      await world.link(platform, ROOT, rootId);
    });
    afterAll(() => worlds.close());

    describe('linking', () => {
      it('links with a one-time code in a private chat only', async () => {
        const bob = await world.addUser({ username: 'bob', quota: 0 });
        const code = await world.issueLinkCode(bob);
        expect(await one(`/link ${code}`, { user: '200', chat: GROUP })).toMatch(/only link accounts in a private chat/);
        expect(await one('/link WRONGCODE', { user: '200' })).toBe('That link code is unknown or expired; create a new one in the web console.');
        expect(await one(`/link ${code}`, { user: '200' })).toMatch(/^Linked to bob\./);
        expect(await one(`/link ${code}`, { user: '200' })).toBe('This chat account is already linked to bob.');
        expect(await backend.resolveLink(platform, '200')).toEqual({ id: bob, username: 'bob', role: 'user' });
      });

      it('takes the code from /start too (Telegram deep links)', async () => {
        const bob = await world.addUser({ username: 'bob' });
        expect(await one(`/start ${await world.issueLinkCode(bob)}`, { user: '201' })).toMatch(/^Linked to bob\./);
      });

      it('tells an unlinked user how to link, and offers /register only when it is open', async () => {
        expect(await one('/balance', { user: '300' })).toBe(NOT_LINKED);
        expect(await one('hello', { user: '300' })).toBe(NOT_LINKED);
        expect(await one('/register', { user: '300' })).toMatch(/^Registration from the chat is turned off/);
        await world.setOptions({ botRegistration: true, botNewUserQuota: 1000 });
        expect(await one('hello', { user: '300' })).toContain('/register');
        expect(await one('/register', { user: '300', name: 'Carol K' })).toMatch(/^Welcome! Your account "CarolK" is ready/);
        expect(await one('/balance', { user: '300' })).toContain('Balance: 1,000 units ($0.002)');
      });
    });

    describe('account', () => {
      it('shows the balance in units and USD with a recharge hint, and buttons to go on', async () => {
        const [answer] = await say('/balance');
        expect(main(answer!)).toBe(
          'Account: alice (group default)\nBalance: 1,250,000 units ($2.50)\nUsed: 0 units ($0.00) over 0 requests\n\nNeed more? See /recharge.',
        );
        expect(choicesOf(answer!)).toEqual(['📊 Usage', '🔑 Keys', '💳 Top up']);
        const usage = await choose(answer!, '📊 Usage');
        expect(main(usage)).toMatch(/^Your usage \(UTC days\):\nToday: 0 requests/);
      });

      it('accepts /cmd@botname for this bot and ignores commands for other bots', async () => {
        const answers = await say(`/balance@${transport.botUsername ?? 'anybot'}`, { chat: GROUP });
        expect(answers).toHaveLength(1);
        if (transport.botUsername) expect(await say('/balance@someone_else_bot', { chat: GROUP })).toHaveLength(0);
      });

      it('explains recharging with the configured link and rate', async () => {
        expect(await one('/recharge')).toBe(
          'Ask an administrator for a redemption code, then send /redeem <code>.\n1 USD of quota (500,000 units) costs 7 CNY.',
        );
        await world.setOptions({ topUpLink: 'https://shop.example/buy' });
        expect(await one('/recharge')).toMatch(/^Buy a redemption code at https:\/\/shop\.example\/buy, then send \/redeem <code>\./);
      });

      it('redeems a code once', async () => {
        const code = await world.addRedemption(500_000);
        expect(await one(`/redeem ${code}`)).toBe('Redeemed 500,000 units ($1.00). Your balance is now 1,750,000 units ($3.50).');
        expect(await one(`/redeem ${code}`)).toBe('This redemption code has already been used.');
        expect(await one('/redeem NOPE')).toBe('This redemption code does not exist.');
        expect((await backend.getAccount(aliceId)).quota).toBe(1_750_000);
      });

      it('lists recent logs, newest first, up to n', async () => {
        await say(`/redeem ${await world.addRedemption(1000)}`);
        await say(`/redeem ${await world.addRedemption(2000)}`);
        const all = await one('/logs');
        expect(all.split('\n')).toHaveLength(3);
        expect(all).toMatch(/^Your last 2 entries:\n.* · redeem · 2,000 units \(\$0\.004\)\n.* · redeem · 1,000 units/);
        expect((await one('/logs 1')).split('\n')).toHaveLength(2);
        expect(await one('/logs zero')).toBe('Usage: /logs [count from 1 to 20]');
      });
    });

    describe('tokens', () => {
      it('creates a key only in a private chat and shows it once', async () => {
        const refused = await one('/token new ci', { chat: GROUP });
        expect(refused).toMatch(/only show new keys in a private chat\. Message me directly \(DM the bot\)/);
        expect(await backend.listTokens(aliceId)).toEqual([]);

        const before = Date.now();
        const created = await say('/token new ci 5000000 30d gpt-4o-mini,gpt-4o');
        expect(created).toHaveLength(1);
        expect(created[0]!.sensitive).toBe(true);
        const [token] = await backend.listTokens(aliceId);
        expect(token).toMatchObject({ name: 'ci', remainQuota: 5_000_000, models: ['gpt-4o-mini', 'gpt-4o'] });
        const expires = Date.parse(token!.expiresAt!);
        expect(expires - before).toBeGreaterThanOrEqual(30 * 86_400_000);
        expect(expires - Date.now()).toBeLessThanOrEqual(30 * 86_400_000);
        const key = /\n\n(sk-\w+)\n\n/.exec(created[0]!.text)?.[1];
        expect(key?.startsWith(token!.keyPrefix.split('…')[0]!)).toBe(true);

        const list = await one('/tokens');
        expect(list).toContain(`#${token!.id} ci · ${token!.keyPrefix} · 5,000,000 units ($10.00) left`);
        expect(list).not.toContain(key!);
      });

      it('parses optional arguments by shape and rejects nonsense', async () => {
        await say('/token new open');
        const [t] = await backend.listTokens(aliceId);
        expect(t).toMatchObject({ name: 'open', remainQuota: null, expiresAt: null, models: [] });
        expect(await one('/token new x 5 6')).toBe('Two quota amounts given ("6").');
        expect(await one('/token new')).toMatch(/^Usage: \/token new <name>/);
        await say('/token new dollars $2');
        expect((await backend.listTokens(aliceId))[1]!.remainQuota).toBe(1_000_000);
      });

      it('deletes after a confirmation button, only the owner’s token', async () => {
        const { id } = await backend.createToken(aliceId, { name: 'old', quota: null, expiresAt: null, models: [] });
        const ask = await say(`/token del ${id}`);
        expect(ask).toHaveLength(1);
        expect(ask[0]!.text).toMatch(new RegExp(`^Delete token #${id} "old"`));
        if (transport.buttons === 'native') {
          expect(untagged(ask[0]!.buttons)).toEqual([[{ label: 'Delete', data: `/token del ${id} confirm` }, { label: 'Cancel', data: '/token cancel' }]]);
        } else {
          expect(ask[0]!.text).toMatch(/\n\n1\. Delete\n2\. Cancel\nReply with a number to choose\.$/);
        }
        expect(await backend.listTokens(aliceId)).toHaveLength(1);

        expect(await one(`/token del ${id} confirm`, { user: ROOT })).toBe(`Token ${id} not found.`);
        expect(await one('/token cancel')).toBe('Cancelled: nothing was deleted.');
        expect(await one(`/token del ${id} confirm`)).toBe(`Token #${id} deleted. Apps using its key stop working now.`);
        expect(await backend.listTokens(aliceId)).toEqual([]);
      });
    });

    describe('groups, models, prices', () => {
      beforeEach(async () => {
        await world.addGroup({ name: 'vip', ratio: '0.8', description: 'Faster', userSelectable: true, models: ['gpt-4o-mini', 'house-model'] });
        await world.addGroup({ name: 'staff', ratio: '0', description: '', userSelectable: false, models: ['gpt-4o'] });
      });

      it('lists selectable groups and switches, refusing admin-only groups', async () => {
        expect(await one('/groups')).toBe(
          'Your group: default\n\n▶ default · ratio 1 · Everyone starts here\n• vip · ratio 0.8 · Faster\n\nSwitch with /group <name>.',
        );
        expect(await one('/group vip')).toBe("You're now in group vip (price ratio 0.8).");
        expect(await one('/group staff')).toBe('Group "staff" cannot be chosen; ask an admin. See /groups for the groups you can switch to.');
        expect(await one('/group nowhere')).toBe('Group "nowhere" does not exist.');
        expect((await backend.getAccount(aliceId)).group).toBe('vip');
      });

      it('lists models and prices per 1M tokens after the group ratio', async () => {
        expect(await one('/models')).toBe('Models you can use (1):\n• gpt-4o-mini\n\nPrices: /price <model>');
        expect(await one('/price gpt-4o-mini')).toBe('gpt-4o-mini in group default (ratio 1):\nInput: $0.15 per 1M tokens\nOutput: $0.60 per 1M tokens');
        expect(await one('/price gpt-4o')).toBe('gpt-4o is not available in your group (default). See /models for the models you can use.');
        await say('/group vip');
        expect(await one('/price gpt-4o-mini')).toBe('gpt-4o-mini in group vip (ratio 0.8):\nInput: $0.12 per 1M tokens\nOutput: $0.48 per 1M tokens');
        // A model without a price is not offered, and asking for it says why.
        expect(await one('/models')).toBe('Models you can use (1):\n• gpt-4o-mini\n\nPrices: /price <model>');
        expect(await one('/price house-model')).toBe(
          'Model house-model has no price set; ask the administrator to set its ratio (options modelRatios) before it can be used. See /models for the models you can use.',
        );
      });
    });

    describe('chat', () => {
      it('streams an answer into the chat and keeps the history', async () => {
        world.answer(() => ({ deltas: ['Hel', 'lo ', 'there', '!'], delayMs: 2 }));
        const answers = await say('hi');
        expect(answers).toHaveLength(1);
        expect(answers[0]!.text).toBe('Hello there!');
        if (transport.canEdit) {
          const ops = transport.operations.filter((o) => o.messageId === answers[0]!.messageId);
          expect(ops[0]).toMatchObject({ kind: 'send', text: '…' });
          expect(ops.at(-1)).toMatchObject({ kind: 'edit', text: 'Hello there!' });
        }
        expect(world.chatCalls).toHaveLength(1);
        expect(world.chatCalls[0]).toMatchObject({ userId: aliceId, model: 'gpt-4o-mini', source: platform, purpose: 'chat' });

        await say('and again');
        expect(world.chatCalls[1]!.messages).toEqual([
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'Hello there!' },
          { role: 'user', content: 'and again' },
        ]);
      });

      it('trims the stored history to the admin setting', async () => {
        await world.setOptions({ botHistoryMessages: 2 });
        await say('one');
        await say('two');
        await say('three');
        expect(world.chatCalls[2]!.messages.map((m) => m.content)).toEqual(['two', 'Hello!', 'three']);
      });

      it('never edits with unchanged text and respects the edit interval', async () => {
        // The pieces arrive back to back (no timer between them, so a loaded machine cannot spread them past the throttle).
        world.answer(() => ({ deltas: ['a', '', 'b', 'c', 'c', 'd', 'e'], delayMs: 0 }));
        await say('go');
        const edits = transport.operations.filter((o) => o.kind === 'edit');
        if (transport.canEdit) {
          expect(edits.length).toBeGreaterThanOrEqual(1);
          // Six pieces arrive at once: with any throttle, some of them share an edit.
          if (transport.minEditIntervalMs >= 5) expect(edits.length).toBeLessThan(6);
        }
        for (let i = 1; i < edits.length; i++) {
          expect(edits[i]!.text).not.toBe(edits[i - 1]!.text);
          expect(edits[i]!.at - edits[i - 1]!.at).toBeGreaterThanOrEqual(transport.minEditIntervalMs - 2);
        }
        expect(transport.messages.at(-1)!.text).toBe('abccde');
      });

      it('splits a 10,000-character answer at the platform limit', async () => {
        const answer = 'x'.repeat(10_000);
        world.answer(() => ({ deltas: Array.from({ length: 20 }, () => 'x'.repeat(500)) }));
        const answers = await say('write a lot');
        expect(answers).toHaveLength(Math.ceil(10_000 / transport.maxMessageLength));
        expect(texts(answers).join('')).toBe(answer);
        for (const m of answers) expect(m.text.length).toBeLessThanOrEqual(transport.maxMessageLength);
      });

      it('is quiet in a group until /chat turns chat mode on for that user', async () => {
        expect(await say('just talking', { chat: GROUP })).toHaveLength(0);
        expect(await one('/chat', { chat: GROUP })).toBe('Chat mode on: your messages here now go to gpt-4o-mini. Stop with /chat off.');
        expect(texts(await say('question', { chat: GROUP }))).toEqual(['Hello!']);
        expect(await say('someone else', { user: ROOT, chat: GROUP })).toHaveLength(0);
        expect(await one('/chat off', { chat: GROUP })).toBe('Chat mode off: I only answer commands here now.');
        expect(await say('quiet again', { chat: GROUP })).toHaveLength(0);
        expect(texts(await say('/chat one-off question', { chat: GROUP }))).toEqual(['Hello!']);
        expect(world.chatCalls.at(-1)!.messages.at(-1)).toEqual({ role: 'user', content: 'one-off question' });
      });

      it('starts new conversations and switches models', async () => {
        await world.addModel('default', 'gpt-4o');
        await say('first');
        expect(await one('/new')).toBe('New conversation started with gpt-4o-mini.');
        await say('second');
        expect(world.chatCalls[1]!.messages).toEqual([{ role: 'user', content: 'second' }]);
        expect(await one('/model claude-9')).toBe("claude-9 isn't available in your group. See /models.");
        expect(await one('/model gpt-4o')).toBe('Chat model set to gpt-4o.');
        await say('third');
        expect(world.chatCalls[2]!.model).toBe('gpt-4o');
        expect(await one('/model default')).toBe('Chat model set to gpt-4o-mini.');
      });

      it('titles a new conversation with the cheap model when on, and not when off', async () => {
        await world.setOptions({ botTitleModel: 'gpt-4o-mini' });
        world.answer((input) => ({ deltas: input.purpose === 'title' ? ['"Greeting chat"'] : ['Hi!'] }));
        expect(await one('/title on')).toMatch(/^Automatic titles on/);
        await say('hello');
        expect(world.chatCalls.map((c) => c.purpose)).toEqual(['chat', 'title']);
        expect(world.chatCalls[1]).toMatchObject({ model: 'gpt-4o-mini', maxTokens: 30 });
        expect((await backend.activeConversation(keyOf(), 'gpt-4o-mini')).title).toBe('Greeting chat');
        // The title is billed as an entry of its own.
        expect((await backend.recentLogs(aliceId, 20)).filter((l) => l.type === 'consume')).toHaveLength(2);
        await say('more');
        expect(world.chatCalls.map((c) => c.purpose)).toEqual(['chat', 'title', 'chat']);

        expect(await one('/title off')).toBe('Automatic titles off.');
        await say('/new');
        await say('hello again');
        expect(world.chatCalls.map((c) => c.purpose)).toEqual(['chat', 'title', 'chat', 'chat']);
      });

      it('follows the admin default for titles until the user chooses', async () => {
        await world.setOptions({ botAutoTitle: true });
        expect(await one('/title')).toBe('Automatic titles are on. Usage: /title on | off | default');
        await say('hello');
        expect(world.chatCalls.map((c) => c.purpose)).toEqual(['chat', 'title']);
      });

      it('words relay errors for people and hides internal ones behind a reference', async () => {
        await world.setQuota(aliceId, 0);
        const [refusal] = await say('hi');
        expect(refusal!.text).toMatch(
          /^⚠️ Account quota exhausted: this request needs at least \d+ units \(\$[\d.]+\) but the account has 0 left \(short by \d+\); recharge with a redemption code\. Top up with \/recharge, then \/redeem your code\.$/,
        );

        await world.setQuota(aliceId, 1_000_000);
        world.answer(() => ({ crash: new TypeError('cannot read properties of undefined (secret internals)') }));
        const [failure] = await say('hi');
        const ref = /^⚠️ Something went wrong \(ref ([0-9a-f]{8})\)\. Please try again later\.$/.exec(failure!.text)?.[1];
        expect(ref).toBeDefined();
        expect(log.lines.find((l) => l.level === 'error')?.obj).toMatchObject({ ref, what: 'chat' });
      });

      it('keeps a partial answer and adds the error under it', async () => {
        world.answer(() => ({ deltas: ['Partial ', 'never shown'], cutAfter: 1 }));
        const answers = await say('hi');
        // (The cause after "finished" depends on how the connection ended.)
        expect(texts(answers).join('')).toMatch(/^Partial\n\n⚠️ Upstream \(openai\) closed the stream before it finished(: .*)?\. Please try again in a little while\.$/);
      });

      it('warns once when a chat takes the balance below the threshold', async () => {
        // gpt-4o-mini: 0.075 units per prompt token, 0.3 per completion token: 199,996 + 1 × 4 cost 15,000 units.
        await world.setQuota(aliceId, 100_000);
        expect(await one('/notify 90000')).toBe("I'll warn you when your balance falls below 90,000 units ($0.18).");
        world.answer(() => ({ deltas: ['ok'], usage: { prompt: 199_996, completion: 1 } }));
        const first = await say('spend');
        expect(texts(first)).toEqual(['ok', expect.stringMatching(/^⚠️ Your balance is low: 85,000 units/)]);
        expect(texts(await say('spend more'))).toEqual(['ok']);
        expect(await one('/notify off')).toBe('Low-balance warnings off.');
      });

      it('sends the low-balance warning privately when the chat was in a group', async () => {
        await world.setQuota(aliceId, 100_000);
        await backend.updateSettings(aliceId, { lowQuotaNotice: 90_000 });
        // 0 completion tokens with text delivered is not believed (billed-usage.ts): the answer bills one.
        world.answer(() => ({ deltas: ['ok'], usage: { prompt: 199_996, completion: 1 } }));
        const answers = await say('/chat spend', { chat: GROUP, name: 'Alice' });
        // Privately where the platform can; otherwise the group hears that it is low, never how much is left.
        if (transport.sendToUser) {
          expect(answers.map((m) => m.chatId)).toEqual([GROUP, ALICE]);
          expect(answers[1]!.text).toMatch(/^⚠️ Your balance is low: 85,000 units/);
        } else {
          expect(answers.map((m) => m.chatId)).toEqual([GROUP, GROUP]);
          expect(answers[1]!.text).toBe(en.chat.lowBalanceInGroup('Alice'));
          expect(answers[1]!.text).not.toMatch(/\d/);
        }
      });

      it('tells the group without amounts when the private warning cannot be sent', async () => {
        if (!transport.sendToUser) return; // the case above
        transport.sendToUser = async () => {
          throw new Error('Forbidden: bot was blocked by the user');
        };
        await world.setQuota(aliceId, 100_000);
        await backend.updateSettings(aliceId, { lowQuotaNotice: 90_000 });
        world.answer(() => ({ deltas: ['ok'], usage: { prompt: 200_000, completion: 0 } }));
        const answers = await say('/chat spend', { chat: GROUP, name: 'Alice' });
        expect(answers.map((m) => [m.chatId, m.text])).toEqual([
          [GROUP, 'ok'],
          [GROUP, '⚠️ Alice, your balance has fallen below your warning threshold. Send me /balance in a private chat (I couldn\'t message you there).'],
        ]);
      });
    });

    describe('admin', () => {
      it('refuses admin commands to non-admins in friendly words', async () => {
        for (const cmd of ['/channels', '/channel disable 1', '/codes 100 1', '/user alice']) {
          expect(await one(cmd)).toBe(ADMIN_ONLY);
        }
        expect(await one('/channels', { user: '777' })).toBe(NOT_LINKED);
      });

      it('lists and switches channels', async () => {
        const id = await world.addChannel({ name: 'openai-main', type: 'openai', status: 'auto_disabled', disabledReason: 'invalid key', priority: 0, responseTimeMs: 420 });
        const list = await one('/channels', { user: ROOT });
        expect(list.startsWith('Channels:\n')).toBe(true);
        expect(list.split('\n')).toContain(`🔴 #${id} openai-main · openai · auto_disabled (invalid key) · priority 0 · 420 ms`);
        expect(await one(`/channel enable ${id}`, { user: ROOT })).toBe(`Channel #${id} "openai-main" is now enabled.`);
        expect(await one('/channel enable 999999', { user: ROOT })).toBe('Channel 999999 does not exist.');
        expect(await one('/channel pause 1', { user: ROOT })).toBe('Usage: /channel test|enable|disable <id>');
      });

      it('creates redemption codes only in a private chat', async () => {
        expect(await one('/codes 500000 2 promo', { user: ROOT, chat: GROUP })).toMatch(/only show redemption codes in a private chat/);
        const [reply] = await say('/codes $1 2 promo', { user: ROOT });
        expect(reply!.sensitive).toBe(true);
        const codes = reply!.text.split('\n\n')[1]!.split('\n');
        expect(codes).toHaveLength(2);
        expect(await one(`/redeem ${codes[0]}`)).toMatch(/^Redeemed 500,000 units \(\$1\.00\)/);
      });

      it('looks up users', async () => {
        expect(await one('/user alice', { user: ROOT })).toBe(
          `User #${aliceId} alice · user · enabled\nGroup: default\nBalance: 1,250,000 units ($2.50)\nUsed: 0 units ($0.00) over 0 requests\nChat links: ${platform}:${ALICE}`,
        );
        expect(await one(`/user ${aliceId}`, { user: ROOT })).toMatch(/^User #\d+ alice/);
        expect(await one('/user nobody', { user: ROOT })).toBe('No user matches "nobody".');
      });

      it('shows admin commands in /help to admins only', async () => {
        expect(await one('/help')).not.toContain('/channels');
        expect(await one('/help', { user: ROOT })).toContain('Admin:\n/channels — Channel health');
      });

      it('alerts every linked admin when a channel is auto-disabled', async () => {
        await backend.setLanguage(platform, ROOT, 'en');
        const registry = new TransportRegistry();
        registry.register(transport);
        const notifier = createNotifier(backend, registry, log);
        const reached = await notifier.channelAutoDisabled({ channelId: 7, channelName: 'azure-east', reason: 'quota exceeded' });
        if (!transport.sendToUser) {
          expect(reached).toBe(0);
          return;
        }
        expect(reached).toBe(1);
        const alert = transport.messages.at(-1)!;
        expect(alert).toMatchObject({ chatId: ROOT, direct: true });
        const text = '⚠️ Channel #7 "azure-east" was disabled automatically.\nReason: quota exceeded\nRe-enable it with /channel enable 7 once it is fixed.';
        if (transport.buttons === 'native') {
          expect(alert.text).toBe(text);
          expect(untagged(alert.buttons)).toEqual([[{ label: '🔁 Re-test #7', data: '/channel test 7' }, { label: '🟢 Enable #7', data: '/channel enable 7' }]]);
          // Only the admin it was sent to can press them.
          expect(decodePress(alert.buttons![0]![1]!.data, ALICE)).toEqual({ ok: false });
          expect(decodePress(alert.buttons![0]![1]!.data, ROOT)).toEqual({ ok: true, command: '/channel enable 7' });
        } else {
          expect(alert.text).toBe(`${text}\n\n🔁 Re-test #7: send /channel test 7\n🟢 Enable #7: send /channel enable 7`);
        }
      });

      it('alerts an admin in the language they chose', async () => {
        const registry = new TransportRegistry();
        registry.register(transport);
        await backend.setLanguage(platform, ROOT, 'zh');
        const reached = await createNotifier(backend, registry, log).channelAutoDisabled({ channelId: 7, channelName: 'azure-east', reason: 'quota exceeded' });
        if (!transport.sendToUser) return expect(reached).toBe(0);
        expect(transport.messages.at(-1)!.text).toMatch(/^⚠️ 渠道 #7“azure-east”已被自动停用。\n原因：quota exceeded/);
      });

      it('re-tests, disables and enables a channel from its buttons, each logged as an admin action', async () => {
        const id = await world.addChannel({ name: 'openai-main', type: 'openai', status: 'enabled', disabledReason: null, priority: 0, responseTimeMs: null });
        const [list] = await say('/channels', { user: ROOT });
        expect(choicesOf(list!)).toContain(`⚪ Disable #${id}`);
        const disabled = await choose(list!, `⚪ Disable #${id}`, { user: ROOT });
        expect(main(disabled)).toBe(`Channel #${id} "openai-main" is now disabled.`);
        expect(choicesOf(disabled)).toEqual([`🔁 Re-test #${id}`, `🟢 Enable #${id}`]);
        const tested = await choose(disabled, `🔁 Re-test #${id}`, { user: ROOT });
        expect(main(tested)).toMatch(new RegExp(`^Channel #${id} "openai-main" passed the test( \\(\\d+ ms\\))?; it is disabled\\.$`));
        expect(main(await choose(tested, `🟢 Enable #${id}`, { user: ROOT }))).toBe(`Channel #${id} "openai-main" is now enabled.`);
        const audit = (await backend.recentLogs(rootId, 10)).filter((l) => l.type === 'manage').map((l) => [l.source, l.content]);
        expect(audit).toEqual([
          [platform, `channel #${id} "openai-main" enabled by user ${rootId} via ${platform}`],
          [platform, `channel #${id} "openai-main" re-tested (passed, now disabled) by user ${rootId} via ${platform}`],
          [platform, `channel #${id} "openai-main" disabled by user ${rootId} via ${platform}`],
        ]);
        // A non-admin sending the same command (a forwarded button, say) is refused.
        expect(await one(`/channel disable ${id}`)).toBe(ADMIN_ONLY);
      });
    });

    describe('languages', () => {
      it("answers in the app's language, follows /lang, and words relay errors in Chinese", async () => {
        expect(await one('/balance', { locale: 'zh-CN' })).toBe(
          '账户：alice（分组 default）\n余额：1,250,000 额度（$2.50）\n已用：0 额度（$0.00），共 0 次请求\n\n需要充值？发送 /recharge。',
        );
        const [menu] = await say('/lang', { locale: 'zh-hans' });
        expect(main(menu!)).toBe('我正在用中文回答你（跟随你的应用设置）。可选：/lang en | zh | auto');
        expect(choicesOf(menu!)).toEqual(['English', '中文', '跟随应用语言']);
        expect(main(await choose(menu!, 'English', { locale: 'zh-hans' }))).toBe("OK, I'll answer in English from now on.");
        expect(await one('/balance', { locale: 'zh-CN' })).toMatch(/^Account: alice/);
        expect(await one('/lang zh')).toBe('好的，之后我会用中文回答你。');
        expect(await one('/group nowhere')).toBe('这个分组不存在。发送 /groups 查看可以切换的分组。');
        expect(await one('/lang auto')).toBe("OK, I'll follow your app's language again.");
        expect(await backend.getLanguage(platform, ALICE)).toBeNull();

        await world.setQuota(aliceId, 0);
        await say('/lang zh');
        const [refusal] = await say('你好');
        expect(refusal!.text).toMatch(/^⚠️ 余额不足：本次需要 [\d,]+ 额度（\$[\d.]+），可用 0 额度（\$0\.00）。请发送 \/recharge 充值，然后用 \/redeem 兑换。$/);
      });

      it('speaks Chinese on QQ and OneBot unless the user chose otherwise', async () => {
        const expected = platform === 'qq' || platform === 'onebot' ? /^你已绑定账户 alice。/ : /^You're linked as alice\./;
        expect(await one('/help', { locale: null })).toMatch(expected);
      });

      it('has every command described in both languages', () => {
        for (const c of core.commands) {
          expect(c.description('en'), c.name).toBeTruthy();
          expect(c.description('zh'), c.name).toBeTruthy();
          expect(c.description('zh'), c.name).not.toBe(c.description('en'));
        }
      });
    });

    describe('menus', () => {
      it('deletes a key from the /tokens list: button, confirmation, done', async () => {
        const { id } = await backend.createToken(aliceId, { name: 'ci', quota: null, expiresAt: null, models: [] });
        const [list] = await say('/tokens');
        const confirm = await choose(list!, `🗑 #${id} ci`);
        expect(main(confirm)).toMatch(new RegExp(`^Delete token #${id} "ci"`));
        expect(main(await choose(confirm, 'Delete'))).toBe(`Token #${id} deleted. Apps using its key stop working now.`);
        expect(await backend.listTokens(aliceId)).toEqual([]);
      });

      it('switches groups from the /groups buttons', async () => {
        await world.addGroup({ name: 'vip', ratio: '0.8', description: '', userSelectable: true, models: ['gpt-4o-mini'] });
        const [list] = await say('/groups');
        expect(choicesOf(list!)).toEqual(['vip (×0.8)']);
        expect(main(await choose(list!, 'vip (×0.8)'))).toBe("You're now in group vip (price ratio 0.8).");
      });

      it('picks a chat model from pages of buttons', async () => {
        for (let i = 1; i <= 9; i++) await world.addModel('default', `gpt-4o-2024-0${i}-01`);
        const [page1] = await say('/model');
        expect(main(page1!)).toBe('Your chat model: gpt-4o-mini. Pick another (page 1 of 2):');
        expect(choicesOf(page1!)).toHaveLength(8 + 2);
        expect(choicesOf(page1!).slice(-2)).toEqual(['↺ Default', 'More ▶']);
        const page2 = await choose(page1!, 'More ▶');
        expect(main(page2)).toBe('Your chat model: gpt-4o-mini. Pick another (page 2 of 2):');
        expect(choicesOf(page2)).toEqual(['gpt-4o-2024-09-01', '✓ gpt-4o-mini', '◀ Back', '↺ Default']);
        expect(main(await choose(page2, 'gpt-4o-2024-09-01'))).toBe('Chat model set to gpt-4o-2024-09-01.');
        await say('hello');
        expect(world.chatCalls.at(-1)!.model).toBe('gpt-4o-2024-09-01');
      });

      it('takes a numbered choice only once and only from the chat it was offered in', async () => {
        if (transport.buttons !== 'numbered') return;
        const { id } = await backend.createToken(aliceId, { name: 'ci', quota: null, expiresAt: null, models: [] });
        await say(`/token del ${id}`);
        expect(await say('1', { chat: GROUP })).toHaveLength(0); // offered in the private chat, not here
        expect(await one('1')).toBe(`Token #${id} deleted. Apps using its key stop working now.`);
        expect(texts(await say('1'))).toEqual(['Hello!']); // no choice any more: plain chat
      });
    });

    describe('account in chat', () => {
      it('counts usage for today, 7 and 30 days', async () => {
        world.answer(() => ({ deltas: ['ok'], usage: { prompt: 1000, completion: 500 } }));
        await say('one');
        await say('two');
        const usage = await one('/usage');
        expect(usage).toMatch(/^Your usage \(UTC days\):\nToday: 2 requests · 3,000 tokens · \d[\d,]* units \(\$[\d.]+\)\nLast 7 days: 2 requests · 3,000 tokens/);
        expect(usage).toContain('Last 30 days: 2 requests · 3,000 tokens');
      });

      it('gives a one-time sign-in link for the web console, privately', async () => {
        expect(await one('/web', { chat: GROUP })).toBe(en.privateOnly.web);
        expect(await one('/web')).toBe(en.account.webNotConfigured);
        await world.setOptions({ publicUrl: 'https://relay.example.com' });
        const [link] = await say('/web');
        expect(link!.sensitive).toBe(true);
        expect(link!.text).toMatch(/^Your sign-in link to the web console, as alice\. It works once, for 5 minutes\. Don't share it: it signs in as you\.\n\nhttps:\/\/relay\.example\.com\/api\/auth\/link-login\?code=[A-Za-z0-9_-]{20,}$/);
      });

      it('adds a receipt under each answer when asked: the balance only in a private chat', async () => {
        world.answer(() => ({ deltas: ['Sure.'], usage: { prompt: 1000, completion: 10 } }));
        const [menu] = await say('/receipt');
        expect(main(menu!)).toBe('Receipts are off. Usage: /receipt on | off | default');
        expect(main(await choose(menu!, 'On'))).toMatch(/^Receipts on/);
        const [answer] = await say('question');
        const cost = 1_250_000 - (await backend.getAccount(aliceId)).quota;
        expect(answer!.text).toBe(`Sure.\n\n🧾 1,000 + 10 tokens · ${en.units(cost)} · balance ${en.units(1_250_000 - cost)}`);
        const [inGroup] = await say('/chat question', { chat: GROUP });
        expect(inGroup!.text).toBe(`Sure.\n\n🧾 1,000 + 10 tokens · ${en.units(cost)}`);
      });

      it('answers a group message that mentions the bot, and remembers chat mode across a restart', async () => {
        expect(texts(await say('what is 2+2', { chat: GROUP, addressed: true }))).toEqual(['Hello!']);
        expect(world.chatCalls.at(-1)!.messages.at(-1)).toEqual({ role: 'user', content: 'what is 2+2' });
        await say('/chat', { chat: GROUP });
        // A new core (a restart, or another instance taking the bot over) knows the chat mode from the database.
        core = createBotCore({ backend, log });
        expect(texts(await say('still listening?', { chat: GROUP }))).toEqual(['Hello!']);
      });

      it('sends a photo with its question to the vision model', async () => {
        await world.setOptions({ botVisionModel: 'gpt-4o' });
        await world.addModel('default', 'gpt-4o');
        const image: ImageSource = { fetch: async () => ({ bytes: TINY_PNG }) };
        expect(texts(await say('what is this?', { images: [image] }))).toEqual(['Hello!']);
        const call = world.chatCalls.at(-1)!;
        expect(call.model).toBe('gpt-4o');
        expect(call.messages.at(-1)).toEqual({
          role: 'user',
          content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${TINY_PNG.toString('base64')}` } }],
        });
        // The history keeps the question and a marker, not the image.
        await say('and now?');
        expect(world.chatCalls.at(-1)!.messages.slice(0, 2)).toEqual([
          { role: 'user', content: 'what is this? [image]' },
          { role: 'assistant', content: 'Hello!' },
        ]);
        const broken: ImageSource = { fetch: async () => ({ bytes: Buffer.from('not an image') }) };
        expect(await one('look', { images: [broken] })).toBe(en.chat.imageUnreadable);
      });
    });

    describe('robustness', () => {
      it('answers unknown commands in private chats only', async () => {
        expect(await one('/frobnicate')).toBe("I don't know /frobnicate. See /help.");
        expect(await say('/frobnicate', { chat: GROUP })).toHaveLength(0);
      });

      it('turns an unexpected backend failure into a reference, logged once', async () => {
        backend.getAccount = async () => {
          throw new Error('database is locked');
        };
        const text = await one('/balance');
        expect(text).toMatch(/^Something went wrong \(ref [0-9a-f]{8}\)\. Please try again later\.$/);
        expect(text).not.toContain('database');
        expect(log.lines.filter((l) => l.level === 'error')).toHaveLength(1);
      });
    });
  });
}
