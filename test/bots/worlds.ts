// The worlds the shared bot suite (core-suite.ts) runs in: the in-memory double, and the real relay backend (services,
// pricing, ledger and the in-process chat pipeline on a real database, with a fake OpenAI upstream). The suite sets a
// world up and looks into it only through this interface, so one set of expectations holds for both.
import { randomUUID } from 'node:crypto';
import type { BotBackend, ChannelInfo, Role } from '../../bots/core/backend.js';
import type { Platform } from '../../bots/core/types.js';
import { createRelayBackend } from '../../bots/core/relay-backend.js';
import type { ChatCallInput } from '../../src/relay/chat.js';
import type { Options } from '../../src/services/options.js';
import { issueLinkCode } from '../../src/services/links.js';
import { createRedemptions } from '../../src/services/redemptions.js';
import { createTestApp, type DbKind, type TestApp } from '../helpers/context.js';
import { addChannel } from '../helpers/relay.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import { MemoryBackend, type ScriptedAnswer } from './memory-backend.js';

/** What the model does for one chat call: an answer, or (to test the core's handling of bugs) a crash. */
export type Script = (input: ChatCallInput) => ScriptedAnswer | { crash: Error };

export interface GroupSeed {
  name: string;
  ratio: string;
  description: string;
  userSelectable: boolean;
  models: string[];
}

export interface BotWorld {
  readonly backend: BotBackend;
  /** Every chat call the core made (titles too), in order. */
  readonly chatCalls: ChatCallInput[];
  addUser(fields: { username: string; role?: Role; quota?: number }): Promise<number>;
  setQuota(userId: number, quota: number): Promise<void>;
  link(platform: Platform, platformUserId: string, userId: number): Promise<void>;
  /** A one-time link code for the user. */
  issueLinkCode(userId: number): Promise<string>;
  /** A redemption code worth `quota` units. */
  addRedemption(quota: number): Promise<string>;
  addGroup(group: GroupSeed): Promise<void>;
  /** The group's channels serve one more model. */
  addModel(group: string, model: string): Promise<void>;
  addChannel(channel: Omit<ChannelInfo, 'id'>): Promise<number>;
  setOptions(patch: Partial<Options>): Promise<void>;
  /** What the model answers from now on (default: "Hello!"). */
  answer(script: Script): void;
}

/** Opens a fresh world for each test; `close` ends whatever the worlds shared. */
export interface WorldFactory {
  readonly name: string;
  open(): Promise<BotWorld>;
  close(): Promise<void>;
}

const HELLO: Script = () => ({ deltas: ['Hello!'] });

/** Records the core's chat calls and lets a script crash one, in front of either backend. */
function recordingChat(backend: BotBackend, script: () => Script): ChatCallInput[] {
  const calls: ChatCallInput[] = [];
  const chat = backend.chat;
  backend.chat = async (input) => {
    calls.push(input);
    const step = script()(input);
    if ('crash' in step) throw step.crash;
    return chat(input);
  };
  return calls;
}

export function memoryWorlds(): WorldFactory {
  return {
    name: 'the memory double',
    async open() {
      const backend = new MemoryBackend();
      let script = HELLO;
      backend.answer((input) => script(input) as ScriptedAnswer);
      const chatCalls = recordingChat(backend, () => script);
      return {
        backend,
        chatCalls,
        async addUser(fields) {
          return backend.addUser(fields);
        },
        async setQuota(userId, quota) {
          backend.users.get(userId)!.quota = quota;
        },
        async link(platform, platformUserId, userId) {
          backend.link(platform, platformUserId, userId);
        },
        async issueLinkCode(userId) {
          return backend.issueLinkCode(userId, `LINK${randomUUID().slice(0, 8).toUpperCase()}`);
        },
        async addRedemption(quota) {
          const code = `CODE${randomUUID().replaceAll('-', '').toUpperCase()}`;
          backend.addRedemption(code, quota);
          return code;
        },
        async addGroup(group) {
          backend.addGroup(group);
        },
        async addModel(group, model) {
          backend.groups.get(group)!.models.push(model);
        },
        async addChannel(channel) {
          return backend.addChannel(channel);
        },
        async setOptions(patch) {
          Object.assign(backend.options, patch);
        },
        answer(next) {
          script = next;
        },
      };
    },
    async close() {},
  };
}

/**
 * The real relay backend on `kind`. One app and one fake upstream for the whole suite; each test starts from a clean
 * slate (the data the suite writes is deleted, options and the default group's models are back to their defaults).
 */
export function relayWorlds(kind: DbKind): WorldFactory {
  let shared: { t: TestApp; upstream: FakeOpenAI; defaultChannel: number } | undefined;
  return {
    name: `the relay backend on ${kind}`,
    async open() {
      if (!shared) {
        const t = await createTestApp(kind);
        const upstream = await startFakeOpenAI();
        const defaultChannel = await addChannel(t, { name: 'serving', baseUrl: upstream.url, models: ['gpt-4o-mini'], groups: ['default'] });
        shared = { t, upstream, defaultChannel };
      }
      const { t, upstream, defaultChannel } = shared;
      const prisma = t.ctx.db.prisma;
      await prisma.$transaction([
        prisma.user.deleteMany({ where: { username: { not: 'root' } } }), // their tokens, keys and links go with them
        prisma.platformLink.deleteMany(),
        prisma.usageLog.deleteMany(),
        prisma.redemption.deleteMany(),
        prisma.linkCode.deleteMany(),
        prisma.chatMessage.deleteMany(),
        prisma.conversation.deleteMany(),
        prisma.channel.deleteMany({ where: { id: { not: defaultChannel } } }),
        prisma.channel.update({ where: { id: defaultChannel }, data: { models: JSON.stringify(['gpt-4o-mini']), status: 'enabled' } }),
        prisma.group.deleteMany({ where: { name: { not: 'default' } } }),
        prisma.option.deleteMany(),
      ]);
      await t.ctx.options.load();
      for (const topic of ['users', 'tokens', 'groups', 'channels', 'options'] as const) t.ctx.bus.publish(topic);

      const backend = createRelayBackend(t.ctx, t.relay);
      let script = HELLO;
      let current: ChatCallInput | undefined;
      const chatCalls = recordingChat(backend, () => (input) => {
        current = input;
        return script(input);
      });
      // The upstream answers the call being made: the script's pieces as a stream, its usage, or a stream cut short.
      upstream.setScript(() => {
        const step = script(current!) as ScriptedAnswer;
        return {
          kind: 'stream',
          chunks: step.deltas,
          chunkDelayMs: step.delayMs ?? 0,
          usage: step.usage ?? { prompt: 10, completion: step.deltas.join('').length },
          // The fake counts its opening role chunk too.
          ...(step.cutAfter !== undefined ? { cutAfter: step.cutAfter + 1 } : {}),
        };
      });
      const root = await prisma.user.findUniqueOrThrow({ where: { username: 'root' } });
      await prisma.user.update({ where: { id: root.id }, data: { quota: 0n, usedQuota: 0n, requestCount: 0, lowQuotaNotice: null, autoTitle: null, chatModel: null } });

      return {
        backend,
        chatCalls,
        async addUser(fields) {
          // The database's own root stands in for the suite's root account.
          if (fields.role === 'root') return root.id;
          const row = await prisma.user.create({ data: { username: fields.username, role: fields.role ?? 'user', quota: BigInt(fields.quota ?? 0) } });
          return row.id;
        },
        async setQuota(userId, quota) {
          await prisma.user.update({ where: { id: userId }, data: { quota: BigInt(quota) } });
          t.ctx.bus.publish('users');
        },
        async link(platform, platformUserId, userId) {
          await prisma.platformLink.create({ data: { platform, platformUserId, userId } });
        },
        async issueLinkCode(userId) {
          return (await issueLinkCode(t.ctx, userId)).code;
        },
        async addRedemption(quota) {
          const [code] = await createRedemptions(t.ctx, { quota, count: 1, name: 'suite' }, root.id);
          return code!;
        },
        async addGroup(group) {
          await prisma.group.create({ data: { name: group.name, ratio: group.ratio, description: group.description, userSelectable: group.userSelectable } });
          t.ctx.bus.publish('groups');
          await addChannel(t, { name: `serving-${group.name}`, baseUrl: upstream.url, models: group.models, groups: [group.name] });
        },
        async addModel(group, model) {
          await addChannel(t, { name: `serving-${model}`, baseUrl: upstream.url, models: [model], groups: [group] });
        },
        async addChannel(channel) {
          const id = await addChannel(t, { name: channel.name, type: channel.type, baseUrl: upstream.url, priority: channel.priority, status: channel.status, groups: [] });
          await prisma.channel.update({ where: { id }, data: { disabledReason: channel.disabledReason, responseTimeMs: channel.responseTimeMs } });
          t.ctx.bus.publish('channels');
          return id;
        },
        async setOptions(patch) {
          await t.ctx.options.update(patch);
        },
        answer(next) {
          script = next;
        },
      };
    },
    async close() {
      await shared?.t.close();
      await shared?.upstream.close();
    },
  };
}
