// Channels: the upstream endpoints the relay routes to. Admins manage them here; their keys are stored as given (the
// relay must send them upstream) but are never shown again in full: every answer masks them, and a masked value
// sent back on update keeps the stored key it stands for.
import { RelayError } from '../errors.js';
import type { Channel, Prisma } from '../generated/sqlite/client.js';
import type { ChannelConfig } from '../providers/types.js';
import { channelTypeKnown, defaultBaseUrl, knownChannelTypes, typeNeedsKey } from './channel-types.js';
import { iso, parseStringList, type PageResult, type ServiceContext } from './service-utils.js';

export type ChannelStatus = 'enabled' | 'disabled' | 'auto_disabled';

/** A channel as the relay's router uses it: full keys, parsed JSON columns. */
export interface ChannelRecord {
  id: number;
  name: string;
  type: string;
  baseUrl: string;
  keys: string[];
  /** key index → why that key was disabled */
  disabledKeys: Record<number, string>;
  models: string[];
  modelMapping: Record<string, string>;
  groups: string[];
  priority: number;
  weight: number;
  status: ChannelStatus;
  disabledReason: string | null;
  config: ChannelConfig;
}

/** A channel as the management API shows it: keys masked. */
export interface ChannelView {
  id: number;
  name: string;
  type: string;
  baseUrl: string;
  keys: string[];
  disabledKeys: Record<string, string>;
  models: string[];
  modelMapping: Record<string, string>;
  groups: string[];
  priority: number;
  weight: number;
  config: ChannelConfig;
  status: ChannelStatus;
  disabledReason: string | null;
  disabledAt: string | null;
  testedAt: string | null;
  responseTimeMs: number | null;
  createdAt: string;
  updatedAt: string;
}

/** What an admin may set. On create `name`, `type` and `models` are required; on update everything is optional. */
export interface ChannelInput {
  name?: string;
  type?: string;
  baseUrl?: string;
  keys?: string[];
  models?: string[];
  modelMapping?: Record<string, string>;
  groups?: string[];
  priority?: number;
  weight?: number;
  config?: ChannelConfig;
  status?: 'enabled' | 'disabled';
}

export interface ChannelFilter {
  status?: ChannelStatus;
  type?: string;
}

const MASK = '…';

/** Enough of a key to tell keys apart, never enough to use one: "sk-ab…wxyz". Short keys show less, or nothing. */
export function maskKey(key: string): string {
  if (key.length >= 16) return `${key.slice(0, 5)}${MASK}${key.slice(-4)}`;
  if (key.length >= 8) return `${key.slice(0, 2)}${MASK}${key.slice(-2)}`;
  return MASK;
}

/* ---------------------------------------------------------------- JSON columns */

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

// A corrupt column reads as empty rather than taking the router (or the listing) down.
function stringMap(text: string): Record<string, string> {
  const value = parseJson(text);
  if (!isPlainObject(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function indexMap(text: string): Record<number, string> {
  const out: Record<number, string> = {};
  for (const [key, reason] of Object.entries(stringMap(text))) {
    if (/^\d+$/.test(key)) out[Number(key)] = reason;
  }
  return out;
}

function configOf(text: string): ChannelConfig {
  const value = parseJson(text);
  return isPlainObject(value) ? value : {};
}

const statusOf = (status: string): ChannelStatus =>
  status === 'disabled' || status === 'auto_disabled' ? status : 'enabled';

/** The row as the relay's router wants it (full keys). */
export function parseChannelRow(row: Channel): ChannelRecord {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    baseUrl: row.baseUrl,
    keys: parseStringList(row.keys),
    disabledKeys: indexMap(row.disabledKeys),
    models: parseStringList(row.models),
    modelMapping: stringMap(row.modelMapping),
    groups: parseStringList(row.groups),
    priority: row.priority,
    weight: row.weight,
    status: statusOf(row.status),
    disabledReason: row.disabledReason,
    config: configOf(row.config),
  };
}

function toView(row: Channel): ChannelView {
  const record = parseChannelRow(row);
  return {
    id: record.id,
    name: record.name,
    type: record.type,
    baseUrl: record.baseUrl,
    keys: record.keys.map(maskKey),
    disabledKeys: Object.fromEntries(Object.entries(record.disabledKeys)),
    models: record.models,
    modelMapping: record.modelMapping,
    groups: record.groups,
    priority: record.priority,
    weight: record.weight,
    config: record.config,
    status: record.status,
    disabledReason: record.disabledReason,
    disabledAt: iso(row.disabledAt),
    testedAt: iso(row.testedAt),
    responseTimeMs: row.responseTimeMs,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/* ---------------------------------------------------------------- validation */

const invalid = (param: string, message: string): RelayError =>
  new RelayError('invalid_request', message, 400, { param });

function checkType(type: string): string {
  if (!channelTypeKnown(type)) {
    throw invalid('type', `unknown channel type "${type}"; known types: ${knownChannelTypes().join(', ')}`);
  }
  return type;
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) throw invalid('name', 'name must not be blank');
  return trimmed;
}

/** An http(s) URL without credentials or fragment; trailing slashes dropped so paths join cleanly. */
function checkBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw invalid('baseUrl', `baseUrl "${raw}" is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid('baseUrl', `baseUrl must start with http:// or https://, got "${url.protocol}"`);
  }
  if (url.username || url.password) throw invalid('baseUrl', 'baseUrl must not contain credentials; use keys');
  if (url.hash) throw invalid('baseUrl', 'baseUrl must not contain a #fragment');
  return url.toString().replace(/\/+$/, '');
}

function baseUrlFor(type: string, given: string | undefined): string {
  if (given !== undefined) return checkBaseUrl(given);
  const fallback = defaultBaseUrl(type);
  if (!fallback) throw invalid('baseUrl', `baseUrl is required for channels of type "${type}"`);
  return fallback;
}

function checkNewKeys(keys: string[]): string[] {
  return keys.map((key, i) => {
    const trimmed = key.trim();
    if (!trimmed) throw invalid(`keys.${i}`, `keys[${i}] must not be blank`);
    if (trimmed.includes(MASK)) {
      throw invalid(`keys.${i}`, `keys[${i}] is a masked key that matches no stored key; send the full key`);
    }
    return trimmed;
  });
}

function checkKeyCount(type: string, keys: string[]): void {
  if (keys.length === 0 && typeNeedsKey(type)) {
    throw invalid('keys', `channels of type "${type}" need at least one key`);
  }
}

function checkModels(models: string[]): string[] {
  const out = models.map((model, i) => {
    const trimmed = model.trim();
    if (!trimmed) throw invalid(`models.${i}`, `models[${i}] must not be blank`);
    return trimmed;
  });
  if (out.length === 0) throw invalid('models', 'a channel needs at least one model');
  return [...new Set(out)];
}

function checkMapping(mapping: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [from, to] of Object.entries(mapping)) {
    if (!from.trim() || !to.trim()) {
      throw invalid(`modelMapping.${from}`, 'modelMapping names must not be blank');
    }
    out[from.trim()] = to.trim();
  }
  return out;
}

async function checkGroups(ctx: ServiceContext, groups: string[]): Promise<string[]> {
  const wanted = [...new Set(groups.map((g) => g.trim()))];
  if (wanted.length === 0) throw invalid('groups', 'a channel needs at least one group');
  const found = await ctx.db.prisma.group.findMany({ where: { name: { in: wanted } }, select: { name: true } });
  const existing = new Set(found.map((g) => g.name));
  const missing = wanted.filter((g) => !existing.has(g));
  if (missing.length > 0) throw invalid('groups', `group ${missing.map((g) => `"${g}"`).join(', ')} does not exist`);
  return wanted;
}

/**
 * The keys after an update. A sent value equal to the mask of the stored key at the same index keeps that key (the
 * usual "edit the form and send it back"); a masked value matching exactly one other stored key keeps that one (keys
 * reordered or removed). Disabled-key reasons follow the keys they belong to; new keys start enabled.
 */
export function mergeKeys(
  sent: string[],
  stored: string[],
  storedDisabled: Record<number, string>,
): { keys: string[]; disabledKeys: Record<number, string> } {
  const keys: string[] = [];
  const disabledKeys: Record<number, string> = {};
  sent.forEach((value, i) => {
    const trimmed = value.trim();
    let from = -1;
    const atIndex = stored[i];
    if (atIndex !== undefined && maskKey(atIndex) === trimmed) from = i;
    else if (trimmed.includes(MASK)) {
      const matches = stored.flatMap((key, j) => (maskKey(key) === trimmed ? [j] : []));
      if (matches.length !== 1) {
        throw invalid(`keys.${i}`, `keys[${i}] is a masked key that matches no single stored key; send the full key`);
      }
      from = matches[0]!;
    }
    if (from < 0) {
      keys.push(checkNewKeys([trimmed])[0]!);
      return;
    }
    keys.push(stored[from]!);
    const reason = storedDisabled[from];
    if (reason !== undefined) disabledKeys[keys.length - 1] = reason;
  });
  return { keys, disabledKeys };
}

/* ---------------------------------------------------------------- operations */

async function findRow(ctx: ServiceContext, id: number): Promise<Channel> {
  const row = await ctx.db.prisma.channel.findUnique({ where: { id } });
  if (!row) throw new RelayError('not_found', `channel ${id} does not exist`);
  return row;
}

/** Enabling by hand also forgives the keys the relay disabled: the admin says the channel works again. */
function statusChange(status: 'enabled' | 'disabled'): { status: string; disabledReason: string | null; disabledAt: Date | null; disabledKeys?: string } {
  return status === 'enabled'
    ? { status, disabledReason: null, disabledAt: null, disabledKeys: '{}' }
    : { status, disabledReason: 'disabled by an admin', disabledAt: new Date() };
}

export async function createChannel(
  ctx: ServiceContext,
  input: ChannelInput & { name: string; type: string; models: string[] },
): Promise<ChannelView> {
  const type = checkType(input.type);
  const keys = checkNewKeys(input.keys ?? []);
  checkKeyCount(type, keys);
  const row = await ctx.db.prisma.channel.create({
    data: {
      name: checkName(input.name),
      type,
      baseUrl: baseUrlFor(type, input.baseUrl),
      keys: JSON.stringify(keys),
      models: JSON.stringify(checkModels(input.models)),
      modelMapping: JSON.stringify(checkMapping(input.modelMapping ?? {})),
      groups: JSON.stringify(await checkGroups(ctx, input.groups ?? ['default'])),
      priority: input.priority ?? 0,
      weight: input.weight ?? 1,
      config: JSON.stringify(input.config ?? {}),
      ...(input.status ? statusChange(input.status) : {}),
    },
  });
  ctx.bus.publish('channels');
  return toView(row);
}

export async function listChannels(
  ctx: ServiceContext,
  filter: ChannelFilter,
  page: { skip: number; take: number },
): Promise<PageResult<ChannelView>> {
  const where = { status: filter.status, type: filter.type };
  const [rows, total] = await Promise.all([
    ctx.db.prisma.channel.findMany({ where, orderBy: { id: 'asc' }, skip: page.skip, take: page.take }),
    ctx.db.prisma.channel.count({ where }),
  ]);
  return { items: rows.map(toView), total };
}

export async function getChannel(ctx: ServiceContext, id: number): Promise<ChannelView> {
  return toView(await findRow(ctx, id));
}

/** Writes only the fields sent, so an update does not undo a concurrent auto-disable of something else. */
export async function updateChannel(ctx: ServiceContext, id: number, patch: ChannelInput): Promise<ChannelView> {
  const current = parseChannelRow(await findRow(ctx, id));
  const type = patch.type === undefined ? current.type : checkType(patch.type);
  const data: Prisma.ChannelUpdateManyMutationInput = {};
  if (patch.name !== undefined) data.name = checkName(patch.name);
  if (patch.type !== undefined) data.type = type;
  if (patch.baseUrl !== undefined) data.baseUrl = checkBaseUrl(patch.baseUrl);
  let keys = current.keys;
  if (patch.keys !== undefined) {
    const merged = mergeKeys(patch.keys, current.keys, current.disabledKeys);
    keys = merged.keys;
    data.keys = JSON.stringify(merged.keys);
    data.disabledKeys = JSON.stringify(merged.disabledKeys);
  }
  checkKeyCount(type, keys);
  if (patch.models !== undefined) data.models = JSON.stringify(checkModels(patch.models));
  if (patch.modelMapping !== undefined) data.modelMapping = JSON.stringify(checkMapping(patch.modelMapping));
  if (patch.groups !== undefined) data.groups = JSON.stringify(await checkGroups(ctx, patch.groups));
  if (patch.priority !== undefined) data.priority = patch.priority;
  if (patch.weight !== undefined) data.weight = patch.weight;
  if (patch.config !== undefined) data.config = JSON.stringify(patch.config);
  if (patch.status !== undefined) Object.assign(data, statusChange(patch.status));

  // updateMany + re-read: a channel deleted meanwhile is a 404, not a Prisma "record not found" 500.
  const updated = await ctx.db.prisma.channel.updateMany({ where: { id }, data });
  if (updated.count === 0) throw new RelayError('not_found', `channel ${id} does not exist`);
  ctx.bus.publish('channels');
  return toView(await findRow(ctx, id));
}

export async function deleteChannel(ctx: ServiceContext, id: number): Promise<void> {
  const deleted = await ctx.db.prisma.channel.deleteMany({ where: { id } });
  if (deleted.count === 0) throw new RelayError('not_found', `channel ${id} does not exist`);
  ctx.bus.publish('channels');
}
