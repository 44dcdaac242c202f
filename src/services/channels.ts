// Channels: the upstream endpoints the relay routes to. Admins manage them here: this module validates what they send
// and shapes what they see; services/channel-repository.ts stores it. Keys go in (sealed at rest) and never come out:
// every answer shows a key as `{id, mask, status, …}`, and keys are edited by id.
import { RelayError } from '../errors.js';
import { channelTypeKnown, defaultBaseUrl, knownChannelTypes } from './channel-types.js';
import { iso, type PageResult } from './service-utils.js';
import * as repo from './channel-repository.js';
import { persistedView, type HealthSource, type HealthView } from '../relay/breaker.js';
import {
  looksMasked,
  statusOf,
  type ChannelContext,
  type ChannelData,
  type ChannelRow,
  type ChannelStatus,
  type KeyStatus,
} from './channel-repository.js';

export type { ChannelStatus, ChannelContext };
export { maskKey } from './channel-repository.js';

/** One key as the management API shows it: never the key itself. */
export interface ChannelKeyView {
  id: number;
  mask: string;
  status: KeyStatus;
  disabledReason: string | null;
  disabledAt: string | null;
  createdAt: string;
  /** Circuit breaker and rolling health (this instance's window; the breaker as stored, or newer here). */
  health: HealthView;
}

/** A channel as the management API shows it. */
export interface ChannelView extends ChannelData {
  id: number;
  keys: ChannelKeyView[];
  status: ChannelStatus;
  disabledReason: string | null;
  disabledAt: string | null;
  testedAt: string | null;
  responseTimeMs: number | null;
  createdAt: string;
  updatedAt: string;
  /** Over its keys (a key-less channel: its own): open only when every usable key is. */
  health: HealthView;
}

/** What an admin may set. On create `name`, `type` and `models` are required; on update everything is optional. */
export interface ChannelInput extends Partial<ChannelData> {
  /** Full keys. On create: the channel's keys; on update: they replace every stored key. */
  keys?: string[];
  status?: 'enabled' | 'disabled';
}

export interface ChannelFilter {
  status?: ChannelStatus;
  type?: string;
}

/** Who changes a channel: only the root may point stored keys at another upstream without sending them again. */
export interface ChannelEditor {
  root: boolean;
}

/** The channel's health: live from `health` (the relay's), else from the stored columns. */
export function channelHealth(row: ChannelRow, health?: HealthSource): HealthView {
  const targets = row.keys.length
    ? row.keys.filter((k) => k.status === 'enabled').map((k) => ({ target: { channelId: row.id, keyId: k.id }, row: repo.breakerOf(k) }))
    : [{ target: { channelId: row.id, keyId: null }, row: repo.breakerOf(row) }];
  if (health) return health.channelView(targets);
  const views = targets.map((t) => persistedView(t.row));
  return views.find((v) => v.state === 'closed') ?? views[0] ?? persistedView(repo.breakerOf(row));
}

function toView(row: ChannelRow, health?: HealthSource): ChannelView {
  const keyHealth = (k: ChannelRow['keys'][number]) =>
    health ? health.view({ channelId: row.id, keyId: k.id }, repo.breakerOf(k)) : persistedView(repo.breakerOf(k));
  return {
    id: row.id,
    ...repo.dataOf(row),
    keys: row.keys.map((k) => ({
      id: k.id,
      mask: k.mask,
      status: statusOf(k.status),
      disabledReason: k.disabledReason,
      disabledAt: iso(k.disabledAt),
      createdAt: k.createdAt.toISOString(),
      health: keyHealth(k),
    })),
    health: channelHealth(row, health),
    status: statusOf(row.status),
    disabledReason: row.disabledReason,
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

function checkKeys(keys: string[]): string[] {
  return keys.map((key, i) => {
    const trimmed = key.trim();
    if (!trimmed) throw invalid(`keys.${i}`, `keys[${i}] must not be blank`);
    if (looksMasked(trimmed)) {
      throw invalid(
        `keys.${i}`,
        `keys[${i}] is a masked key; send full keys. To keep the stored keys, leave "keys" out and edit them by id ` +
          '(POST /api/channels/:id/keys, PATCH or DELETE /api/channels/:id/keys/:keyId)',
      );
    }
    return trimmed;
  });
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

async function checkGroups(ctx: ChannelContext, groups: string[]): Promise<string[]> {
  const wanted = [...new Set(groups.map((g) => g.trim()))];
  if (wanted.length === 0) throw invalid('groups', 'a channel needs at least one group');
  const found = await ctx.db.prisma.group.findMany({ where: { name: { in: wanted } }, select: { name: true } });
  const existing = new Set(found.map((g) => g.name));
  const missing = wanted.filter((g) => !existing.has(g));
  if (missing.length > 0) throw invalid('groups', `group ${missing.map((g) => `"${g}"`).join(', ')} does not exist`);
  return wanted;
}

/* ---------------------------------------------------------------- operations */

export async function createChannel(
  ctx: ChannelContext,
  input: ChannelInput & { name: string; type: string; models: string[] },
): Promise<ChannelView> {
  const type = checkType(input.type);
  const data: ChannelData = {
    name: checkName(input.name),
    type,
    baseUrl: baseUrlFor(type, input.baseUrl),
    models: checkModels(input.models),
    modelMapping: checkMapping(input.modelMapping ?? {}),
    groups: await checkGroups(ctx, input.groups ?? ['default']),
    priority: input.priority ?? 0,
    weight: input.weight ?? 1,
    config: input.config ?? {},
  };
  return toView(await repo.insertChannel(ctx, data, checkKeys(input.keys ?? []), input.status));
}

export async function listChannels(
  ctx: ChannelContext,
  filter: ChannelFilter,
  page: { skip: number; take: number },
  health?: HealthSource,
): Promise<PageResult<ChannelView>> {
  const { items, total } = await repo.listChannelRows(ctx, { status: filter.status, type: filter.type }, page);
  return { items: items.map((row) => toView(row, health)), total };
}

export async function getChannel(ctx: ChannelContext, id: number, health?: HealthSource): Promise<ChannelView> {
  const row = await repo.findChannelRow(ctx, id);
  if (!row) throw new RelayError('not_found', `channel ${id} does not exist`);
  return toView(row, health);
}

/** Health of the channels with these ids (the stats' per-channel view). */
export async function healthOfChannels(ctx: ChannelContext, ids: number[], health?: HealthSource): Promise<Map<number, HealthView>> {
  const rows = await ctx.db.prisma.channel.findMany({ where: { id: { in: ids } }, include: { keys: true } });
  return new Map(rows.map((row) => [row.id, channelHealth(row, health)]));
}

/**
 * Stored keys go only where they were meant to: a new `baseUrl` or `type` would send them to another upstream (an
 * admin could point a channel at their own server and press "test" to receive them), so it needs the keys sent again,
 * or the root.
 */
function guardRedirect(current: ChannelRow, next: { type?: string; baseUrl?: string }, keysSent: boolean, by: ChannelEditor): void {
  if (by.root || keysSent || current.keys.length === 0) return;
  const changed = [
    next.type !== undefined && next.type !== current.type ? 'type' : undefined,
    next.baseUrl !== undefined && next.baseUrl !== current.baseUrl ? 'baseUrl' : undefined,
  ].filter((f) => f !== undefined);
  if (changed.length === 0) return;
  throw new RelayError(
    'forbidden',
    `changing ${changed.join(' and ')} would send this channel's stored keys to another upstream: send the keys again in ` +
      '"keys" with the same request (they replace the stored ones), or ask the root to make the change',
    undefined,
    { param: changed[0] },
  );
}

/** Writes only the fields sent, so an update does not undo a concurrent auto-disable of something else. */
export async function updateChannel(ctx: ChannelContext, id: number, patch: ChannelInput, by: ChannelEditor): Promise<ChannelView> {
  const data: Partial<ChannelData> = {};
  if (patch.name !== undefined) data.name = checkName(patch.name);
  if (patch.type !== undefined) data.type = checkType(patch.type);
  if (patch.baseUrl !== undefined) data.baseUrl = checkBaseUrl(patch.baseUrl);
  if (patch.models !== undefined) data.models = checkModels(patch.models);
  if (patch.modelMapping !== undefined) data.modelMapping = checkMapping(patch.modelMapping);
  if (patch.groups !== undefined) data.groups = await checkGroups(ctx, patch.groups);
  if (patch.priority !== undefined) data.priority = patch.priority;
  if (patch.weight !== undefined) data.weight = patch.weight;
  if (patch.config !== undefined) data.config = patch.config;
  const keys = patch.keys === undefined ? undefined : checkKeys(patch.keys);
  const row = await repo.updateChannel(ctx, id, {
    data,
    status: patch.status,
    keys,
    check: (current) => guardRedirect(current, data, keys !== undefined, by),
  });
  return toView(row);
}

export async function deleteChannel(ctx: ChannelContext, id: number): Promise<void> {
  await repo.deleteChannel(ctx, id);
}

/* ---------------------------------------------------------------- keys by id */

export async function addChannelKeys(ctx: ChannelContext, id: number, keys: string[]): Promise<ChannelView> {
  const checked = checkKeys(keys);
  if (checked.length === 0) throw invalid('keys', 'send at least one key to add');
  return toView(await repo.addKeys(ctx, id, checked));
}

export async function replaceChannelKeys(ctx: ChannelContext, id: number, keys: string[]): Promise<ChannelView> {
  return toView(await repo.updateChannel(ctx, id, { keys: checkKeys(keys) }));
}

export async function removeChannelKey(ctx: ChannelContext, id: number, keyId: number): Promise<ChannelView> {
  return toView(await repo.removeKey(ctx, id, keyId));
}

export async function setChannelKeyStatus(
  ctx: ChannelContext,
  id: number,
  keyId: number,
  status: 'enabled' | 'disabled',
): Promise<ChannelView> {
  return toView(await repo.setKeyStatus(ctx, id, keyId, status));
}
