// Relay tokens (sk-…): the keys apps use on /v1. The full key exists only in the answer to createToken; the database
// keeps its SHA-256 and a visible prefix. Every call names its Actor and follows permissions.ts: a token whose owner
// the actor may not act for reads as 404, so its existence is not revealed (root: every token; an admin: plain users'
// and their own; a user: their own). A token's group must be one its owner may use (mayUseGroup).
import { RelayError } from '../errors.js';
import { hashSecret, newRelayKey, visiblePrefix } from '../auth/secrets.js';
import { isIpOrCidr } from '../net/ip.js';
import { requireGroup } from './groups.js';
import { assertMayActFor, mayActFor, mayUseGroup, type Actor } from './permissions.js';
import { checkLimit, iso, pageArgs, parseStringList, units, type PageQuery, type PageResult, type ServiceContext } from './service-utils.js';

const NAME_MAX = 64;
const MODELS_MAX = 1000;
const ALLOW_IPS_MAX = 100;

/** A relay token as the API and the bots show it, never with its key (the route schema Token documents it). */
export interface TokenView {
  id: number;
  userId: number;
  name: string;
  keyPrefix: string;
  /** Remaining units of this token's own limit; null = unlimited. */
  quota: number | null;
  usedQuota: number;
  /** ISO 8601; null = never. */
  expiresAt: string | null;
  models: string[];
  allowIps: string[];
  group: string | null;
  status: 'enabled' | 'disabled';
  /** Rate limits (null = unlimited): requests and tokens per minute, calls at once. */
  rpm: number | null;
  tpm: number | null;
  maxConcurrent: number | null;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface TokenRow {
  id: number;
  userId: number;
  name: string;
  keyPrefix: string;
  remainQuota: bigint;
  unlimited: boolean;
  usedQuota: bigint;
  expiresAt: Date | null;
  models: string;
  allowIps: string;
  group: string | null;
  status: string;
  rpm: number | null;
  tpm: number | null;
  maxConcurrent: number | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export const toTokenView = (row: TokenRow): TokenView => ({
  id: row.id,
  userId: row.userId,
  name: row.name,
  keyPrefix: row.keyPrefix,
  quota: row.unlimited ? null : units(row.remainQuota),
  usedQuota: units(row.usedQuota),
  expiresAt: iso(row.expiresAt),
  models: parseStringList(row.models),
  allowIps: parseStringList(row.allowIps),
  group: row.group,
  status: row.status as TokenView['status'],
  rpm: row.rpm,
  tpm: row.tpm,
  maxConcurrent: row.maxConcurrent,
  createdAt: row.createdAt.toISOString(),
  lastUsedAt: iso(row.lastUsedAt),
});

const bad = (param: string, message: string) => new RelayError('invalid_request', message, 400, { param });


function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > NAME_MAX) throw bad('name', `name must be 1–${NAME_MAX} characters`);
  return trimmed;
}

/** null = unlimited; otherwise the remaining quota units of the token. */
function quotaColumns(quota: number | null): { unlimited: boolean; remainQuota: bigint } {
  if (quota === null) return { unlimited: true, remainQuota: 0n };
  if (!Number.isSafeInteger(quota) || quota < 0) throw bad('quota', 'quota must be null (unlimited) or a whole number ≥ 0');
  return { unlimited: false, remainQuota: BigInt(quota) };
}

function checkExpiresAt(value: string | Date | null, now = Date.now()): Date | null {
  if (value === null) return null;
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw bad('expiresAt', 'expiresAt must be an ISO 8601 date-time or null');
  if (date.getTime() <= now) throw bad('expiresAt', 'expiresAt must be in the future');
  return date;
}

function checkModels(models: string[]): string {
  if (models.length > MODELS_MAX) throw bad('models', `at most ${MODELS_MAX} models`);
  const clean = [...new Set(models.map((m) => m.trim()))];
  if (clean.some((m) => m.length === 0 || m.length > 200)) throw bad('models', 'model names must be 1–200 characters');
  return JSON.stringify(clean);
}

function checkAllowIps(entries: string[]): string {
  if (entries.length > ALLOW_IPS_MAX) throw bad('allowIps', `at most ${ALLOW_IPS_MAX} allowIps entries`);
  const clean = [...new Set(entries.map((e) => e.trim()))];
  const wrong = clean.find((e) => !isIpOrCidr(e));
  if (wrong !== undefined) throw bad('allowIps', `allowIps entry "${wrong}" is not an IP address or CIDR subnet`);
  return JSON.stringify(clean);
}

/**
 * A token's group overrides its owner's, so it must be a group the owner could switch into themselves (their own, a
 * userSelectable one, any for admins), whoever sets it: relay authentication applies the same rule again later, so an
 * admin's exception would not hold anyway. To give a user's token a closed group, move the user into it.
 */
async function checkTokenGroup(ctx: ServiceContext, group: string, owner: { id: number; role: string; group: string }): Promise<void> {
  const row = await requireGroup(ctx, group);
  if (mayUseGroup(owner, row)) return;
  throw new RelayError(
    'group_not_allowed',
    `group "${group}" is not open to user ${owner.id}; a token may only use a group its owner may choose (an admin can move the owner into it)`,
    403,
    { param: 'group' },
  );
}

export interface CreateTokenInput {
  userId: number;
  name: string;
  /** null or omitted = unlimited (the account's quota still applies). */
  quota?: number | null;
  expiresAt?: string | Date | null;
  models?: string[];
  allowIps?: string[];
  /** null or omitted = the owner's group. */
  group?: string | null;
  rpm?: number | null;
  tpm?: number | null;
  maxConcurrent?: number | null;
}

/** Returns the token and its full key; the key is never retrievable again. */
export async function createToken(ctx: ServiceContext, actor: Actor, input: CreateTokenInput): Promise<{ token: TokenView; key: string }> {
  const name = checkName(input.name);
  const quota = quotaColumns(input.quota ?? null);
  const expiresAt = checkExpiresAt(input.expiresAt ?? null);
  const models = checkModels(input.models ?? []);
  const allowIps = checkAllowIps(input.allowIps ?? []);
  const owner = await ctx.db.prisma.user.findUnique({ where: { id: input.userId } });
  // A missing owner is judged as a plain user: an admin learns it does not exist, a user only that it is not theirs.
  assertMayActFor(actor, owner ?? { id: input.userId, role: 'user' }, 'create tokens for', 'userId');
  if (!owner) throw bad('userId', `user ${input.userId} does not exist`);
  const group = input.group ?? null;
  if (group !== null) await checkTokenGroup(ctx, group, owner);

  const key = newRelayKey();
  const row = await ctx.db.prisma.token.create({
    data: {
      userId: owner.id,
      name,
      keyHash: hashSecret(key),
      keyPrefix: visiblePrefix(key),
      ...quota,
      expiresAt,
      models,
      allowIps,
      group,
      rpm: checkLimit(input.rpm, 'rpm'),
      tpm: checkLimit(input.tpm, 'tpm'),
      maxConcurrent: checkLimit(input.maxConcurrent, 'maxConcurrent'),
    },
  });
  ctx.bus.publish('tokens');
  return { token: toTokenView(row), key };
}

/** The tokens `actor` may see, optionally only those of `filter.userId` (refused when the actor may not act for it). */
export async function listTokens(
  ctx: ServiceContext,
  actor: Actor,
  filter: { userId?: number } = {},
  page: PageQuery = {},
): Promise<PageResult<TokenView>> {
  if (filter.userId !== undefined && filter.userId !== actor.id) {
    const owner = await ctx.db.prisma.user.findUnique({ where: { id: filter.userId }, select: { id: true, role: true } });
    assertMayActFor(actor, owner ?? { id: filter.userId, role: 'user' }, 'read the tokens of', 'userId');
  }
  const visible =
    actor.role === 'root' ? {} : actor.role === 'admin' ? { OR: [{ userId: actor.id }, { user: { role: 'user' } }] } : { userId: actor.id };
  const where = filter.userId === undefined ? visible : { AND: [visible, { userId: filter.userId }] };
  const [rows, total] = await Promise.all([
    ctx.db.prisma.token.findMany({ where, orderBy: { id: 'asc' }, ...pageArgs(page) }),
    ctx.db.prisma.token.count({ where }),
  ]);
  return { items: rows.map(toTokenView), total };
}

async function tokenRow(ctx: ServiceContext, actor: Actor, id: number) {
  const row = await ctx.db.prisma.token.findUnique({ where: { id }, include: { user: { select: { id: true, role: true, group: true } } } });
  // A token the actor may not act for answers exactly like a missing one.
  if (!row || !mayActFor(actor, row.user)) throw new RelayError('not_found', `token ${id} not found`);
  return row;
}

export async function getToken(ctx: ServiceContext, actor: Actor, id: number): Promise<TokenView> {
  return toTokenView(await tokenRow(ctx, actor, id));
}

export interface UpdateTokenInput {
  name?: string;
  /** null = unlimited; a number sets the remaining quota. */
  quota?: number | null;
  status?: 'enabled' | 'disabled';
  expiresAt?: string | Date | null;
  models?: string[];
  allowIps?: string[];
  group?: string | null;
  /** null clears a limit. */
  rpm?: number | null;
  tpm?: number | null;
  maxConcurrent?: number | null;
}

export async function updateToken(ctx: ServiceContext, actor: Actor, id: number, patch: UpdateTokenInput): Promise<TokenView> {
  const current = await tokenRow(ctx, actor, id);
  const data = {
    name: patch.name === undefined ? undefined : checkName(patch.name),
    ...(patch.quota === undefined ? {} : quotaColumns(patch.quota)),
    status: patch.status,
    expiresAt: patch.expiresAt === undefined ? undefined : checkExpiresAt(patch.expiresAt),
    models: patch.models === undefined ? undefined : checkModels(patch.models),
    allowIps: patch.allowIps === undefined ? undefined : checkAllowIps(patch.allowIps),
    group: patch.group,
    rpm: patch.rpm === undefined ? undefined : checkLimit(patch.rpm, 'rpm'),
    tpm: patch.tpm === undefined ? undefined : checkLimit(patch.tpm, 'tpm'),
    maxConcurrent: patch.maxConcurrent === undefined ? undefined : checkLimit(patch.maxConcurrent, 'maxConcurrent'),
  };
  if (patch.group !== undefined && patch.group !== null && patch.group !== current.group) {
    await checkTokenGroup(ctx, patch.group, current.user);
  }
  const row = await ctx.db.prisma.token.update({ where: { id }, data });
  ctx.bus.publish('tokens');
  return toTokenView(row);
}

export async function deleteToken(ctx: ServiceContext, actor: Actor, id: number): Promise<void> {
  await tokenRow(ctx, actor, id);
  await ctx.db.prisma.token.deleteMany({ where: { id } });
  ctx.bus.publish('tokens');
}
