// The real BotBackend: the relay's account services (src/services), its pricing and channel index, and its in-process
// chat pipeline (RelayService.chat), so a bot command obeys exactly the rules the management API does, and a bot chat
// is billed and logged exactly like an API call. Where no service exists yet (links, conversations, bot settings,
// admin identities) this file queries Prisma directly.
import type { AppContext } from '../../src/context.js';
import { RelayError } from '../../src/errors.js';
import type { RelayService } from '../../src/relay/service.js';
import { listChannels, updateChannel } from '../../src/services/channels.js';
import { listGroups as listGroupRows } from '../../src/services/groups.js';
import { recentLogs } from '../../src/services/logs.js';
import { createRedemptions, redeemCode } from '../../src/services/redemptions.js';
import { isUniqueViolation } from '../../src/services/service-utils.js';
import { createToken, deleteToken, listTokens } from '../../src/services/tokens.js';
import { createUser, switchGroup, usernameProblem, type UserRow } from '../../src/services/users.js';
import { isAdminRole, selfActor } from '../../src/services/permissions.js';
import type {
  AccountInfo,
  BotBackend,
  BotSettings,
  BotUser,
  ChannelInfo,
  Conversation,
  ConversationKey,
  PlatformIdentity,
  Role,
  StoredMessage,
  TokenInfo,
} from './backend.js';
import type { BotLogger } from './errors.js';
import type { Notifier } from './notifications.js';
import { claimLinkCode } from '../../src/services/links.js';
import type { Platform } from './types.js';
import { priceInGroup } from './price.js';
import type { PaymentService } from '../../src/payments/service.js';
import { createBotPayments } from './payments-backend.js';

/** The parts of the relay the bots use. */
export type RelayForBots = Pick<RelayService, 'chat' | 'pricing' | 'channels' | 'groups'>;

/** An account as the bots read it: the services' user row and the bot's own threshold. */
type AccountRow = UserRow & { lowQuotaNotice: bigint | null };

const toBotUser = (u: { id: number; username: string; role: string }): BotUser => ({ id: u.id, username: u.username, role: u.role as Role });

const toAccount = (u: AccountRow): AccountInfo => ({
  id: u.id,
  username: u.username,
  role: u.role as Role,
  group: u.group,
  quota: Number(u.quota),
  usedQuota: Number(u.usedQuota),
  requestCount: u.requestCount,
  status: u.status === 'enabled' ? 'enabled' : 'disabled',
  lowQuotaNotice: u.lowQuotaNotice === null ? null : Number(u.lowQuotaNotice),
});

const toChannelInfo = (c: { id: number; name: string; type: string; status: string; disabledReason: string | null; priority: number; responseTimeMs: number | null }): ChannelInfo => ({
  id: c.id,
  name: c.name,
  type: c.type,
  status: c.status,
  disabledReason: c.disabledReason,
  priority: c.priority,
  responseTimeMs: c.responseTimeMs,
});

export function createRelayBackend(ctx: AppContext, relay: RelayForBots, payments?: PaymentService): BotBackend {
  const prisma = ctx.db.prisma;

  async function userRow(id: number): Promise<AccountRow> {
    const row = await prisma.user.findUnique({ where: { id } });
    if (!row) throw new RelayError('not_found', 'this relay account no longer exists');
    return row;
  }

  async function conversationOf(id: number): Promise<Conversation> {
    const row = await prisma.conversation.findUniqueOrThrow({ where: { id }, include: { messages: { orderBy: { id: 'asc' } } } });
    return {
      id: row.id,
      model: row.model,
      title: row.title,
      messages: row.messages.map((m) => ({ role: m.role as StoredMessage['role'], content: m.content })),
    };
  }

  async function startConversation(key: ConversationKey, model: string): Promise<Conversation> {
    const row = await prisma.conversation.create({ data: { platform: key.platform, chatId: key.chatId, userId: key.userId, model } });
    return { id: row.id, model: row.model, title: null, messages: [] };
  }

  async function linkedIdentities(userIds: number[]): Promise<PlatformIdentity[]> {
    const links = await prisma.platformLink.findMany({ where: { userId: { in: userIds } }, orderBy: { id: 'asc' } });
    return links.map((l) => ({ platform: l.platform as Platform, platformUserId: l.platformUserId }));
  }

  /** A free username for a new chat account: the display name when usable, else "<platform>_<id>". */
  async function freshUsername(platform: Platform, platformUserId: string, displayName: string): Promise<string> {
    const fromName = displayName.replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 40);
    const candidates = [fromName, `${platform}_${platformUserId}`.replace(/[^A-Za-z0-9_.@-]/g, '').slice(0, 60)];
    for (const name of candidates) {
      if (usernameProblem(name)) continue;
      if (!(await prisma.user.findUnique({ where: { username: name } }))) return name;
    }
    return `${platform}_${Date.now().toString(36)}`;
  }

  const backend: BotBackend = {
    ...(payments ? { payments: createBotPayments(payments) } : {}),

    async resolveLink(platform, platformUserId) {
      const link = await prisma.platformLink.findUnique({
        where: { platform_platformUserId: { platform, platformUserId } },
        include: { user: true },
      });
      if (!link) return null;
      // A disabled account keeps its link but can do nothing through the bot, as through the API.
      if (link.user.status !== 'enabled') throw new RelayError('account_disabled', 'this account is disabled; contact the administrator');
      return toBotUser(link.user);
    },

    async linkWithCode(platform, platformUserId, code) {
      const userId = await claimLinkCode(ctx, platform, platformUserId, code);
      return toBotUser(await userRow(userId));
    },

    async registrationOpen() {
      return ctx.options.current.botRegistration;
    },

    async register(platform, platformUserId, displayName) {
      if (!ctx.options.current.botRegistration) {
        throw new RelayError('forbidden', 'registration from the chat is turned off; ask an administrator for a link code');
      }
      const username = await freshUsername(platform, platformUserId, displayName);
      const user = await createUser(ctx, { username, quota: ctx.options.current.botNewUserQuota });
      try {
        await prisma.platformLink.create({ data: { platform, platformUserId, userId: user.id } });
      } catch (err) {
        // Registered twice at once: keep the first account, drop this one.
        await prisma.user.deleteMany({ where: { id: user.id } });
        if (isUniqueViolation(err)) throw new RelayError('conflict', 'this chat account is already linked to a relay account');
        throw err;
      }
      return toBotUser(user);
    },

    async getAccount(userId) {
      return toAccount(await userRow(userId));
    },

    async listTokens(userId) {
      const { items } = await listTokens(ctx, selfActor(userId), { userId }, { pageSize: 200 });
      return items.map(
        (t): TokenInfo => ({
          id: t.id,
          name: t.name,
          keyPrefix: t.keyPrefix,
          remainQuota: t.quota,
          usedQuota: t.usedQuota,
          expiresAt: t.expiresAt,
          models: t.models,
          status: t.status,
        }),
      );
    },

    async createToken(userId, input) {
      const { token, key } = await createToken(ctx, selfActor(userId), { userId, name: input.name, quota: input.quota, expiresAt: input.expiresAt, models: input.models });
      return {
        id: token.id,
        name: token.name,
        keyPrefix: token.keyPrefix,
        remainQuota: token.quota,
        usedQuota: token.usedQuota,
        expiresAt: token.expiresAt,
        models: token.models,
        status: token.status,
        key,
      };
    },

    async deleteToken(userId, tokenId) {
      await deleteToken(ctx, selfActor(userId), tokenId);
    },

    async listGroups(userId) {
      const user = await userRow(userId);
      const { items } = await listGroupRows(ctx, { pageSize: 200 }, { isAdmin: false, group: user.group });
      return {
        current: user.group,
        selectable: items.filter((g) => g.userSelectable).map((g) => ({ name: g.name, ratio: g.ratio, description: g.description })),
      };
    },

    async switchGroup(userId, group) {
      await switchGroup(ctx, userId, group);
    },

    async redeem(userId, code, platform) {
      // No address in a chat: the account's own limits apply, per platform.
      return redeemCode(ctx, userId, code, platform, `${platform} user ${userId}`);
    },

    async rechargeInfo() {
      const { topUpLink, exchangeRate, currency } = ctx.options.current;
      return { topUpLink, exchangeRate, currency };
    },

    async recentLogs(userId, limit) {
      const rows = await recentLogs(ctx, userId, limit);
      return rows.map((l) => ({
        createdAt: l.createdAt,
        type: l.type,
        model: l.model,
        promptTokens: l.promptTokens,
        completionTokens: l.completionTokens,
        quota: l.quota,
        status: l.status,
        source: l.source,
        content: l.content,
      }));
    },

    async listModels(userId) {
      const user = await userRow(userId);
      await relay.channels.ensureLoaded();
      // A model without a price is refused by the relay, so it is not offered.
      return relay.channels.modelsOf(user.group).filter((m) => relay.pricing.find(m) !== undefined);
    },

    async price(model, userId) {
      const user = await userRow(userId);
      await relay.channels.ensureLoaded();
      if (!relay.channels.modelsOf(user.group).includes(model)) {
        throw new RelayError('model_not_found', `${model} is not available in your group (${user.group})`);
      }
      const group = await relay.groups.get(user.group);
      return priceInGroup(relay.pricing.resolve(model), user.group, group?.ratioText ?? '1');
    },

    chat: (input) => relay.chat(input),

    async activeConversation(key, model) {
      const row = await prisma.conversation.findFirst({
        where: { platform: key.platform, chatId: key.chatId, userId: key.userId, active: true },
        orderBy: { id: 'desc' },
      });
      return row ? conversationOf(row.id) : startConversation(key, model);
    },

    async appendMessages(conversationId, messages) {
      const keep = ctx.options.current.botHistoryMessages;
      await prisma.$transaction(async (tx) => {
        for (const m of messages) await tx.chatMessage.create({ data: { conversationId, role: m.role, content: m.content } });
        const ids = await tx.chatMessage.findMany({ where: { conversationId }, orderBy: { id: 'desc' }, select: { id: true }, skip: keep });
        if (ids.length) await tx.chatMessage.deleteMany({ where: { id: { in: ids.map((r) => r.id) } } });
      });
    },

    async setConversationTitle(conversationId, title) {
      await prisma.conversation.update({ where: { id: conversationId }, data: { title } });
    },

    async setConversationModel(conversationId, model) {
      await prisma.conversation.update({ where: { id: conversationId }, data: { model } });
    },

    async newConversation(key, model) {
      await prisma.conversation.updateMany({
        where: { platform: key.platform, chatId: key.chatId, userId: key.userId, active: true },
        data: { active: false },
      });
      return startConversation(key, model);
    },

    async getSettings(userId) {
      const user = await prisma.user.findUnique({ where: { id: userId }, select: { autoTitle: true, chatModel: true, lowQuotaNotice: true } });
      if (!user) throw new RelayError('not_found', 'this relay account no longer exists');
      const o = ctx.options.current;
      const settings: BotSettings = {
        autoTitle: user.autoTitle ?? o.botAutoTitle,
        chatModel: user.chatModel ?? o.botChatModel,
        titleModel: o.botTitleModel,
        historyMessages: o.botHistoryMessages,
        lowQuotaNotice: user.lowQuotaNotice === null ? null : Number(user.lowQuotaNotice),
      };
      return settings;
    },

    async updateSettings(userId, patch) {
      const lowQuotaNotice = patch.lowQuotaNotice === undefined ? undefined : patch.lowQuotaNotice === null ? null : BigInt(patch.lowQuotaNotice);
      await prisma.user.update({
        where: { id: userId },
        data: { autoTitle: patch.autoTitle, chatModel: patch.chatModel, lowQuotaNotice },
      });
      return backend.getSettings(userId);
    },

    async isAdmin(userId) {
      const user = await prisma.user.findUnique({ where: { id: userId }, select: { role: true, status: true } });
      return !!user && user.status === 'enabled' && isAdminRole(user.role);
    },

    async listChannels() {
      const { items } = await listChannels(ctx, {}, { skip: 0, take: 200 });
      return items.map(toChannelInfo);
    },

    async setChannelEnabled(channelId, enabled) {
      return toChannelInfo(await updateChannel(ctx, channelId, { status: enabled ? 'enabled' : 'disabled' }, { root: false }));
    },

    async createRedemptionCodes(adminUserId, input) {
      return createRedemptions(ctx, input, adminUserId);
    },

    async findUser(query) {
      const row = /^\d{1,9}$/.test(query)
        ? await prisma.user.findUnique({ where: { id: Number(query) } })
        : await prisma.user.findUnique({ where: { username: query } });
      if (!row) return null;
      return { ...toAccount(row), links: await linkedIdentities([row.id]) };
    },

    async adminIdentities() {
      const admins = await prisma.user.findMany({ where: { role: { in: ['admin', 'root'] }, status: 'enabled' }, select: { id: true } });
      return linkedIdentities(admins.map((a) => a.id));
    },
  };
  return backend;
}

/**
 * Forwards the relay's "channel auto-disabled" events to the admins' chats. Only whole channels: a single failing key
 * of a channel that still has others is logged by the relay, not pushed to phones. Returns the unsubscribe function.
 */
export function connectChannelAlerts(relay: Pick<RelayService, 'events'>, notifier: Notifier, log: BotLogger): () => void {
  const listener = (event: { channelId: number; channelName: string; channelDisabled: boolean; reason: string }): void => {
    if (!event.channelDisabled) return;
    notifier
      .channelAutoDisabled({ channelId: event.channelId, channelName: event.channelName, reason: event.reason })
      .catch((err: unknown) => log.error({ err }, 'channel alert failed'));
  };
  relay.events.on('channel-disabled', listener);
  return () => relay.events.off('channel-disabled', listener);
}
