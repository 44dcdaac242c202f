// The shared bot suite's world over the real relay backend (see worlds.ts): its own module, so the suites that run over
// the memory double do not load the app, Prisma and the fakes.
import { createRelayBackend } from '../../bots/core/relay-backend.js';
import type { ChatCallInput } from '../../src/relay/chat.js';
import { issueLinkCode } from '../../src/services/links.js';
import { createRedemptions } from '../../src/services/redemptions.js';
import { createTestApp, type DbKind, type TestApp } from '../helpers/context.js';
import { addChannel } from '../helpers/relay.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import type { ScriptedAnswer } from './memory-backend.js';
import { HELLO, recordingChat, type WorldFactory } from './worlds.js';

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
        prisma.chatPreference.deleteMany(),
        prisma.chatState.deleteMany(),
        prisma.botNotice.deleteMany(),
        prisma.signInCode.deleteMany(),
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
      await prisma.user.update({ where: { id: root.id }, data: { quota: 0n, usedQuota: 0n, requestCount: 0, lowQuotaNotice: null, autoTitle: null, chatReceipts: null, chatModel: null } });

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
