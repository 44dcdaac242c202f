// An in-memory BotBackend for fast core and adapter tests (a test double: it lives in test/, never in dist/). It keeps
// the relay's rules that the bot relies on (ownership, selectable groups, one-time codes, billing a chat call and
// logging it, history trimming) without a database, using the relay's own pricing, cost function and refusal words
// where it can. The shared bot suite (core-suite.ts) runs against it and against the real relay backend, so the two
// cannot drift apart. The model's answers are scripted per test with `answer(...)`.
import { RelayError } from '../../src/errors.js';
import { parseDecimal } from '../../src/billing/decimal.js';
import { costOf } from '../../src/billing/cost.js';
import { reservationRange } from '../../src/billing/allowance.js';
import { outputAskOf } from '../../src/relay/estimate.js';
import { Pricing } from '../../src/billing/pricing.js';
import { priceInGroup } from '../../bots/core/price.js';
import { countChatPrompt } from '../../src/billing/tokenizer.js';
import { quotaShortError } from '../../src/billing/ledger.js';
import { usernameProblem } from '../../src/services/users.js';
import type { ChatCallInput, ChatCallResult } from '../../src/relay/chat.js';
import { signInUrl, SIGN_IN_LINK_TTL_MS } from '../../src/services/sign-in-links.js';
import type { Lang } from '../../bots/core/i18n/index.js';
import type {
  AccountInfo,
  AdminActor,
  BotBackend,
  ChatKey,
  ChannelTestInfo,
  SignInLink,
  UsageSummary,
  UsageWindow,
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
} from '../../bots/core/backend.js';
import { DEFAULT_OPTIONS, type Options } from '../../src/services/options.js';
import type { Platform } from '../../bots/core/types.js';

interface MemoryUser extends AccountInfo {
  autoTitle: boolean | null;
  receipts: boolean | null;
  chatModel: string | null;
}

interface MemoryChatState {
  chatMode: boolean;
  choices: string[];
  choicesAt: number;
  pendingReply: string | null;
}

interface MemoryGroup extends GroupInfo {
  userSelectable: boolean;
  models: string[];
}

interface MemoryConversation extends Conversation {
  key: string;
  active: boolean;
}

/**
 * What the scripted model answers: the pieces stream one by one (with `delayMs` between them), billed for `usage`
 * (default: 10 prompt tokens and one completion token per character). `cutAfter`: the stream breaks after that many
 * pieces, as an upstream that closes early.
 */
export interface ScriptedAnswer {
  deltas: string[];
  delayMs?: number;
  usage?: { prompt: number; completion: number };
  cutAfter?: number;
}

export type AnswerScript = (input: ChatCallInput) => ScriptedAnswer | Promise<ScriptedAnswer>;

export class MemoryBackend implements BotBackend {
  /** The admin options (prices included), with the relay's own defaults. */
  options: Options = { ...DEFAULT_OPTIONS };
  readonly users = new Map<number, MemoryUser>();
  readonly links = new Map<string, number>();
  readonly tokens = new Map<number, TokenInfo & { userId: number }>();
  readonly groups = new Map<string, MemoryGroup>();
  readonly channels = new Map<number, ChannelInfo>();
  readonly conversations: MemoryConversation[] = [];
  readonly logs: Array<LogEntry & { userId: number }> = [];
  readonly languages = new Map<string, Lang>();
  readonly chatStates = new Map<string, MemoryChatState>();
  /** Channels whose re-test fails. */
  readonly failingChannels = new Set<number>();
  /** The sign-in codes /web handed out (code → user). */
  readonly signInCodes = new Map<string, number>();
  /** Every chat call, in order (titles included). */
  readonly chatCalls: ChatCallInput[] = [];
  /** The relay's own price resolution (catalogue + this.options). */
  readonly pricing = new Pricing({ current: this.options, onChange: () => () => true });
  #linkCodes = new Map<string, { userId: number; expiresAt: number }>();
  #redemptions = new Map<string, { quota: number; redeemedBy: number | null }>();
  #script: AnswerScript = () => ({ deltas: ['Hello!'] });
  #nextId = 1;

  constructor() {
    this.addGroup({ name: 'default', ratio: '1', description: 'Everyone starts here', userSelectable: true, models: ['gpt-4o-mini'] });
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
      receipts: null,
      chatModel: null,
    });
    return id;
  }

  link(platform: Platform, platformUserId: string, userId: number): void {
    this.links.set(`${platform}:${platformUserId}`, userId);
  }

  issueLinkCode(userId: number, code: string, ttlMs = 600_000): string {
    this.#linkCodes.set(code, { userId, expiresAt: Date.now() + ttlMs });
    return code;
  }

  addRedemption(code: string, quota: number): void {
    this.#redemptions.set(code, { quota, redeemedBy: null });
  }

  addGroup(group: MemoryGroup): void {
    this.groups.set(group.name, group);
  }

  addChannel(channel: Pick<ChannelInfo, 'name' | 'type' | 'status' | 'disabledReason' | 'priority' | 'responseTimeMs'> & Partial<ChannelInfo>): number {
    const id = this.#nextId++;
    this.channels.set(id, { keys: { enabled: 1, total: 1 }, testedAt: null, requests24h: 0, errors24h: 0, lastError: null, ...channel, id });
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
    if (!entry || entry.expiresAt <= Date.now()) throw new RelayError('invalid_code', 'that link code is unknown or expired; create a new one in the web console');
    if (this.links.has(`${platform}:${platformUserId}`)) throw new RelayError('conflict', 'this chat account is already linked to a relay account');
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
    // As the relay backend picks it: the display name when usable and free, else "<platform>_<id>".
    const taken = (name: string) => [...this.users.values()].some((u) => u.username === name);
    const candidates = [displayName.replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 40), `${platform}_${platformUserId}`.replace(/[^A-Za-z0-9_.@-]/g, '').slice(0, 60)];
    const username = candidates.find((name) => !usernameProblem(name) && !taken(name)) ?? `${platform}_${Date.now().toString(36)}`;
    const id = this.addUser({ username, quota: this.options.botNewUserQuota });
    this.link(platform, platformUserId, id);
    return this.#botUser(this.#user(id));
  }

  async getLanguage(platform: Platform, platformUserId: string): Promise<Lang | null> {
    return this.languages.get(`${platform}:${platformUserId}`) ?? null;
  }

  async setLanguage(platform: Platform, platformUserId: string, lang: Lang | null): Promise<void> {
    if (lang === null) this.languages.delete(`${platform}:${platformUserId}`);
    else this.languages.set(`${platform}:${platformUserId}`, lang);
  }

  /* ------------------------------------------------------------------ chat state ------------------------------- */

  async chatMode(key: ChatKey): Promise<boolean> {
    return this.#chatState(key).chatMode;
  }

  async setChatMode(key: ChatKey, on: boolean): Promise<void> {
    this.#chatState(key).chatMode = on;
  }

  async setChoices(key: ChatKey, commands: string[]): Promise<void> {
    Object.assign(this.#chatState(key), { choices: [...commands], choicesAt: Date.now() });
  }

  async takeChoice(key: ChatKey, n: number): Promise<string | null> {
    const state = this.#chatState(key);
    // As the relay backend: offered in the last 10 minutes, and used once.
    if (Date.now() - state.choicesAt > 10 * 60_000) return null;
    const chosen = state.choices[n - 1] ?? null;
    if (chosen !== null) Object.assign(state, { choices: [], choicesAt: 0 });
    return chosen;
  }

  async savePendingReply(key: ChatKey, text: string): Promise<void> {
    const state = this.#chatState(key);
    state.pendingReply = state.pendingReply ? `${state.pendingReply}\n${text}` : text;
  }

  async takePendingReply(key: ChatKey): Promise<string | null> {
    const state = this.#chatState(key);
    const pending = state.pendingReply;
    state.pendingReply = null;
    return pending;
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
    if (!token || token.userId !== userId) throw new RelayError('not_found', `token ${tokenId} not found`);
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
    if (!target) throw new RelayError('invalid_request', `group "${group}" does not exist`, 400, { param: 'group' });
    const user = this.#user(userId);
    const privileged = user.role === 'admin' || user.role === 'root';
    if (user.group !== group && !target.userSelectable && !privileged) {
      throw new RelayError('group_not_allowed', `group "${group}" cannot be chosen; ask an admin`, 403, { param: 'group' });
    }
    user.group = group;
  }

  async redeem(userId: number, code: string, platform: Platform): Promise<{ quota: number; balance: number }> {
    const entry = this.#redemptions.get(code);
    if (!entry) throw new RelayError('invalid_code', 'this redemption code does not exist', 400, { param: 'code' });
    if (entry.redeemedBy !== null) throw new RelayError('already_redeemed', 'this redemption code has already been used', 409, { param: 'code' });
    entry.redeemedBy = userId;
    const user = this.#user(userId);
    user.quota += entry.quota;
    this.#log(userId, { type: 'redeem', quota: entry.quota, source: platform });
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

  async usage(userId: number): Promise<UsageSummary> {
    const now = new Date();
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    const since = (days: number): UsageWindow =>
      this.logs
        .filter((l) => l.userId === userId && (l.type === 'consume' || l.type === 'error') && Date.parse(l.createdAt) >= today - (days - 1) * 86_400_000)
        .reduce((w, l) => ({ requests: w.requests + 1, tokens: w.tokens + l.promptTokens + l.completionTokens, quota: w.quota + l.quota }), { requests: 0, tokens: 0, quota: 0 });
    return { today: since(1), week: since(7), month: since(30) };
  }

  async webSignIn(userId: number): Promise<SignInLink | null> {
    if (!this.options.publicUrl) return null;
    const code = `SIGNIN${this.#nextId++}${'x'.repeat(20)}`;
    this.signInCodes.set(code, userId);
    return { url: signInUrl(this.options.publicUrl, code), expiresAt: new Date(Date.now() + SIGN_IN_LINK_TTL_MS).toISOString() };
  }

  async listModels(userId: number): Promise<string[]> {
    // A model without a price is refused by the relay, so it is not offered.
    return [...(this.groups.get(this.#user(userId).group)?.models ?? [])].filter((m) => this.pricing.find(m) !== undefined).sort();
  }

  async price(model: string, userId: number): Promise<ModelPrice> {
    const user = this.#user(userId);
    const group = this.groups.get(user.group);
    if (!group?.models.includes(model)) throw new RelayError('model_not_found', `${model} is not available in your group (${user.group})`);
    return priceInGroup(this.pricing.resolve(model), group.name, group.ratio);
  }

  /** Admission, a scripted answer, and the charge, by the relay's own price, cost function and refusals. */
  chat = async (input: ChatCallInput): Promise<ChatCallResult> => {
    this.chatCalls.push(input);
    const user = this.#user(input.userId);
    const group = this.groups.get(user.group);
    if (!group?.models.includes(input.model)) {
      const have = [...this.groups.values()].filter((g) => g.models.includes(input.model)).map((g) => g.name);
      if (have.length === 0) throw new RelayError('model_not_found', `model ${input.model} does not exist or is not offered here`);
      throw new RelayError('model_not_in_group', `model ${input.model} is not available in group ${user.group}; groups that have it: ${have.join(', ')}`);
    }
    const price = this.pricing.resolve(input.model);
    const ratio = parseDecimal(group.ratio);
    // The relay's admission: a call runs when the balance pays for its prompt and one output token (billing/allowance.ts).
    const prompt = countChatPrompt(input.messages, input.model).tokens;
    const ask = outputAskOf({ kind: 'chat', chat: { model: input.model, messages: input.messages, max_tokens: input.maxTokens ?? null }, body: {}, model: input.model }, this.options);
    const { least } = reservationRange(price, ratio, prompt, ask, 1);
    if (user.quota < least) throw quotaShortError('account', least, Math.max(0, user.quota));

    const scripted = await this.#script(input);
    let text = '';
    let failure: RelayError | undefined;
    for (const [i, delta] of scripted.deltas.entries()) {
      if (i === scripted.cutAfter) {
        failure = new RelayError('upstream_error', 'upstream (openai) closed the stream before it finished', 502);
        break;
      }
      if (scripted.delayMs) await new Promise((resolve) => setTimeout(resolve, scripted.delayMs));
      text += delta;
      input.onDelta?.(delta);
    }
    const tokens = scripted.usage ?? { prompt: 10, completion: text.length };
    const usage = { promptTokens: tokens.prompt, completionTokens: tokens.completion, cacheReadTokens: 0, cacheWriteTokens: 0 };
    // Charged as far as the balance goes, never below zero (the shortfall is written off).
    const quota = Math.min(costOf(price, ratio, { usage, requests: 1 }), user.quota);
    user.quota -= quota;
    user.usedQuota += quota;
    user.requestCount += 1;
    this.#log(input.userId, {
      type: 'consume',
      model: input.model,
      quota,
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      source: input.source,
      status: failure ? 'error' : 'ok',
      content: failure ? `${failure.code}: ${failure.message}` : '',
    });
    if (failure) throw failure;
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
      receipts: user.receipts ?? this.options.botReceipts,
      visionModel: this.options.botVisionModel,
      chatModel: user.chatModel ?? this.options.botChatModel,
      titleModel: this.options.botTitleModel,
      historyMessages: this.options.botHistoryMessages,
      lowQuotaNotice: user.lowQuotaNotice,
    };
  }

  async updateSettings(userId: number, patch: SettingsPatch): Promise<BotSettings> {
    const user = this.#user(userId);
    if (patch.autoTitle !== undefined) user.autoTitle = patch.autoTitle;
    if (patch.receipts !== undefined) user.receipts = patch.receipts;
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

  async setChannelEnabled(channelId: number, enabled: boolean, actor: AdminActor): Promise<ChannelInfo> {
    const channel = this.#channel(channelId);
    channel.status = enabled ? 'enabled' : 'disabled';
    channel.disabledReason = enabled ? null : 'disabled by an admin';
    this.#audit(actor, channel, enabled ? 'enabled' : 'disabled');
    return { ...channel };
  }

  async retestChannel(channelId: number, actor: AdminActor): Promise<ChannelTestInfo & { channel: ChannelInfo }> {
    const channel = this.#channel(channelId);
    const ok = !this.failingChannels.has(channelId);
    // As the relay's re-test: a passing auto-disabled channel comes back; one an admin disabled stays off.
    if (ok && channel.status === 'auto_disabled') Object.assign(channel, { status: 'enabled', disabledReason: null });
    channel.testedAt = new Date().toISOString();
    this.#audit(actor, channel, `re-tested (${ok ? 'passed' : 'failed'}, now ${channel.status})`);
    return { ok, status: channel.status, responseTimeMs: ok ? 120 : null, failures: ok ? [] : ['sk-ab…wxyz: invalid api key'], channel: { ...channel } };
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

  #channel(id: number): ChannelInfo {
    const channel = this.channels.get(id);
    if (!channel) throw new RelayError('not_found', `channel ${id} does not exist`);
    return channel;
  }

  /** As the relay backend: an admin's channel action is a `manage` row in their usage log. */
  #audit(actor: AdminActor, channel: ChannelInfo, what: string): void {
    this.#log(actor.userId, { type: 'manage', source: actor.platform, content: `channel #${channel.id} "${channel.name}" ${what} by user ${actor.userId} via ${actor.platform}` });
  }

  #chatState(key: ChatKey): MemoryChatState {
    const id = `${key.platform}:${key.chatId}:${key.platformUserId}`;
    let state = this.chatStates.get(id);
    if (!state) {
      state = { chatMode: false, choices: [], choicesAt: 0, pendingReply: null };
      this.chatStates.set(id, state);
    }
    return state;
  }

  #user(id: number): MemoryUser {
    const user = this.users.get(id);
    if (!user) throw new RelayError('not_found', `no user #${id}`);
    return user;
  }

  #botUser(user: MemoryUser): BotUser {
    return { id: user.id, username: user.username, role: user.role };
  }

  #account(user: MemoryUser): AccountInfo {
    const { autoTitle: _a, receipts: _r, chatModel: _c, ...account } = user;
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
