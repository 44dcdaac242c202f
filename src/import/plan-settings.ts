// Groups and prices: GroupRatio (+ new-api's UserUsableGroups) → groups; ModelRatio, CompletionRatio, ModelPrice and
// the cache ratios → options, checked against relay-station's exact-decimal rules; the settings that map.
import type { OptionsStore, Options } from '../services/options.js';
import { GROUP_NAME_PATTERN, DEFAULT_GROUP } from '../services/groups.js';
import { Pricing } from '../billing/pricing.js';
import { listSome } from './report.js';
import type { SourceChannel, SourceToken, SourceUser } from './rows.js';
import { parseJsonMap, type PlanContext, type PlannedChannel, type PlannedGroup } from './plan-context.js';

const GROUP_NAME = new RegExp(GROUP_NAME_PATTERN);
const GROUP_PLACES = 6;
const PRICE_PLACES = 9;
/** one-api's built-in GroupRatio, in force when the option was never saved. */
const DEFAULT_GROUP_RATIOS: Record<string, number> = { default: 1, vip: 1, svip: 1 };
/** new-api's built-in UserUsableGroups. */
const NEW_API_USABLE_GROUPS = { default: '默认分组', vip: 'vip分组' };

export async function planGroups(
  ctx: PlanContext,
  options: Map<string, string>,
  users: SourceUser[],
  tokens: SourceToken[],
  channels: SourceChannel[],
): Promise<void> {
  const raw = options.get('GroupRatio');
  const ratios = raw === undefined ? { ...DEFAULT_GROUP_RATIOS } : parseJsonMap(raw);
  if (ratios === undefined) {
    ctx.report.problem(`option GroupRatio is not valid JSON; fix it in ${ctx.variant} first`);
    return;
  }
  // new-api: the groups users may pick themselves, with their descriptions.
  const usable =
    ctx.variant === 'new-api' ? parseJsonMap(options.get('UserUsableGroups') ?? JSON.stringify(NEW_API_USABLE_GROUPS)) : undefined;
  const referenced = new Set<string>([
    ...users.map((u) => u.group),
    ...tokens.map((t) => t.group).filter((g) => g && g !== 'auto'),
    ...channels.flatMap((c) => c.groups),
  ]);
  const names = [...new Set([...Object.keys(ratios), ...referenced])].filter((g) => g.trim() !== '');
  const existing = new Map((await ctx.prisma.group.findMany()).map((g) => [g.name, g]));
  const taken = new Set([...existing.keys(), ...names.filter((n) => GROUP_NAME.test(n))]);
  let renamed = 0;
  ctx.report.source('groups', names.length);
  for (const name of names) {
    let target = name;
    if (!GROUP_NAME.test(name)) {
      const earlier = ctx.record.groupNames.get(name);
      if (earlier) target = earlier;
      else {
        do target = `group-${++renamed}`;
        while (taken.has(target));
        taken.add(target);
        ctx.record.groupNames.set(name, target);
      }
      ctx.report.map('groups', `"${name}" is now "${target}" (group names are letters, digits, "_", "." or "-")`);
    }
    ctx.groupNames.set(name, target);
    const value = ratios[name] ?? 1;
    if (!(name in ratios)) ctx.report.map('groups', `"${name}" has no ratio in GroupRatio: created with ratio 1, as ${ctx.variant} charged it`);
    const ratio = ctx.fit('groups', `group "${name}" ratio`, value, GROUP_PLACES, true);
    if (ratio === undefined) continue;
    const planned: PlannedGroup = {
      name: target,
      ratio,
      description: typeof usable?.[name] === 'string' ? (usable[name] as string) : target !== name ? name : '',
      // one-api has no way for users to pick a group; new-api lists the ones they may pick.
      userSelectable: usable ? name in usable : target === DEFAULT_GROUP,
    };
    const current = existing.get(target);
    if (current?.ratio === planned.ratio) ctx.report.present('groups');
    if (!current) {
      ctx.groups.create.push(planned);
      ctx.report.imported('groups');
    } else if (current.ratio !== planned.ratio) {
      if (ctx.flags.merge && !ctx.record.resumable) {
        ctx.report.present('groups');
        ctx.report.omit('groups', `"${target}" already exists with ratio ${current.ratio}; kept (source: ${planned.ratio})`);
      } else {
        ctx.groups.update.push({ ...planned, description: current.description || planned.description, userSelectable: current.userSelectable });
        ctx.report.imported('groups');
      }
    }
  }
  if (ctx.variant === 'one-api') ctx.report.map('groups', 'users could not pick groups in one-api: only "default" is user-selectable');
  const groupGroup = options.get('GroupGroupRatio');
  if (groupGroup && Object.keys(parseJsonMap(groupGroup) ?? {}).length > 0) {
    ctx.report.omit('groups', 'GroupGroupRatio (a ratio per user group × token group) has no equivalent; tokens use their group\'s ratio');
  }
}

export function planOptions(
  ctx: PlanContext,
  options: Map<string, string>,
  current: Readonly<Options>,
  rows: { key: string }[],
): void {
  const setInTarget = new Set(rows.map((r) => r.key));
  const keepTarget = ctx.flags.merge && !ctx.record.resumable;
  const maps: [string, 'modelRatios' | 'completionRatios' | 'modelPrices' | 'cacheReadRatios' | 'cacheWriteRatios'][] = [
    ['ModelRatio', 'modelRatios'],
    ['CompletionRatio', 'completionRatios'],
    ['ModelPrice', 'modelPrices'],
    ['CacheRatio', 'cacheReadRatios'],
    ['CreateCacheRatio', 'cacheWriteRatios'],
  ];
  ctx.report.source('options', options.size);
  for (const [key, target] of maps) {
    const raw = options.get(key);
    if (raw === undefined) {
      if (key === 'ModelRatio') {
        ctx.report.map('options', `ModelRatio was never saved in ${ctx.variant} (it used its built-in prices): relay-station's catalogue applies`);
      }
      continue;
    }
    const entries = parseJsonMap(raw);
    if (entries === undefined) {
      ctx.report.omit('options', `${key} is not valid JSON: not imported`);
      continue;
    }
    const merged: Record<string, number> = { ...current[target] };
    let count = 0;
    const perChannelType: string[] = [];
    const kept: string[] = [];
    for (const [model, value] of Object.entries(entries)) {
      if (!model.trim()) continue;
      if (/\(\d+\)$/.test(model)) {
        perChannelType.push(model);
        continue;
      }
      if (keepTarget && model in current[target]) {
        if (current[target][model] !== value) kept.push(model);
        continue;
      }
      const fitted = ctx.fit('options', `${key} ${model}`, value, PRICE_PLACES);
      if (fitted === undefined) continue;
      merged[model] = Number(fitted);
      count++;
    }
    ctx.options[target] = merged;
    ctx.report.imported('options');
    ctx.report.map('options', `${key} → ${target}: ${count} model(s)`);
    if (perChannelType.length > 0) {
      ctx.report.omit('options', `${key}: ${perChannelType.length} price(s) for one channel type only (${listSome(perChannelType, 5)}): relay-station prices by model`);
    }
    if (kept.length > 0) ctx.report.omit('options', `${key}: kept relay-station's own ${target} for ${listSome(kept)}`);
  }

  const scalar = <K extends keyof Options>(sourceKey: string, target: K, value: Options[K] | undefined) => {
    if (value === undefined) return;
    if (keepTarget && setInTarget.has(target)) {
      ctx.report.omit('options', `${sourceKey}: kept relay-station's own ${target}`);
      return;
    }
    ctx.options[target] = value;
    ctx.report.imported('options');
    ctx.report.map('options', `${sourceKey} → ${target}`);
  };
  const text = (k: string) => options.get(k);
  const flag = (k: string) => (text(k) === undefined ? undefined : text(k) === 'true');
  scalar('TopUpLink', 'topUpLink', text('TopUpLink'));
  const retry = text('RetryTimes');
  if (retry !== undefined && /^\d+$/.test(retry.trim())) {
    if (Number(retry) > 10) ctx.report.map('options', `RetryTimes ${retry} capped at 10`);
    scalar('RetryTimes', 'retryCount', Math.min(Number(retry), 10));
  }
  scalar('AutomaticDisableChannelEnabled', 'autoDisableChannels', flag('AutomaticDisableChannelEnabled'));
  const price = Number(text('Price'));
  if (ctx.variant === 'new-api' && text('Price') !== undefined && Number.isFinite(price) && price >= 0) {
    scalar('Price', 'exchangeRate', price);
  }
  if (ctx.variant === 'new-api' && flag('CheckSensitiveEnabled') && flag('CheckSensitiveOnPromptEnabled') !== false) {
    const words = [...new Set((text('SensitiveWords') ?? '').split(/\r?\n/).map((w) => w.trim()).filter((w) => w && w.length <= 200))];
    scalar('SensitiveWords', 'prohibitedWords', words.slice(0, 10_000));
  }
  const perUnit = Number(text('QuotaPerUnit') ?? '500000');
  if (options.has('QuotaPerUnit')) ctx.report.imported('options');
  if (perUnit !== 500_000) {
    ctx.report.attend(
      `QuotaPerUnit was ${text('QuotaPerUnit')}: balances and prices keep their quota units (same tokens per unit), but relay-station shows 500,000 units as 1 USD`,
    );
  }
  for (const k of ['ImageRatio', 'AudioRatio', 'AudioCompletionRatio']) {
    if (Object.keys(parseJsonMap(text(k) ?? '') ?? {}).length > 0) ctx.report.omit('options', `${k}: no equivalent (token prices only)`);
  }
  const used = new Set([
    ...maps.map(([k]) => k),
    ...['GroupRatio', 'UserUsableGroups', 'GroupGroupRatio', 'TopUpLink', 'RetryTimes', 'AutomaticDisableChannelEnabled', 'Price'],
    ...['CheckSensitiveEnabled', 'CheckSensitiveOnPromptEnabled', 'SensitiveWords', 'QuotaPerUnit'],
    ...['ImageRatio', 'AudioRatio', 'AudioCompletionRatio'],
  ]);
  const rest = [...options.keys()].filter((k) => !used.has(k)).sort();
  for (const k of ['GroupRatio', 'UserUsableGroups']) if (options.has(k)) ctx.report.imported('options');
  for (let i = 0; i < rest.length; i++) ctx.report.skip('options');
  if (rest.length > 0) ctx.report.omit('options', `${rest.length} other setting(s) have no equivalent: ${listSome(rest, 10)}`);
}

/** Models that the imported channels serve but that have no price: relay-station refuses them until priced. */
export function checkPrices(ctx: PlanContext, channels: PlannedChannel[], current: Readonly<Options>): void {
  const merged = { ...current, ...ctx.options } as Options;
  // Pricing only reads `current` and subscribes to changes: a fixed snapshot is enough here.
  const pricing = new Pricing({ current: merged, onChange: () => () => {} } as unknown as OptionsStore);
  const unpriced = [...new Set(channels.flatMap((c) => c.input.models))].filter((m) => !pricing.find(m)).sort();
  if (unpriced.length > 0) {
    ctx.report.attend(
      `${unpriced.length} model(s) on imported channels have no price and are refused until priced (options modelRatios): ` +
        listSome(unpriced, Infinity),
    );
  }
}
