// An in-memory BotBackend for fast core and adapter tests. It keeps the relay's rules that the bot relies on (ownership,
// selectable groups, one-time codes, billing a chat call and logging it, history trimming) without a database.
// The model's answers are scripted per test with `answer(...)`.
import { RelayError } from '../../src/errors.js';
import type { ChatCallInput, ChatCallResult } from '../../src/relay/chat.js';
import type {
  AccountInfo,
  BotBackend,
  BotSettings,
  BotUser,
  ChannelInfo,
  Conversation,
  ConversationKey,
  CreatedToken,
  GroupInfo,
  LogEntry,
  ModelPrice,
  NewCodesInput,
  NewTokenInput,
  PlatformIdentity,
  Role,
  SettingsPatch,
  StoredMessage,
  TokenInfo,
  UserSummary,
} from './backend.js';
import { QUOTA_PER_USD } from '../../src/billing/decimal.js';
import { DEFAULT_OPTIONS, type Options } from '../../src/services/options.js';
import type { Platform } from './types.js';

interface MemoryUser extends AccountInfo {
  autoTitle: boolean | null;
  chatModel: string | null;
}

interface MemoryGroup extends GroupInfo {
  userSelectable: boolean;
  models: string[];
}

interface MemoryConversation extends Conversation {
  key: string;
  active: boolean;
}

/** The admin options the bots read, with the relay's own defaults. */
export type MemoryOptions = Pick<
  Options,
  'botRegistration' | 'botNewUserQuota' | 'botChatModel' | 'botTitleModel' | 'botAutoTitle' | 'botHistoryMessages' | 'topUpLink' | 'exchangeRate' | 'currency'
>;

/** What the scripted model answers: the pieces stream one by one (with `delayMs` between them). */
export interface ScriptedAnswer {
  deltas: string[];
  delayMs?: number;
  /** Units charged; default 1 per character of the answer plus 10. */
  quota?: number;
}

export type AnswerScript = (input: ChatCallInput) => ScriptedAnswer | Promise<ScriptedAnswer>;

/** Per 1M tokens, after ratio 1 (1 unit per token = 2 USD per 1M tokens). */
const USD_PER_MILLION_AT_RATIO_1 = 1_000_000 / QUOTA_PER_USD;

export class MemoryBackend implements BotBackend {
  options: MemoryOptions = { ...DEFAULT_OPTIONS };
  readonly users = new Map<number, MemoryUser>();
  readonly links = new Map<string, number>();
  readonly tokens = new Map<number, TokenInfo & { userId: number }>();
  readonly groups = new Map<string, MemoryGroup>();
  readonly channels = new Map<number, ChannelInfo>();
  readonly conversations: MemoryConversation[] = [];
  readonly logs: Array<LogEntry & { userId: number }> = [];
  /** Every chat call, in order (titles included). */
  readonly chatCalls: ChatCallInput[] = [];
  /** model → per-token ratios or a per-call USD price. */
  readonly prices = new Map<string, { modelRatio: number; completionRatio: number } | { perCallUsd: number }>();
  #linkCodes = new Map<string, { userId: number; expiresAt: number }>();
  #redemptions = new Map<string, { quota: number; redeemedBy: number | null }>();
  #script: AnswerScript = () => ({ deltas: ['Hello!'] });
  #nextId = 1;

  constructor() {
    this.addGroup({ name: 'default', ratio: '1', description: 'Everyone starts here', userSelectable: true, models: ['gpt-4o-mini'] });
    this.prices.set('gpt-4o-mini', { modelRatio: 0.075, completionRatio: 4 });
  }

  /* ------------------------------------------------------------------ test setup ------------------------------- */

  addUser(fields: { username: string; role?: Role; quota?: number; group?: string }): number {
    const id = this.#nextId++;
    this.users.set(id, {
      id,
      username: fields.username,
      role: fields.role ?? 'user',
      group: fields.group ?? 'default',
      quota: fields.quota ?? 0,
      usedQuota: 0,
      requestCount: 0,
      status: 'enabled',
      lowQuotaNotice: null,
      autoTitle: null,
      chatModel: null,
    });
    return id;
  }

  link(platform: Platform, platformUserId: string, userId: number): void {
    this.links.set(`${platform}:${platformUserId}`, userId);
  }

  issueLinkCode(userId: number, code: string, ttlMs = 600_000): void {
    this.#linkCodes.set(code, { userId, expiresAt: Date.now() + ttlMs });
  }

  addRedemption(code: string, quota: number): void {
    this.#redemptions.set(code, { quota, redeemedBy: null });
  }

  addGroup(group: MemoryGroup): void {
    this.groups.set(group.name, group);
  }

  addChannel(channel: Omit<ChannelInfo, 'id'>): number {
    const id = this.#nextId++;
    this.channels.set(id, { id, ...channel });
    return id;
  }

  /** Scripts the model: every chat call (titles too) gets its answer from this function. */
  answer(script: AnswerScript): void {
    this.#script = script;
  }

  /* ------------------------------------------------------------------ identity --------------------------------- */

  async resolveLink(platform: Platform, platformUserId: string): Promise<BotUser | null> {
    const id = this.links.get(`${platform}:${platformUserId}`);
    return id === undefined ? null : this.#botUser(this.#user(id));
  }

  async linkWithCode(platform: Platform, platformUserId: string, code: string): Promise<BotUser> {
    const entry = this.#linkCodes.get(code);
    if (!entry || entry.expiresAt <= Date.now()) throw new RelayError('invalid_code', 'that link code is unknown or expired');
    if (this.links.has(`${platform}:${platformUserId}`)) throw new RelayError('conflict', 'this chat account is already linked');
    this.#linkCodes.delete(code);
    this.link(platform, platformUserId, entry.userId);
    return this.#botUser(this.#user(entry.userId));
  }

  async registrationOpen(): Promise<boolean> {
    return this.options.botRegistration;
  }

  async register(platform: Platform, platformUserId: string, displayName: string): Promise<BotUser> {
    if (!this.options.botRegistration) {
      throw new RelayError('forbidden', 'registration from the chat is turned off; ask an administrator for a link code');
    }
    const base = displayName.replace(/[^A-Za-z0-9_]/g, '').slice(0, 20) || `${platform}_user`;
    let username = base;
    for (let i = 2; [...this.users.values()].some((u) => u.username === username); i++) username = `${base}${i}`;
    const id = this.addUser({ username, quota: this.options.botNewUserQuota });
    this.link(platform, platformUserId, id);
    return this.#botUser(this.#user(id));
  }

  /* ------------------------------------------------------------------ account ---------------------------------- */

  async getAccount(userId: number): Promise<AccountInfo> {
    return this.#account(this.#user(userId));
  }

  async listTokens(userId: number): Promise<TokenInfo[]> {
    return [...this.tokens.values()].filter((t) => t.userId === userId).map(({ userId: _owner, ...t }) => t);
  }

  async createToken(userId: number, input: NewTokenInput): Promise<CreatedToken> {
    const id = this.#nextId++;
    const key = `sk-memory${String(id).padStart(4, '0')}${'x'.repeat(39)}`;
    const token: TokenInfo = {
      id,
      name: input.name,
      keyPrefix: `${key.slice(0, 7)}…${key.slice(-4)}`,
      remainQuota: input.quota,
      usedQuota: 0,
      expiresAt: input.expiresAt,
      models: input.models,
      status: 'enabled',
    };
    this.tokens.set(id, { ...token, userId });
    return { ...token, key };
  }

  async deleteToken(userId: number, tokenId: number): Promise<void> {
    const token = this.tokens.get(tokenId);
    if (!token || token.userId !== userId) throw new RelayError('not_found', `no token #${tokenId}`);
    this.tokens.delete(tokenId);
  }

  async listGroups(userId: number): Promise<{ current: string; selectable: GroupInfo[] }> {
    const selectable = [...this.groups.values()]
      .filter((g) => g.userSelectable)
      .map(({ name, ratio, description }) => ({ name, ratio, description }));
    return { current: this.#user(userId).group, selectable };
  }

  async switchGroup(userId: number, group: string): Promise<void> {
    const target = this.groups.get(group);
    if (!target) throw new RelayError('not_found', `there is no group "${group}"`);
    if (!target.userSelectable) throw new RelayError('group_not_allowed', `group "${group}" can only be assigned by an administrator`);
    this.#user(userId).group = group;
  }

  async redeem(userId: number, code: string, platform: Platform): Promise<{ quota: number; balance: number }> {
    const entry = this.#redemptions.get(code);
    if (!entry) throw new RelayError('invalid_code', 'that redemption code is not valid');
    if (entry.redeemedBy !== null) throw new RelayError('already_redeemed', 'that code has already been redeemed');
    entry.redeemedBy = userId;
    const user = this.#user(userId);
    user.quota += entry.quota;
    this.#log(userId, { type: 'redeem', quota: entry.quota, source: platform, content: 'redeemed a code' });
    return { quota: entry.quota, balance: user.quota };
  }

  async rechargeInfo(): Promise<{ topUpLink: string; exchangeRate: number; currency: string }> {
    const { topUpLink, exchangeRate, currency } = this.options;
    return { topUpLink, exchangeRate, currency };
  }

  async recentLogs(userId: number, limit: number): Promise<LogEntry[]> {
    return this.logs
      .filter((l) => l.userId === userId)
      .slice(-limit)
      .reverse()
      .map(({ userId: _owner, ...entry }) => entry);
  }

  async listModels(userId: number): Promise<string[]> {
    return [...(this.groups.get(this.#user(userId).group)?.models ?? [])].sort();
  }

  async price(model: string, userId: number): Promise<ModelPrice> {
    const user = this.#user(userId);
    const group = this.groups.get(user.group);
    if (!group?.models.includes(model)) throw new RelayError('model_not_found', `${model} is not available in your group`);
    const price = this.prices.get(model);
    if (!price) throw new RelayError('model_not_priced', `${model} has no price yet`);
    const ratio = Number(group.ratio);
    if ('perCallUsd' in price) {
      return { model, group: group.name, groupRatio: group.ratio, inputUsdPerMillion: null, outputUsdPerMillion: null, perCallUsd: price.perCallUsd * ratio };
    }
    const input = price.modelRatio * ratio * USD_PER_MILLION_AT_RATIO_1;
    return { model, group: group.name, groupRatio: group.ratio, inputUsdPerMillion: input, outputUsdPerMillion: input * price.completionRatio, perCallUsd: null };
  }

  chat = async (input: ChatCallInput): Promise<ChatCallResult> => {
    this.chatCalls.push(input);
    const user = this.#user(input.userId);
    if (!this.groups.get(user.group)?.models.includes(input.model)) {
      throw new RelayError('model_not_in_group', `${input.model} is not available in your group (${user.group})`);
    }
    if (user.quota <= 0) throw new RelayError('account_quota_exhausted', 'your balance is used up');
    const scripted = await this.#script(input);
    let text = '';
    for (const delta of scripted.deltas) {
      if (scripted.delayMs) await new Promise((resolve) => setTimeout(resolve, scripted.delayMs));
      text += delta;
      input.onDelta?.(delta);
    }
    const quota = scripted.quota ?? text.length + 10;
    user.quota -= quota;
    user.usedQuota += quota;
    user.requestCount += 1;
    const usage = { promptTokens: 10, completionTokens: text.length, cacheReadTokens: 0, cacheWriteTokens: 0 };
    this.#log(input.userId, {
      type: 'consume',
      model: input.model,
      quota,
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      source: input.source,
      content: input.purpose === 'title' ? 'title' : '',
    });
    return { text, model: input.model, usage, quota };
  };

  /* ------------------------------------------------------------------ conversations ---------------------------- */

  async activeConversation(key: ConversationKey, model: string): Promise<Conversation> {
    const found = this.conversations.find((c) => c.active && c.key === convKey(key));
    return snapshot(found ?? this.#startConversation(key, model));
  }

  async appendMessages(conversationId: number, messages: StoredMessage[]): Promise<void> {
    const conversation = this.#conversation(conversationId);
    conversation.messages.push(...messages.map((m) => ({ ...m })));
    const excess = conversation.messages.length - this.options.botHistoryMessages;
    if (excess > 0) conversation.messages.splice(0, excess);
  }

  async setConversationTitle(conversationId: number, title: string): Promise<void> {
    this.#conversation(conversationId).title = title;
  }

  async setConversationModel(conversationId: number, model: string): Promise<void> {
    this.#conversation(conversationId).model = model;
  }

  async newConversation(key: ConversationKey, model: string): Promise<Conversation> {
    for (const c of this.conversations) if (c.key === convKey(key)) c.active = false;
    return snapshot(this.#startConversation(key, model));
  }

  /* ------------------------------------------------------------------ settings --------------------------------- */

  async getSettings(userId: number): Promise<BotSettings> {
    const user = this.#user(userId);
    return {
      autoTitle: user.autoTitle ?? this.options.botAutoTitle,
      chatModel: user.chatModel ?? this.options.botChatModel,
      titleModel: this.options.botTitleModel,
      historyMessages: this.options.botHistoryMessages,
      lowQuotaNotice: user.lowQuotaNotice,
    };
  }

  async updateSettings(userId: number, patch: SettingsPatch): Promise<BotSettings> {
    const user = this.#user(userId);
    if (patch.autoTitle !== undefined) user.autoTitle = patch.autoTitle;
    if (patch.chatModel !== undefined) user.chatModel = patch.chatModel;
    if (patch.lowQuotaNotice !== undefined) user.lowQuotaNotice = patch.lowQuotaNotice;
    return this.getSettings(userId);
  }

  /* ------------------------------------------------------------------ admin ------------------------------------ */

  async isAdmin(userId: number): Promise<boolean> {
    const role = this.#user(userId).role;
    return role === 'admin' || role === 'root';
  }

  async listChannels(): Promise<ChannelInfo[]> {
    return [...this.channels.values()].map((c) => ({ ...c }));
  }

  async setChannelEnabled(channelId: number, enabled: boolean): Promise<ChannelInfo> {
    const channel = this.channels.get(channelId);
    if (!channel) throw new RelayError('not_found', `no channel #${channelId}`);
    channel.status = enabled ? 'enabled' : 'disabled';
    channel.disabledReason = enabled ? null : 'disabled by an admin';
    return { ...channel };
  }

  async createRedemptionCodes(_adminUserId: number, input: NewCodesInput): Promise<string[]> {
    const codes: string[] = [];
    for (let i = 0; i < input.count; i++) {
      const code = `CODE${this.#nextId++}${input.name.replace(/\W/g, '').toUpperCase()}`;
      this.addRedemption(code, input.quota);
      codes.push(code);
    }
    return codes;
  }

  async findUser(query: string): Promise<UserSummary | null> {
    const user = /^\d+$/.test(query) ? this.users.get(Number(query)) : [...this.users.values()].find((u) => u.username === query);
    if (!user) return null;
    const links: PlatformIdentity[] = [...this.links.entries()]
      .filter(([, id]) => id === user.id)
      .map(([key]) => {
        const [platform, ...rest] = key.split(':');
        return { platform: platform as Platform, platformUserId: rest.join(':') };
      });
    return { ...this.#account(user), links };
  }

  async adminIdentities(): Promise<PlatformIdentity[]> {
    const out: PlatformIdentity[] = [];
    for (const [key, id] of this.links) {
      if (!(await this.isAdmin(id))) continue;
      const [platform, ...rest] = key.split(':');
      out.push({ platform: platform as Platform, platformUserId: rest.join(':') });
    }
    return out;
  }

  /* ------------------------------------------------------------------ internals -------------------------------- */

  #user(id: number): MemoryUser {
    const user = this.users.get(id);
    if (!user) throw new RelayError('not_found', `no user #${id}`);
    return user;
  }

  #botUser(user: MemoryUser): BotUser {
    return { id: user.id, username: user.username, role: user.role };
  }

  #account(user: MemoryUser): AccountInfo {
    const { autoTitle: _a, chatModel: _c, ...account } = user;
    return { ...account };
  }

  #conversation(id: number): MemoryConversation {
    const conversation = this.conversations.find((c) => c.id === id);
    if (!conversation) throw new RelayError('not_found', `no conversation #${id}`);
    return conversation;
  }

  #startConversation(key: ConversationKey, model: string): MemoryConversation {
    const conversation: MemoryConversation = { id: this.#nextId++, key: convKey(key), active: true, model, title: null, messages: [] };
    this.conversations.push(conversation);
    return conversation;
  }

  #log(userId: number, entry: Partial<LogEntry>): void {
    this.logs.push({
      userId,
      createdAt: new Date().toISOString(),
      type: 'consume',
      model: '',
      promptTokens: 0,
      completionTokens: 0,
      quota: 0,
      status: 'ok',
      source: 'api',
      content: '',
      ...entry,
    });
  }
}

function convKey(key: ConversationKey): string {
  return `${key.platform}:${key.chatId}:${key.userId}`;
}

function snapshot(c: MemoryConversation): Conversation {
  return { id: c.id, model: c.model, title: c.title, messages: c.messages.map((m) => ({ ...m })) };
}
