// Channels and their keys in the database: the one module that writes Channel and ChannelKey rows — admin edits
// (validated by services/channels.ts), the relay's auto-disable, and test results. Keys are sealed on the way in
// (SecretBox, purpose "channel-key") and opened only for the router and the channel test.
//
// Every write that touches a channel's keys runs in a transaction that first locks the channel row, then changes key
// rows with conditional updates, then settles the channel's status from its keys under the same lock. So concurrent
// disables, tests and admin edits of one channel apply one after another: none is lost, none resurrects a key another
// disabled, and "no usable key left → auto-disable the channel" happens exactly once.
import { RelayError } from '../errors.js';
import type { AppContext } from '../context.js';
import type { Channel, ChannelKey, Prisma } from '../generated/sqlite/client.js';
import { SecretBoxError, SecretKeyMismatchError, sealedKeyId, type SecretBox } from '../auth/secret-box.js';
import { SecretKeyError } from '../auth/master-key.js';
import type { Db } from '../db/client.js';
import type { ChannelConfig } from '../providers/types.js';
import { typeNeedsKey } from './channel-types.js';
import { parseStringList, type PageResult } from './service-utils.js';

export type ChannelContext = Pick<AppContext, 'db' | 'bus' | 'secrets'>;
export type ChannelStatus = 'enabled' | 'disabled' | 'auto_disabled';
/** `disabled`: by an admin (only an admin enables it again); `auto_disabled`: by the relay (a passing test re-enables it). */
export type KeyStatus = ChannelStatus;

/** The SecretBox purpose of channel keys: a value sealed for another purpose never opens as one. */
export const KEY_PURPOSE = 'channel-key';
const ADMIN_DISABLED = 'disabled by an admin';
const NO_USABLE_KEY = 'no usable key left';

export type ChannelRow = Channel & { keys: ChannelKey[] };

/** The circuit breaker's persisted part (relay/breaker.ts): of a key, or of a key-less channel. Times in ms. */
export interface BreakerRow {
  consecutiveFailures: number;
  lastError: string | null;
  lastErrorAt: number | null;
  /** Routing skips the key until then; past it, the key is half-open (one probe). */
  cooldownUntil: number | null;
}

/** A key as the router and the channel test use it. */
export interface ChannelKeyRecord {
  id: number;
  mask: string;
  status: KeyStatus;
  /** The key itself; null when it cannot be opened (sealed with another master key, or damaged): never sent. */
  secret: string | null;
  breaker: BreakerRow;
}

/** The channel's own fields, validated by the caller. */
export interface ChannelData {
  name: string;
  type: string;
  baseUrl: string;
  models: string[];
  modelMapping: Record<string, string>;
  groups: string[];
  priority: number;
  weight: number;
  config: ChannelConfig;
}

/** A channel as the router uses it: parsed JSON columns, keys opened, in their order. */
export interface ChannelRecord extends ChannelData {
  id: number;
  keys: ChannelKeyRecord[];
  status: ChannelStatus;
  disabledReason: string | null;
  /** A key-less channel's breaker (keyed channels keep one per key). */
  breaker: BreakerRow;
}

const MASK = '…';

/** Enough of a key to tell keys apart, never enough to use one: "sk-ab…wxyz". Short keys show less, or nothing. */
export function maskKey(key: string): string {
  if (key.length >= 16) return `${key.slice(0, 5)}${MASK}${key.slice(-4)}`;
  if (key.length >= 8) return `${key.slice(0, 2)}${MASK}${key.slice(-2)}`;
  return MASK;
}

export const looksMasked = (key: string): boolean => key.includes(MASK);

/* ---------------------------------------------------------------- reading */

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

const configOf = (text: string): ChannelConfig => {
  const value = parseJson(text);
  return isPlainObject(value) ? value : {};
};

export const statusOf = (status: string): ChannelStatus =>
  status === 'disabled' || status === 'auto_disabled' ? status : 'enabled';

const keyOrder = { orderBy: [{ position: 'asc' }, { id: 'asc' }] } satisfies Prisma.Channel$keysArgs;
const withKeys = { keys: keyOrder } as const;

/** Called for each key that cannot be opened (the router logs it; the key is never sent). */
export type UnreadableKey = (err: SecretBoxError, where: { channelId: number; keyId: number }) => void;

function openKey(secrets: SecretBox, key: ChannelKey, onUnreadable?: UnreadableKey): ChannelKeyRecord {
  let secret: string | null = null;
  try {
    secret = secrets.open(KEY_PURPOSE, key.secret);
  } catch (err) {
    if (!(err instanceof SecretBoxError)) throw err;
    onUnreadable?.(err, { channelId: key.channelId, keyId: key.id });
  }
  return { id: key.id, mask: key.mask, status: statusOf(key.status), secret, breaker: breakerOf(key) };
}

export function breakerOf(row: Pick<Channel, 'consecutiveFailures' | 'lastError' | 'lastErrorAt' | 'cooldownUntil'>): BreakerRow {
  return {
    consecutiveFailures: row.consecutiveFailures,
    lastError: row.lastError,
    lastErrorAt: row.lastErrorAt?.getTime() ?? null,
    cooldownUntil: row.cooldownUntil?.getTime() ?? null,
  };
}

/** The channel's own fields from its row (JSON columns parsed). */
export function dataOf(row: Channel): ChannelData {
  return {
    name: row.name,
    type: row.type,
    baseUrl: row.baseUrl,
    models: parseStringList(row.models),
    modelMapping: stringMap(row.modelMapping),
    groups: parseStringList(row.groups),
    priority: row.priority,
    weight: row.weight,
    config: configOf(row.config),
  };
}

function toRecord(secrets: SecretBox, row: ChannelRow, onUnreadable?: UnreadableKey): ChannelRecord {
  return {
    id: row.id,
    ...dataOf(row),
    keys: row.keys.map((k) => openKey(secrets, k, onUnreadable)),
    status: statusOf(row.status),
    disabledReason: row.disabledReason,
    breaker: breakerOf(row),
  };
}

/** Every channel with its keys opened, by id: the router's whole reload (one query for channels, one for keys). */
export async function loadChannels(ctx: ChannelContext, onUnreadable?: UnreadableKey): Promise<ChannelRecord[]> {
  const rows = await ctx.db.prisma.channel.findMany({ orderBy: { id: 'asc' }, include: withKeys });
  return rows.map((row) => toRecord(ctx.secrets, row, onUnreadable));
}

export async function loadChannel(ctx: ChannelContext, id: number, onUnreadable?: UnreadableKey): Promise<ChannelRecord | null> {
  const row = await ctx.db.prisma.channel.findUnique({ where: { id }, include: withKeys });
  return row && toRecord(ctx.secrets, row, onUnreadable);
}

/** One channel with its key rows (sealed), for the management views. */
export async function findChannelRow(ctx: ChannelContext, id: number): Promise<ChannelRow | null> {
  return ctx.db.prisma.channel.findUnique({ where: { id }, include: withKeys });
}

export async function listChannelRows(
  ctx: ChannelContext,
  where: { status?: ChannelStatus; type?: string },
  page: { skip: number; take: number },
): Promise<PageResult<ChannelRow>> {
  const [items, total] = await Promise.all([
    ctx.db.prisma.channel.findMany({ where, orderBy: { id: 'asc' }, skip: page.skip, take: page.take, include: withKeys }),
    ctx.db.prisma.channel.count({ where }),
  ]);
  return { items, total };
}

/** The id of the master key that sealed a stored channel key, if any is stored (decides whether one may be created). */
export async function storedKeysSealedWith(db: Db): Promise<string | undefined> {
  const row = await db.prisma.channelKey.findFirst({ select: { secret: true } });
  return row ? (sealedKeyId(row.secret) ?? 'unknown') : undefined;
}

/**
 * At start: every stored key opens with this master key. A key sealed with another one stops the start (routing without
 * it, or with garbage, is worse); a damaged value is only reported, and the router never sends it.
 */
export async function assertKeysReadable(ctx: Pick<ChannelContext, 'db' | 'secrets'>, onDamaged: UnreadableKey): Promise<void> {
  const keys = await ctx.db.prisma.channelKey.findMany({ orderBy: { id: 'asc' } });
  for (const key of keys) {
    try {
      ctx.secrets.open(KEY_PURPOSE, key.secret);
    } catch (err) {
      if (err instanceof SecretKeyMismatchError) {
        throw new SecretKeyError(
          `channel keys cannot be decrypted: ${err.message}. Start with the master key they were written with ` +
            '(RELAY_SECRET_KEY, or the key file from your backup).',
        );
      }
      if (!(err instanceof SecretBoxError)) throw err;
      onDamaged(err, { channelId: key.channelId, keyId: key.id });
    }
  }
}

/* ---------------------------------------------------------------- writing */

type Tx = Prisma.TransactionClient;

const invalid = (param: string, message: string): RelayError => new RelayError('invalid_request', message, 400, { param });
const channelNotFound = (id: number): RelayError => new RelayError('not_found', `channel ${id} does not exist`);

/**
 * A write that changes nothing, as the transaction's first statement: on PostgreSQL it holds the channel's row lock
 * until commit; on SQLite it takes the database's write lock up front (a transaction that read first could not always
 * upgrade to writing later). False when the channel does not exist.
 */
async function lockChannel(tx: Tx, id: number): Promise<boolean> {
  return (await tx.$executeRaw`UPDATE "Channel" SET "priority" = "priority" WHERE "id" = ${id}`) === 1;
}

/**
 * Runs `fn` with the channel locked (404 when it does not exist), then tells every instance to reload. Inside, await
 * only database calls, never other I/O: on SQLite the write lock is held meanwhile, and the ledger's own connection
 * would wait for it synchronously, stalling the event loop (Prisma's SQLite transactions otherwise finish within one
 * event-loop turn).
 */
async function changeChannel<T>(ctx: ChannelContext, id: number, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const result = await ctx.db.prisma.$transaction(async (tx) => {
    if (!(await lockChannel(tx, id))) throw channelNotFound(id);
    return fn(tx);
  });
  ctx.bus.publish('channels');
  return result;
}

const readRow = async (tx: Tx, id: number): Promise<ChannelRow> =>
  (await tx.channel.findUnique({ where: { id }, include: withKeys }))!;

/**
 * Keeps a keyed channel's status true to its keys, under the lock: enabled with no enabled key left → auto_disabled
 * (with `reason`); auto_disabled with an enabled key again → enabled. A channel an admin disabled, and a key-less
 * channel, are left as they are. Returns the change made, if any.
 */
async function settleStatus(tx: Tx, id: number, reason: string): Promise<'auto_disabled' | 'enabled' | null> {
  const keys = await tx.channelKey.findMany({ where: { channelId: id }, select: { status: true } });
  if (keys.length === 0) return null;
  if (!keys.some((k) => k.status === 'enabled')) {
    const { count } = await tx.channel.updateMany({
      where: { id, status: 'enabled' },
      data: { status: 'auto_disabled', disabledReason: reason, disabledAt: new Date() },
    });
    return count ? 'auto_disabled' : null;
  }
  const { count } = await tx.channel.updateMany({
    where: { id, status: 'auto_disabled' },
    data: { status: 'enabled', disabledReason: null, disabledAt: null },
  });
  return count ? 'enabled' : null;
}

/** New key rows, sealed, at positions from `from` on. */
function sealKeys(secrets: SecretBox, keys: string[], from: number): Array<Omit<Prisma.ChannelKeyCreateManyInput, 'channelId'>> {
  return keys.map((key, i) => ({ position: from + i, secret: secrets.seal(KEY_PURPOSE, key), mask: maskKey(key) }));
}

/** A key sent twice, or one the channel already has, is refused (it would only skew the spread over keys). */
function checkDuplicates(secrets: SecretBox, keys: string[], existing: ChannelKey[]): void {
  const stored = new Map<string, number>();
  for (const k of existing) {
    try {
      stored.set(secrets.open(KEY_PURPOSE, k.secret), k.id);
    } catch {
      // an unreadable key cannot be compared; the start-up check reports it
    }
  }
  keys.forEach((key, i) => {
    const id = stored.get(key);
    if (id !== undefined) throw invalid(`keys.${i}`, `keys[${i}] is already key ${id} of this channel`);
    if (keys.indexOf(key) !== i) throw invalid(`keys.${i}`, `keys[${i}] is sent twice`);
  });
}

/** The Channel columns for the fields given (lists and maps are JSON text). */
function channelColumns(data: Partial<ChannelData>): {
  [K in keyof ChannelData]?: ChannelData[K] extends string | number ? ChannelData[K] : string;
} {
  const out: ReturnType<typeof channelColumns> = {};
  if (data.name !== undefined) out.name = data.name;
  if (data.type !== undefined) out.type = data.type;
  if (data.baseUrl !== undefined) out.baseUrl = data.baseUrl;
  if (data.models !== undefined) out.models = JSON.stringify(data.models);
  if (data.modelMapping !== undefined) out.modelMapping = JSON.stringify(data.modelMapping);
  if (data.groups !== undefined) out.groups = JSON.stringify(data.groups);
  if (data.priority !== undefined) out.priority = data.priority;
  if (data.weight !== undefined) out.weight = data.weight;
  if (data.config !== undefined) out.config = JSON.stringify(data.config);
  return out;
}

function checkKeyCount(type: string, count: number): void {
  if (count === 0 && typeNeedsKey(type)) throw invalid('keys', `channels of type "${type}" need at least one key`);
}

export async function insertChannel(
  ctx: ChannelContext,
  data: ChannelData,
  keys: string[],
  status: 'enabled' | 'disabled' = 'enabled',
): Promise<ChannelRow> {
  checkKeyCount(data.type, keys.length);
  checkDuplicates(ctx.secrets, keys, []);
  const row = await ctx.db.prisma.channel.create({
    data: {
      ...channelColumns(data),
      name: data.name,
      type: data.type,
      baseUrl: data.baseUrl,
      ...(status === 'disabled' ? { status, disabledReason: ADMIN_DISABLED, disabledAt: new Date() } : {}),
      keys: { create: sealKeys(ctx.secrets, keys, 0) },
    },
    include: withKeys,
  });
  ctx.bus.publish('channels');
  return row;
}

export interface ChannelChange {
  data?: Partial<ChannelData>;
  /**
   * `disabled`: by an admin. `enabled` on a channel that was not: the admin says it works again, so the keys the relay
   * disabled are forgiven too (keys an admin disabled stay disabled). `enabled` on an enabled channel changes nothing.
   */
  status?: 'enabled' | 'disabled';
  /** Replaces every key; the new ones start enabled. */
  keys?: string[];
  /** Runs under the lock against the current row before anything is written (e.g. "a new baseUrl needs the keys"). */
  check?(current: ChannelRow): void;
}

export async function updateChannel(ctx: ChannelContext, id: number, change: ChannelChange): Promise<ChannelRow> {
  return changeChannel(ctx, id, async (tx) => {
    const current = await readRow(tx, id);
    change.check?.(current);
    const data = channelColumns(change.data ?? {});
    if (change.status === 'disabled' && current.status !== 'disabled') {
      Object.assign(data, { status: 'disabled', disabledReason: ADMIN_DISABLED, disabledAt: new Date() });
    } else if (change.status === 'enabled' && current.status !== 'enabled') {
      Object.assign(data, { status: 'enabled', disabledReason: null, disabledAt: null });
      await tx.channelKey.updateMany({
        where: { channelId: id, status: 'auto_disabled' },
        data: { status: 'enabled', disabledReason: null, disabledAt: null },
      });
    }
    if (change.keys !== undefined) {
      checkDuplicates(ctx.secrets, change.keys, []);
      await tx.channelKey.deleteMany({ where: { channelId: id } });
      await tx.channelKey.createMany({ data: sealKeys(ctx.secrets, change.keys, 0).map((k) => ({ ...k, channelId: id })) });
    }
    checkKeyCount(change.data?.type ?? current.type, change.keys?.length ?? current.keys.length);
    await tx.channel.update({ where: { id }, data });
    await settleStatus(tx, id, NO_USABLE_KEY);
    return readRow(tx, id);
  });
}

/** Appends keys (enabled); an auto-disabled channel with a usable key again is enabled. */
export async function addKeys(ctx: ChannelContext, id: number, keys: string[]): Promise<ChannelRow> {
  return changeChannel(ctx, id, async (tx) => {
    const current = await readRow(tx, id);
    checkDuplicates(ctx.secrets, keys, current.keys);
    const from = current.keys.reduce((max, k) => Math.max(max, k.position + 1), 0);
    await tx.channelKey.createMany({ data: sealKeys(ctx.secrets, keys, from).map((k) => ({ ...k, channelId: id })) });
    await settleStatus(tx, id, NO_USABLE_KEY);
    return readRow(tx, id);
  });
}

const keyNotFound = (id: number, keyId: number): RelayError =>
  new RelayError('not_found', `channel ${id} has no key ${keyId}`);

export async function removeKey(ctx: ChannelContext, id: number, keyId: number): Promise<ChannelRow> {
  return changeChannel(ctx, id, async (tx) => {
    const { count } = await tx.channelKey.deleteMany({ where: { id: keyId, channelId: id } });
    if (count === 0) throw keyNotFound(id, keyId);
    const row = await readRow(tx, id);
    if (row.keys.length === 0 && typeNeedsKey(row.type)) {
      throw invalid('keyId', `key ${keyId} is the last key of this ${row.type} channel: add another key first, or replace the keys`);
    }
    await settleStatus(tx, id, NO_USABLE_KEY);
    return readRow(tx, id);
  });
}

/** An admin enables or disables one key. */
export async function setKeyStatus(ctx: ChannelContext, id: number, keyId: number, status: 'enabled' | 'disabled'): Promise<ChannelRow> {
  return changeChannel(ctx, id, async (tx) => {
    const { count } = await tx.channelKey.updateMany({
      where: { id: keyId, channelId: id },
      data:
        status === 'enabled'
          ? { status, disabledReason: null, disabledAt: null }
          : { status, disabledReason: ADMIN_DISABLED, disabledAt: new Date() },
    });
    if (count === 0) throw keyNotFound(id, keyId);
    await settleStatus(tx, id, NO_USABLE_KEY);
    return readRow(tx, id);
  });
}

export async function deleteChannel(ctx: ChannelContext, id: number): Promise<void> {
  const [, deleted] = await ctx.db.prisma.$transaction([
    ctx.db.prisma.channelKey.deleteMany({ where: { channelId: id } }),
    ctx.db.prisma.channel.deleteMany({ where: { id } }),
  ]);
  if (deleted.count === 0) throw channelNotFound(id);
  ctx.bus.publish('channels');
}

export interface DisableOutcome {
  /** This call disabled the key (false: it was disabled, removed or replaced already). */
  keyDisabled: boolean;
  /** This call auto-disabled the channel: its last usable key went, or a key-less channel failed. */
  channelDisabled: boolean;
}

/**
 * The upstream said the key is invalid or out of credit: one conditional update on the key's row, and the channel is
 * auto-disabled when that was its last usable key. `keyId` null: a key-less channel, disabled as a whole.
 */
export async function disableKey(ctx: ChannelContext, id: number, keyId: number | null, reason: string): Promise<DisableOutcome> {
  const outcome = await ctx.db.prisma.$transaction(async (tx): Promise<DisableOutcome> => {
    if (!(await lockChannel(tx, id))) return { keyDisabled: false, channelDisabled: false };
    if (keyId === null) {
      const { count } = await tx.channel.updateMany({
        where: { id, status: 'enabled' },
        data: { status: 'auto_disabled', disabledReason: reason, disabledAt: new Date() },
      });
      return { keyDisabled: false, channelDisabled: count === 1 };
    }
    const { count } = await tx.channelKey.updateMany({
      where: { id: keyId, channelId: id, status: 'enabled' },
      data: { status: 'auto_disabled', disabledReason: reason, disabledAt: new Date() },
    });
    if (count === 0) return { keyDisabled: false, channelDisabled: false };
    return { keyDisabled: true, channelDisabled: (await settleStatus(tx, id, reason)) === 'auto_disabled' };
  });
  if (outcome.keyDisabled || outcome.channelDisabled) ctx.bus.publish('channels');
  return outcome;
}

export interface TestOutcome {
  /** Keys that answered; those the relay had disabled are enabled again (keys an admin disabled stay disabled). */
  passedKeyIds: number[];
  /** A key-less channel answered. */
  keylessPassed: boolean;
  responseTimeMs: number | null;
}

/** Records a channel test; returns the channel's status afterwards (null: the channel was deleted meanwhile). */
export async function recordTest(ctx: ChannelContext, id: number, test: TestOutcome): Promise<ChannelStatus | null> {
  try {
    return await changeChannel(ctx, id, async (tx) => {
      if (test.passedKeyIds.length) {
        await tx.channelKey.updateMany({
          where: { channelId: id, id: { in: test.passedKeyIds }, status: 'auto_disabled' },
          data: { status: 'enabled', disabledReason: null, disabledAt: null },
        });
      }
      await tx.channel.update({ where: { id }, data: { testedAt: new Date(), responseTimeMs: test.responseTimeMs } });
      if (test.keylessPassed) {
        await tx.channel.updateMany({
          where: { id, status: 'auto_disabled' },
          data: { status: 'enabled', disabledReason: null, disabledAt: null },
        });
      }
      await settleStatus(tx, id, NO_USABLE_KEY);
      return statusOf((await readRow(tx, id)).status);
    });
  } catch (err) {
    if (err instanceof RelayError && err.code === 'not_found') return null;
    throw err;
  }
}

/* ---------------------------------------------------------------- upgrade from the JSON columns */

function indexMap(text: string): Record<number, string> {
  const out: Record<number, string> = {};
  for (const [key, reason] of Object.entries(stringMap(text))) {
    if (/^\d+$/.test(key)) out[Number(key)] = reason;
  }
  return out;
}

/**
 * Moves keys an older version kept in plaintext JSON columns of Channel (`keys`, `disabledKeys` {index: reason}) into
 * sealed ChannelKey rows, keeping order and disabled state, and empties those columns. Idempotent and safe when
 * several instances start at once: a channel's keys move only in the transaction that empties exactly the values it
 * read. Returns what was moved.
 */
export async function moveLegacyKeys(db: Db, secrets: SecretBox): Promise<{ channels: number; keys: number }> {
  const legacy = await db.prisma.channel.findMany({
    where: { OR: [{ legacyKeys: { not: '[]' } }, { legacyDisabledKeys: { not: '{}' } }] },
    select: { id: true, legacyKeys: true, legacyDisabledKeys: true },
  });
  const moved = { channels: 0, keys: 0 };
  if (legacy.length === 0) return moved;
  await db.prisma.$transaction(async (tx) => {
    for (const row of legacy) {
      const { count } = await tx.channel.updateMany({
        where: { id: row.id, legacyKeys: row.legacyKeys, legacyDisabledKeys: row.legacyDisabledKeys },
        data: { legacyKeys: '[]', legacyDisabledKeys: '{}' },
      });
      if (count === 0) continue; // moved by another instance meanwhile
      const keys = parseStringList(row.legacyKeys);
      const disabled = indexMap(row.legacyDisabledKeys);
      const now = new Date();
      const rows = sealKeys(secrets, keys, 0).map((k, i) => ({
        ...k,
        channelId: row.id,
        // The old columns knew only keys the relay disabled.
        ...(disabled[i] !== undefined ? { status: 'auto_disabled', disabledReason: disabled[i], disabledAt: now } : {}),
      }));
      if (rows.length) await tx.channelKey.createMany({ data: rows });
      moved.channels++;
      moved.keys += rows.length;
    }
  });
  return moved;
}

/**
 * A master key rotation: every stored key re-sealed from `from` to `to`, all or nothing. Returns how many. `alsoInTx`
 * re-seals other secrets (payment providers') in the same transaction.
 */
export async function resealKeys(db: Db, from: SecretBox, to: SecretBox, alsoInTx?: (tx: Tx) => Promise<unknown>): Promise<number> {
  return db.prisma.$transaction(
    async (tx) => {
      const keys = await tx.channelKey.findMany({ select: { id: true, secret: true } });
      for (const key of keys) {
        await tx.channelKey.update({ where: { id: key.id }, data: { secret: to.seal(KEY_PURPOSE, from.open(KEY_PURPOSE, key.secret)) } });
      }
      await alsoInTx?.(tx);
      return keys.length;
    },
    { timeout: 60_000 },
  );
}

/* ---------------------------------------------------------------- circuit breaker (relay/breaker.ts) */

/** A key (keyId) or a key-less channel (keyId null): whose breaker columns to write. */
export interface BreakerTarget {
  channelId: number;
  keyId: number | null;
}

/** The row's where-clause and update for a target: the key's row, or the key-less channel's own. */
async function updateBreaker(
  ctx: ChannelContext,
  target: BreakerTarget,
  where: Prisma.ChannelKeyWhereInput & Prisma.ChannelWhereInput,
  data: { consecutiveFailures?: number; lastError?: string | null; lastErrorAt?: Date | null; cooldownUntil?: Date | null },
): Promise<number> {
  const prisma = ctx.db.prisma;
  const { count } =
    target.keyId === null
      ? await prisma.channel.updateMany({ where: { id: target.channelId, ...(where as Prisma.ChannelWhereInput) }, data })
      : await prisma.channelKey.updateMany({ where: { id: target.keyId, channelId: target.channelId, ...(where as Prisma.ChannelKeyWhereInput) }, data });
  return count;
}

/**
 * The breaker opened (or, after a failed probe, stays open longer). Returns `opened` when this write started the
 * incident (the row was not cooling: exactly one instance gets that answer), `extended` otherwise, null when the row is
 * gone. Routing on every instance reloads.
 */
export async function openBreaker(
  ctx: ChannelContext,
  target: BreakerTarget,
  state: { until: Date; failures: number; reason: string; at: Date },
): Promise<'opened' | 'extended' | null> {
  const data = { cooldownUntil: state.until, consecutiveFailures: state.failures, lastError: state.reason, lastErrorAt: state.at };
  let outcome: 'opened' | 'extended' | null = null;
  if ((await updateBreaker(ctx, target, { cooldownUntil: null }, data)) === 1) outcome = 'opened';
  else if ((await updateBreaker(ctx, target, {}, data)) === 1) outcome = 'extended';
  if (outcome) ctx.bus.publish('channels');
  return outcome;
}

/** A success closed the breaker. True when the row was cooling (this write ended the incident: alert "recovered"). */
export async function closeBreaker(ctx: ChannelContext, target: BreakerTarget): Promise<boolean> {
  const recovered = (await updateBreaker(ctx, target, { cooldownUntil: { not: null } }, { cooldownUntil: null, consecutiveFailures: 0 })) === 1;
  if (recovered) ctx.bus.publish('channels');
  else await updateBreaker(ctx, target, { consecutiveFailures: { gt: 0 } }, { consecutiveFailures: 0 });
  return recovered;
}

/** The cheap health columns, in one batch off the hot path (they do not change routing: no reload). */
export async function saveBreakerCounts(
  ctx: ChannelContext,
  rows: Array<BreakerTarget & { failures: number; lastError: string | null; lastErrorAt: number | null }>,
): Promise<void> {
  for (const r of rows) {
    await updateBreaker(ctx, r, {}, {
      consecutiveFailures: r.failures,
      ...(r.lastError !== null ? { lastError: r.lastError, lastErrorAt: r.lastErrorAt === null ? null : new Date(r.lastErrorAt) } : {}),
    });
  }
}
