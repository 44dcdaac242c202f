// Reads the source and the target and decides, row by row, what the import will write: nothing is written here, so a
// dry run prints exactly what a real run would do. apply.ts then writes the plan.
import { createHash } from 'node:crypto';
import type { Prisma } from '../db/client.js';
import { hashSecret, visiblePrefix } from '../auth/secrets.js';
import { isBcryptHash } from '../auth/passwords.js';
import { GROUP_NAME_PATTERN, DEFAULT_GROUP } from '../services/groups.js';
import { usernameProblem } from '../services/users.js';
import { isIpOrCidr } from '../services/tokens.js';
import { typeNeedsKey } from '../services/channel-types.js';
import type { ChannelInput } from '../services/channels.js';
import type { Options, OptionsStore } from '../services/options.js';
import { Pricing } from '../billing/pricing.js';
import { mapChannelType, type ServedType } from './channel-types.js';
import { fitDecimal } from './numbers.js';
import { listSome, type ImportReport, type Table } from './report.js';
import {
  detectVariant,
  readChannel,
  readOptions,
  readRedemption,
  readToken,
  readUser,
  type SourceChannel,
  type SourceRedemption,
  type SourceToken,
  type SourceUser,
  type Variant,
} from './rows.js';
import { ImportUsageError, type SourceDb } from './source.js';
import { loadRecord, type ImportRecord } from './record.js';

export interface ImportFlags {
  dryRun: boolean;
  merge: boolean;
  logs: boolean;
  /** Round prices that do not fit relay-station's decimals up to the nearest that does, instead of leaving them out. */
  roundPrices: boolean;
}

export type Progress = (stage: string, done: number, total: number) => void;

export interface PlannedGroup {
  name: string;
  ratio: string;
  description: string;
  userSelectable: boolean;
}

export interface PlannedUser {
  sourceId: number;
  username: string;
  passwordHash: string | null;
  role: 'user' | 'admin';
  status: 'enabled' | 'disabled';
  group: string;
  quota: bigint;
  usedQuota: bigint;
  requestCount: number;
  createdAt: Date | null;
  /** The source's root, merged into relay-station's own root account. */
  intoRoot: boolean;
}

export interface PlannedChannel {
  sourceId: number;
  label: string;
  input: ChannelInput & { name: string; type: string; models: string[] };
}

export interface PlannedToken {
  sourceId: number;
  sourceUserId: number;
  data: {
    name: string;
    keyHash: string;
    keyPrefix: string;
    remainQuota: bigint;
    unlimited: boolean;
    usedQuota: bigint;
    expiresAt: Date | null;
    models: string;
    allowIps: string;
    group: string | null;
    status: string;
    createdAt: Date | undefined;
    lastUsedAt: Date | null;
  };
}

export interface PlannedRedemption {
  sourceCreatorId: number;
  sourceRedeemerId: number;
  data: {
    name: string;
    codeHash: string;
    codePrefix: string;
    quota: bigint;
    status: string;
    redeemedAt: Date | null;
    createdAt: Date | undefined;
  };
}

export interface Plan {
  variant: Variant;
  fingerprint: string;
  record: ImportRecord;
  groups: { create: PlannedGroup[]; update: PlannedGroup[] };
  options: Partial<Options>;
  users: PlannedUser[];
  channels: PlannedChannel[];
  tokens: PlannedToken[];
  redemptions: PlannedRedemption[];
  logs: { total: number; afterId: number };
  rootId: number;
}

const GROUP_NAME = new RegExp(GROUP_NAME_PATTERN);
const GROUP_PLACES = 6;
const PRICE_PLACES = 9;
/** one-api's built-in GroupRatio, in force when the option was never saved. */
const DEFAULT_GROUP_RATIOS: Record<string, number> = { default: 1, vip: 1, svip: 1 };

async function readAll<T>(
  source: SourceDb,
  table: string,
  read: (row: Record<string, unknown>) => T,
  progress: Progress | undefined,
): Promise<T[]> {
  const total = await source.count(table);
  const out: T[] = [];
  for await (const batch of source.batches(table, 1000)) {
    for (const row of batch) out.push(read(row));
    progress?.(`reading ${table}`, out.length, total);
  }
  return out;
}

/** Identifies the source instance whatever URL it is reached by: its kind and its first accounts. */
function fingerprintOf(variant: Variant, users: SourceUser[]): string {
  const first = users.slice(0, 20).map((u) => `${u.id}:${u.username}`).join(',');
  return createHash('sha256').update(`${variant}|${first}`).digest('hex').slice(0, 16);
}

export async function buildPlan(
  source: SourceDb,
  prisma: Prisma,
  currentOptions: Readonly<Options>,
  flags: ImportFlags,
  report: ImportReport,
  progress?: Progress,
): Promise<Plan> {
  const { variant, tables } = await detectVariant(source);
  const sourceOptions = await readOptions(source, tables);
  const users = await readAll(source, 'users', readUser, progress);
  const tokens = await readAll(source, 'tokens', (r) => readToken(r, variant), progress);
  const channels = await readAll(source, 'channels', readChannel, progress);
  const redemptions = tables.has('redemptions') ? await readAll(source, 'redemptions', readRedemption, progress) : [];

  const fingerprint = fingerprintOf(variant, users);
  const record = await loadRecord(prisma, fingerprint, variant, source.label);
  const root = await prisma.user.findFirst({ where: { role: 'root' }, orderBy: { id: 'asc' } });
  if (!root) throw new ImportUsageError('the target database has no root user; start relay-station once, then import');
  const others = await prisma.user.count({ where: { role: { not: 'root' } } });
  if (others > 0 && !flags.merge && !record.resumable) {
    throw new ImportUsageError(
      record.finishedAt
        ? `this ${variant} database was already imported on ${record.finishedAt}; use --merge to bring in what was added since`
        : `the target database already has ${others} user(s); import into a fresh database, or add --merge (see docs/migrating.md)`,
    );
  }
  if (record.resumable) report.map('users', `resuming the import started on ${record.startedAt}: rows already imported are skipped`);

  const ctx = new PlanContext(variant, flags, report, prisma, record);
  await ctx.planGroups(sourceOptions, users, tokens, channels);
  ctx.planOptions(sourceOptions, currentOptions, await prisma.option.findMany({ select: { key: true } }));
  const plannedUsers = await ctx.planUsers(users, root);
  const plannedChannels = ctx.planChannels(channels);
  ctx.checkPrices(plannedChannels, currentOptions);
  const plannedTokens = await ctx.planTokens(tokens, plannedUsers);
  const plannedRedemptions = await ctx.planRedemptions(redemptions);

  const logsAfterId = record.logsAfterId;
  let logsTotal = 0;
  if (tables.has('logs')) {
    logsTotal = await source.count('logs', logsAfterId);
    report.source('logs', logsTotal);
    if (!flags.logs && logsTotal > 0) report.omit('logs', `${logsTotal} log rows not imported (add --logs to bring them in)`);
    if (flags.logs && flags.dryRun) report.imported('logs', logsTotal);
  }
  return {
    variant,
    fingerprint,
    record,
    groups: ctx.groups,
    options: ctx.options,
    users: plannedUsers,
    channels: plannedChannels,
    tokens: plannedTokens,
    redemptions: plannedRedemptions,
    logs: { total: logsTotal, afterId: logsAfterId },
    rootId: root.id,
  };
}

/** What the import has decided so far, shared by the per-table planners. */
class PlanContext {
  readonly groups: Plan['groups'] = { create: [], update: [] };
  readonly options: Partial<Options> = {};
  /** source group name → relay-station group name */
  readonly #groupNames = new Map<string, string>();
  /** source user id → planned (or already imported) user, for tokens and codes */
  readonly #owners = new Set<number>();

  constructor(
    readonly variant: Variant,
    readonly flags: ImportFlags,
    readonly report: ImportReport,
    readonly prisma: Prisma,
    readonly record: ImportRecord,
  ) {}

  /* ------------------------------------------------------------ groups */

  groupName(source: string): string {
    return this.#groupNames.get(source.trim() || DEFAULT_GROUP) ?? DEFAULT_GROUP;
  }

  async planGroups(options: Map<string, string>, users: SourceUser[], tokens: SourceToken[], channels: SourceChannel[]) {
    const raw = options.get('GroupRatio');
    const ratios = raw === undefined ? { ...DEFAULT_GROUP_RATIOS } : parseJsonMap(raw);
    if (ratios === undefined) {
      this.report.problem(`option GroupRatio is not valid JSON; fix it in ${this.variant} first`);
      return;
    }
    // new-api: the groups users may pick themselves, with their descriptions.
    const usable = this.variant === 'new-api' ? parseJsonMap(options.get('UserUsableGroups') ?? '') : undefined;
    const referenced = new Set<string>([
      ...users.map((u) => u.group),
      ...tokens.map((t) => t.group).filter((g) => g && g !== 'auto'),
      ...channels.flatMap((c) => c.groups),
    ]);
    const names = [...new Set([...Object.keys(ratios), ...referenced])].filter((g) => g.trim() !== '');
    const existing = new Map((await this.prisma.group.findMany()).map((g) => [g.name, g]));
    const taken = new Set([...existing.keys(), ...names.filter((n) => GROUP_NAME.test(n))]);
    let renamed = 0;
    this.report.source('groups', names.length);
    for (const name of names) {
      let target = name;
      if (!GROUP_NAME.test(name)) {
        do target = `group-${++renamed}`;
        while (taken.has(target));
        taken.add(target);
        this.report.map('groups', `"${name}" is now "${target}" (group names are letters, digits, "_", "." or "-")`);
      }
      this.#groupNames.set(name, target);
      const value = ratios[name] ?? 1;
      if (!(name in ratios)) this.report.map('groups', `"${name}" has no ratio in GroupRatio: created with ratio 1, as ${this.variant} charged it`);
      const ratio = this.fit('groups', `group "${name}" ratio`, value, GROUP_PLACES, true);
      if (ratio === undefined) continue;
      const planned: PlannedGroup = {
        name: target,
        ratio,
        description: typeof usable?.[name] === 'string' ? (usable[name] as string) : '',
        // one-api has no way for users to pick a group; new-api lists the ones they may pick.
        userSelectable: usable ? name in usable : target === DEFAULT_GROUP,
      };
      const current = existing.get(target);
      if (current?.ratio === planned.ratio) this.report.present('groups');
      if (!current) {
        this.groups.create.push(planned);
        this.report.imported('groups');
      } else if (current.ratio !== planned.ratio) {
        if (this.flags.merge && !this.record.resumable) {
          this.report.present('groups');
          this.report.omit('groups', `"${target}" already exists with ratio ${current.ratio}; kept (source: ${planned.ratio})`);
        } else {
          this.groups.update.push({ ...planned, description: current.description || planned.description, userSelectable: current.userSelectable });
          this.report.imported('groups');
        }
      }
    }
    if (this.variant === 'one-api') this.report.map('groups', 'users could not pick groups in one-api: only "default" is user-selectable');
    const groupGroup = options.get('GroupGroupRatio');
    if (groupGroup && Object.keys(parseJsonMap(groupGroup) ?? {}).length > 0) {
      this.report.omit('groups', 'GroupGroupRatio (a ratio per user group × token group) has no equivalent; tokens use their group\'s ratio');
    }
  }

  /**
   * A ratio or price as relay-station stores it. Too many decimals: reported, and left out unless --round-prices
   * (then rounded up, so no one is charged less). `required` ones (groups) stop the import instead of being left out.
   */
  fit(table: Table, what: string, value: unknown, places: number, required = false): string | undefined {
    const fit = fitDecimal(value, places);
    if (fit.kind === 'exact') return fit.value;
    if (fit.kind === 'invalid') {
      if (required) this.report.problem(`${what} is ${fit.reason} (${String(value)})`);
      else this.report.omit(table, `${what}: ${String(value)} is ${fit.reason}`);
      return undefined;
    }
    if (this.flags.roundPrices) {
      this.report.map(table, `${what} ${String(value)} rounded up to ${fit.roundedUp} (at most ${places} decimals)`);
      return fit.roundedUp;
    }
    const line = `${what} ${String(value)} has more than ${places} decimals`;
    if (required) this.report.problem(`${line}; fix it in the source or pass --round-prices (rounds up to ${fit.roundedUp})`);
    else this.report.omit(table, `${line}: not imported (--round-prices would use ${fit.roundedUp})`);
    return undefined;
  }

  /* ------------------------------------------------------------ options */

  planOptions(options: Map<string, string>, current: Readonly<Options>, rows: { key: string }[]) {
    const setInTarget = new Set(rows.map((r) => r.key));
    const keepTarget = this.flags.merge && !this.record.resumable;
    const maps: [string, 'modelRatios' | 'completionRatios' | 'modelPrices' | 'cacheReadRatios' | 'cacheWriteRatios'][] = [
      ['ModelRatio', 'modelRatios'],
      ['CompletionRatio', 'completionRatios'],
      ['ModelPrice', 'modelPrices'],
      ['CacheRatio', 'cacheReadRatios'],
      ['CreateCacheRatio', 'cacheWriteRatios'],
    ];
    this.report.source('options', options.size);
    for (const [key, target] of maps) {
      const raw = options.get(key);
      if (raw === undefined) {
        if (key === 'ModelRatio') {
          this.report.map('options', `ModelRatio was never saved in ${this.variant} (it used its built-in prices): relay-station's catalogue applies`);
        }
        continue;
      }
      const entries = parseJsonMap(raw);
      if (entries === undefined) {
        this.report.omit('options', `${key} is not valid JSON: not imported`);
        continue;
      }
      const merged: Record<string, number> = { ...current[target] };
      let count = 0;
      const perChannelType: string[] = [];
      const kept: string[] = [];
      for (const [model, value] of Object.entries(entries)) {
        if (/\(\d+\)$/.test(model)) {
          perChannelType.push(model);
          continue;
        }
        if (keepTarget && model in current[target]) {
          if (current[target][model] !== value) kept.push(model);
          continue;
        }
        const fitted = this.fit('options', `${key} ${model}`, value, PRICE_PLACES);
        if (fitted === undefined) continue;
        merged[model] = Number(fitted);
        count++;
      }
      this.options[target] = merged;
      this.report.imported('options');
      this.report.map('options', `${key} → ${target}: ${count} model(s)`);
      if (perChannelType.length > 0) {
        this.report.omit('options', `${key}: ${perChannelType.length} price(s) for one channel type only (${listSome(perChannelType, 5)}): relay-station prices by model`);
      }
      if (kept.length > 0) this.report.omit('options', `${key}: kept relay-station's own ${target} for ${listSome(kept)}`);
    }

    const scalar = <K extends keyof Options>(sourceKey: string, target: K, value: Options[K] | undefined) => {
      if (value === undefined) return;
      if (keepTarget && setInTarget.has(target)) {
        this.report.omit('options', `${sourceKey}: kept relay-station's own ${target}`);
        return;
      }
      this.options[target] = value;
      this.report.imported('options');
      this.report.map('options', `${sourceKey} → ${target}`);
    };
    const text = (k: string) => options.get(k);
    const flag = (k: string) => (text(k) === undefined ? undefined : text(k) === 'true');
    scalar('TopUpLink', 'topUpLink', text('TopUpLink'));
    const retry = text('RetryTimes');
    if (retry !== undefined && /^\d+$/.test(retry.trim())) {
      if (Number(retry) > 10) this.report.map('options', `RetryTimes ${retry} capped at 10`);
      scalar('RetryTimes', 'retryCount', Math.min(Number(retry), 10));
    }
    scalar('AutomaticDisableChannelEnabled', 'autoDisableChannels', flag('AutomaticDisableChannelEnabled'));
    const price = Number(text('Price'));
    if (this.variant === 'new-api' && text('Price') !== undefined && Number.isFinite(price) && price >= 0) {
      scalar('Price', 'exchangeRate', price);
    }
    if (this.variant === 'new-api' && flag('CheckSensitiveEnabled') && flag('CheckSensitiveOnPromptEnabled') !== false) {
      const words = [...new Set((text('SensitiveWords') ?? '').split(/\r?\n/).map((w) => w.trim()).filter((w) => w && w.length <= 200))];
      scalar('SensitiveWords', 'prohibitedWords', words.slice(0, 10_000));
    }
    const perUnit = Number(text('QuotaPerUnit') ?? '500000');
    if (options.has('QuotaPerUnit')) this.report.imported('options');
    if (perUnit !== 500_000) {
      this.report.attend(
        `QuotaPerUnit was ${text('QuotaPerUnit')}: balances and prices keep their quota units (same tokens per unit), but relay-station shows 500,000 units as 1 USD`,
      );
    }
    for (const k of ['ImageRatio', 'AudioRatio', 'AudioCompletionRatio']) {
      if (Object.keys(parseJsonMap(text(k) ?? '') ?? {}).length > 0) this.report.omit('options', `${k}: no equivalent (token prices only)`);
    }
    const used = new Set([
      ...maps.map(([k]) => k),
      ...['GroupRatio', 'UserUsableGroups', 'GroupGroupRatio', 'TopUpLink', 'RetryTimes', 'AutomaticDisableChannelEnabled', 'Price'],
      ...['CheckSensitiveEnabled', 'CheckSensitiveOnPromptEnabled', 'SensitiveWords', 'QuotaPerUnit'],
      ...['ImageRatio', 'AudioRatio', 'AudioCompletionRatio'],
    ]);
    const rest = [...options.keys()].filter((k) => !used.has(k)).sort();
    for (const k of ['GroupRatio', 'UserUsableGroups']) if (options.has(k)) this.report.imported('options');
    for (let i = 0; i < rest.length; i++) this.report.skip('options');
    if (rest.length > 0) this.report.omit('options', `${rest.length} other setting(s) have no equivalent: ${listSome(rest, 10)}`);
  }

  /** Models that the imported channels serve but that have no price: relay-station refuses them until priced. */
  checkPrices(channels: PlannedChannel[], current: Readonly<Options>) {
    const merged = { ...current, ...this.options } as Options;
    // Pricing only reads `current` and subscribes to changes: a fixed snapshot is enough here.
    const pricing = new Pricing({ current: merged, onChange: () => () => {} } as unknown as OptionsStore);
    const unpriced = [...new Set(channels.flatMap((c) => c.input.models))].filter((m) => !pricing.find(m)).sort();
    if (unpriced.length > 0) {
      this.report.attend(`${unpriced.length} model(s) on imported channels have no price and will be refused until priced (options modelRatios): ${listSome(unpriced, Infinity)}`);
    }
  }

  /* ------------------------------------------------------------ users */

  async planUsers(users: SourceUser[], root: { id: number; username: string }): Promise<PlannedUser[]> {
    this.report.source('users', users.length);
    const taken = new Set((await this.prisma.user.findMany({ select: { username: true } })).map((u) => u.username));
    const alive = new Set(
      (await this.prisma.user.findMany({ where: { id: { in: [...this.record.users.values()] } }, select: { id: true } })).map((u) => u.id),
    );
    const planned: PlannedUser[] = [];
    const mustReset: string[] = [];
    const odd: string[] = [];
    const clamped: string[] = [];
    let bcrypt = 0;
    let mergedRoot = false;
    for (const u of users) {
      if (u.deleted || u.status === 3) {
        this.report.skip('users', `#${u.id} "${u.username}" was deleted in ${this.variant}`);
        continue;
      }
      const already = this.record.users.get(u.id);
      if (already !== undefined) {
        if (alive.has(already)) {
          this.#owners.add(u.id);
          this.report.present('users');
        } else this.report.skip('users', `#${u.id} "${u.username}" was imported before and deleted in relay-station since: not brought back`);
        continue;
      }
      if (!u.username.trim()) {
        this.report.skip('users', `#${u.id} has no username`);
        continue;
      }
      const intoRoot = u.role >= 100 && !mergedRoot && !this.flags.merge;
      let username = u.username;
      if (intoRoot) {
        mergedRoot = true;
        taken.delete(root.username);
        this.report.map('users', `${this.variant}'s root "${u.username}" (#${u.id}) is merged into relay-station's root account: its username, password, balance and tokens`);
      } else if (taken.has(username)) {
        let n = 2;
        while (taken.has(`${u.username}-${n}`)) n++;
        username = `${u.username}-${n}`;
        this.report.map('users', `"${u.username}" (#${u.id}) already exists in relay-station: imported as "${username}"`);
      }
      taken.add(username);
      if (usernameProblem(username)) odd.push(username);
      let passwordHash: string | null = null;
      if (isBcryptHash(u.password)) {
        passwordHash = u.password;
        bcrypt++;
      } else mustReset.push(username);
      const quota = u.quota < 0n ? 0n : u.quota;
      if (u.quota < 0n) clamped.push(`${username} (${u.quota})`);
      planned.push({
        sourceId: u.id,
        username,
        passwordHash,
        role: u.role >= 10 ? 'admin' : 'user',
        status: u.status === 1 ? 'enabled' : 'disabled',
        group: this.groupName(u.group),
        quota,
        usedQuota: u.usedQuota < 0n ? 0n : u.usedQuota,
        requestCount: u.requestCount,
        createdAt: u.createdAt,
        intoRoot,
      });
      this.#owners.add(u.id);
      this.report.imported('users');
    }
    this.report.map('users', `roles: root (100) → ${this.flags.merge ? 'admin' : 'root'}, admin (10) → admin, common (1) → user; balances, used quota and request counts as they were (500,000 units = 1 USD in both)`);
    if (bcrypt > 0) this.report.map('users', `${bcrypt} bcrypt password(s) carried over: they work as before and are re-hashed at the first login`);
    if (mustReset.length > 0) {
      this.report.attend(`these users have no password relay-station can check (OAuth sign-in or an unknown hash) and must have one set by an admin: ${listSome(mustReset, Infinity)}`);
    }
    if (odd.length > 0) this.report.attend(`usernames kept as they were although relay-station would not accept them for new accounts: ${listSome(odd, Infinity)}`);
    if (clamped.length > 0) this.report.attend(`negative balances set to 0 (relay-station never goes below 0): ${listSome(clamped, Infinity)}`);
    if (users.some((u) => u.displayName && u.displayName !== u.username)) {
      this.report.omit('users', 'display names, e-mail addresses and OAuth links (GitHub, WeChat, …) have no field in relay-station');
    }
    return planned;
  }

  /* ------------------------------------------------------------ channels */

  planChannels(channels: SourceChannel[]): PlannedChannel[] {
    this.report.source('channels', channels.length);
    const planned: PlannedChannel[] = [];
    const byType = new Map<string, number>();
    const extras = { systemPrompt: 0, overrides: 0, disabledKeys: 0, azureDots: 0 };
    for (const c of channels) {
      const label = `#${c.id} "${c.name}"`;
      if (this.record.channels.has(c.id)) {
        this.report.present('channels');
        continue;
      }
      const mapping = mapChannelType(this.variant, c.type);
      if (mapping.type === undefined) {
        this.report.skip('channels', `${label}: type ${c.type} (${mapping.name}) is not served: ${mapping.reason}`);
        continue;
      }
      const why = this.channelProblem(c, mapping);
      if (why) {
        this.report.skip('channels', `${label}: ${why}`);
        continue;
      }
      const modelMapping = parseStringMap(c.modelMapping);
      if (modelMapping === undefined) this.report.omit('channels', `${label}: model_mapping is not a JSON object of names: left out`);
      const mappingOut = { ...(modelMapping ?? {}) };
      const config: Record<string, unknown> = {};
      if (mapping.type === 'azure') {
        // one-api/new-api name the deployment after the model without dots (gpt-3.5-turbo → gpt-35-turbo).
        for (const model of c.models) {
          const upstream = mappingOut[model] ?? model;
          if (upstream.includes('.')) {
            mappingOut[model] = upstream.replace(/\./g, '');
            extras.azureDots++;
          }
        }
        const version = String(c.config.api_version ?? '').trim() || c.other;
        if (version) config.apiVersion = version;
        else this.report.omit('channels', `${label}: no Azure api-version set; relay-station's default applies`);
      }
      if (c.status === 3) this.report.attend(`channel ${label} was auto-disabled in ${this.variant}: imported disabled; test it and enable it`);
      if (c.systemPrompt) extras.systemPrompt++;
      if (c.paramOverride || c.headerOverride) extras.overrides++;
      extras.disabledKeys += c.disabledKeys;
      planned.push({
        sourceId: c.id,
        label,
        input: {
          name: c.name || `channel ${c.id}`,
          type: mapping.type,
          baseUrl: this.baseUrlOf(c, mapping),
          keys: c.keys,
          models: c.models,
          modelMapping: mappingOut,
          groups: c.groups.length > 0 ? [...new Set(c.groups.map((g) => this.groupName(g)))] : [DEFAULT_GROUP],
          priority: Math.max(-2_147_483_648, Math.min(2_147_483_647, c.priority)),
          // one-api picks uniformly among the top priority (weight unused); new-api picks in proportion to weight.
          weight: this.variant === 'one-api' ? 1 : Math.max(0, Math.min(1000, c.weight)),
          config,
          status: c.status === 1 ? 'enabled' : 'disabled',
        },
      });
      const kind = `type ${c.type} (${mapping.name}) → ${mapping.type}${mapping.note ? `, ${mapping.note}` : ''}`;
      byType.set(kind, (byType.get(kind) ?? 0) + 1);
      this.report.imported('channels');
    }
    for (const [kind, n] of byType) this.report.map('channels', `${kind}: ${n}`);
    this.report.map('channels', `priority kept (highest first in both); weight: ${this.variant === 'one-api' ? 'one-api ignores it, so every channel gets 1' : "new-api's weight, 0–1000"}`);
    if (extras.azureDots > 0) this.report.map('channels', `${extras.azureDots} Azure model(s) mapped to their deployment name without dots, as ${this.variant} called them`);
    if (extras.disabledKeys > 0) this.report.omit('channels', `${extras.disabledKeys} key(s) disabled in multi-key channels were left out`);
    if (extras.systemPrompt > 0) this.report.omit('channels', `${extras.systemPrompt} channel system prompt(s): no equivalent`);
    if (extras.overrides > 0) this.report.omit('channels', `${extras.overrides} channel parameter/header override(s): no equivalent`);
    return planned;
  }

  baseUrlOf(c: SourceChannel, mapping: ServedType): string | undefined {
    let base = (c.baseUrl || mapping.defaultBaseUrl || '').replace(/\/+$/, '');
    if (!base) return undefined;
    if (mapping.stripPath && base.endsWith(mapping.stripPath)) base = base.slice(0, -mapping.stripPath.length);
    return base + (mapping.basePath ?? '');
  }

  channelProblem(c: SourceChannel, mapping: ServedType): string | undefined {
    if (c.models.length === 0) return 'has no models';
    if (c.keys.length === 0 && typeNeedsKey(mapping.type)) return 'has no key';
    if (mapping.stripPath && c.baseUrl && !c.baseUrl.replace(/\/+$/, '').endsWith(mapping.stripPath)) {
      return `its URL is not a base URL relay-station can use (expected …${mapping.stripPath})`;
    }
    const base = this.baseUrlOf(c, mapping);
    if (base === undefined) return mapping.type === 'azure' || mapping.type === 'custom' ? 'has no base URL' : undefined;
    try {
      const url = new URL(base);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return `its base URL is ${url.protocol}, not http(s)`;
    } catch {
      return 'its base URL is not a valid URL';
    }
    return undefined;
  }

  /* ------------------------------------------------------------ tokens */

  async planTokens(tokens: SourceToken[], users: PlannedUser[]): Promise<PlannedToken[]> {
    this.report.source('tokens', tokens.length);
    const planned: PlannedToken[] = [];
    const existing = await this.existing(tokens.map((t) => hashSecret(`sk-${t.key}`)), (chunk) =>
      this.prisma.token.findMany({ where: { keyHash: { in: chunk } }, select: { keyHash: true } }).then((r) => r.map((x) => x.keyHash)),
    );
    const owners = new Set([...users.map((u) => u.sourceId), ...this.#owners]);
    let orphans = 0;
    let deleted = 0;
    const notes = { auto: 0, noModels: 0, badIps: 0, lockedIps: 0, disabled: 0 };
    for (const t of tokens) {
      if (t.deleted) {
        deleted++;
        this.report.skip('tokens');
        continue;
      }
      if (!owners.has(t.userId)) {
        orphans++;
        this.report.skip('tokens');
        continue;
      }
      if (!t.key) {
        this.report.skip('tokens', `#${t.id} has no key`);
        continue;
      }
      const fullKey = `sk-${t.key}`;
      const keyHash = hashSecret(fullKey);
      if (existing.has(keyHash)) {
        this.report.present('tokens');
        continue;
      }
      let status = tokenStatus(t);
      if (status === 'disabled') notes.disabled++;
      let group: string | null = null;
      if (t.group === 'auto') notes.auto++;
      else if (t.group) group = this.groupName(t.group);
      if (t.models !== null && t.models.length === 0) {
        status = 'disabled';
        notes.noModels++;
      }
      const ips = t.allowIps.filter(isIpOrCidr);
      if (ips.length < t.allowIps.length) {
        notes.badIps++;
        if (ips.length === 0) {
          // Keeping none would open the key to every address; the source let no one in either.
          status = 'disabled';
          notes.lockedIps++;
        }
      }
      planned.push({
        sourceId: t.id,
        sourceUserId: t.userId,
        data: {
          name: (t.name.trim() || `token ${t.id}`).slice(0, 64),
          keyHash,
          keyPrefix: visiblePrefix(fullKey),
          remainQuota: t.remainQuota < 0n ? 0n : t.remainQuota,
          unlimited: t.unlimited,
          usedQuota: t.usedQuota < 0n ? 0n : t.usedQuota,
          expiresAt: t.expiresAt,
          models: JSON.stringify((t.models ?? []).filter((m) => m.length <= 200)),
          allowIps: JSON.stringify(ips),
          group,
          status,
          createdAt: t.createdAt ?? undefined,
          lastUsedAt: t.accessedAt,
        },
      });
      this.report.imported('tokens');
    }
    this.report.map('tokens', 'every key works unchanged as "sk-" + the stored key (only its SHA-256 is kept); remaining quota or unlimited, expiry, model limits, allowed IPs and status as they were');
    if (deleted > 0) this.report.omit('tokens', `${deleted} deleted token(s)`);
    if (orphans > 0) this.report.omit('tokens', `${orphans} token(s) of users that were not imported (deleted)`);
    if (notes.disabled > 0) this.report.map('tokens', `${notes.disabled} disabled or used-up token(s) imported disabled`);
    if (notes.auto > 0) this.report.map('tokens', `${notes.auto} token(s) in new-api's "auto" group use their owner's group`);
    if (notes.noModels > 0) this.report.map('tokens', `${notes.noModels} token(s) allowed no model at all: imported disabled`);
    if (notes.badIps > 0) {
      this.report.omit('tokens', `${notes.badIps} token(s) had IP entries that are not an IP or CIDR: dropped${notes.lockedIps ? `; ${notes.lockedIps} with none left were imported disabled` : ''}`);
    }
    return planned;
  }

  /** Which of `values` already exist in the target, asked in chunks. */
  async existing(values: string[], ask: (chunk: string[]) => Promise<string[]>): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < values.length; i += 500) for (const v of await ask(values.slice(i, i + 500))) found.add(v);
    return found;
  }

  /* ------------------------------------------------------------ redemption codes */

  async planRedemptions(codes: SourceRedemption[]): Promise<PlannedRedemption[]> {
    this.report.source('redemptions', codes.length);
    const existing = await this.existing(codes.map((c) => hashSecret(c.key)), (chunk) =>
      this.prisma.redemption.findMany({ where: { codeHash: { in: chunk } }, select: { codeHash: true } }).then((r) => r.map((x) => x.codeHash)),
    );
    const planned: PlannedRedemption[] = [];
    const now = Date.now();
    let expired = 0;
    let deleted = 0;
    const expiring: string[] = [];
    for (const c of codes) {
      const codeHash = hashSecret(c.key);
      if (existing.has(codeHash)) {
        this.report.present('redemptions');
        continue;
      }
      if (c.deleted || !c.key) {
        if (c.deleted) deleted++;
        this.report.skip('redemptions', c.deleted ? undefined : `#${c.id} has no code`);
        continue;
      }
      let status = c.status === 3 ? 'redeemed' : c.status === 1 ? 'unused' : 'disabled';
      if (status === 'unused' && c.expiresAt) {
        if (c.expiresAt.getTime() < now) {
          status = 'disabled';
          expired++;
        } else expiring.push(`#${c.id} (${c.expiresAt.toISOString().slice(0, 10)})`);
      }
      planned.push({
        sourceCreatorId: c.creatorId,
        sourceRedeemerId: c.redeemedBy,
        data: {
          name: c.name || 'imported',
          codeHash,
          codePrefix: visiblePrefix(c.key),
          quota: c.quota < 0n ? 0n : c.quota,
          status,
          redeemedAt: status === 'redeemed' ? c.redeemedAt : null,
          createdAt: c.createdAt ?? undefined,
        },
      });
      this.report.imported('redemptions');
    }
    this.report.map('redemptions', 'codes keep working as they are (stored as their SHA-256); unused → unused, used → redeemed, disabled → disabled');
    if (expired > 0) this.report.map('redemptions', `${expired} expired code(s) imported disabled`);
    if (deleted > 0) this.report.omit('redemptions', `${deleted} deleted code(s)`);
    if (expiring.length > 0) {
      this.report.attend(`relay-station codes do not expire: disable these by their ${this.variant} expiry date: ${listSome(expiring, Infinity)}`);
    }
    return planned;
  }
}

function tokenStatus(t: SourceToken): 'enabled' | 'disabled' {
  if (t.status === 1) return 'enabled';
  // Expired or used up: kept enabled when relay-station refuses it for the same reason (and lifts that the same way).
  if (t.status === 3 && t.expiresAt && t.expiresAt.getTime() <= Date.now()) return 'enabled';
  if (t.status === 4 && !t.unlimited && t.remainQuota <= 0n) return 'enabled';
  return 'disabled';
}

function parseJsonMap(text: string): Record<string, unknown> | undefined {
  if (!text.trim()) return {};
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function parseStringMap(text: string): Record<string, string> | undefined {
  const map = parseJsonMap(text);
  if (map === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const [from, to] of Object.entries(map)) {
    if (typeof to === 'string' && from.trim() && to.trim()) out[from.trim()] = to.trim();
  }
  return out;
}
