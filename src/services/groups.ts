// Groups: a price multiplier (ratio) every member's usage is charged with, and whether users may pick it themselves.
// Ratios are exact decimal strings (services/ratios.ts) so billing never meets a binary float.
import { RelayError } from '../errors.js';
import { normalizeRatio } from './ratios.js';
import { checkLimit, isUniqueViolation, pageArgs, type PageQuery, type PageResult, type ServiceContext } from './service-utils.js';

export const DEFAULT_GROUP = 'default';
export const GROUP_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$';
const GROUP_NAME = new RegExp(GROUP_NAME_PATTERN);

/** A group as the API and the bots show it (the route schema Group documents it). */
export interface GroupView {
  name: string;
  /** Exact decimal string ("0.8"). */
  ratio: string;
  description: string;
  userSelectable: boolean;
  /** Requests and tokens per minute for each user of the group; null = unlimited. */
  rpm: number | null;
  tpm: number | null;
}

export interface GroupRow {
  name: string;
  ratio: string;
  description: string;
  userSelectable: boolean;
  rpm: number | null;
  tpm: number | null;
}

export const toGroupView = (row: GroupRow): GroupView => ({
  name: row.name,
  ratio: row.ratio,
  description: row.description,
  userSelectable: row.userSelectable,
  rpm: row.rpm,
  tpm: row.tpm,
});

function checkName(name: string): void {
  if (!GROUP_NAME.test(name)) {
    throw new RelayError('invalid_request', 'group name must be 1–32 letters, digits, "_", "." or "-"', 400, { param: 'name' });
  }
}

/** The group row, or 404. */
export async function getGroup(ctx: ServiceContext, name: string): Promise<GroupView> {
  const row = await ctx.db.prisma.group.findUnique({ where: { name } });
  if (!row) throw new RelayError('not_found', `group "${name}" not found`);
  return toGroupView(row);
}

/** For fields that reference a group (user.group, token.group): a missing group is the request's fault (400). */
export async function requireGroup(ctx: ServiceContext, name: string, param = 'group'): Promise<GroupView> {
  const row = await ctx.db.prisma.group.findUnique({ where: { name } });
  if (!row) throw new RelayError('invalid_request', `group "${name}" does not exist`, 400, { param });
  return toGroupView(row);
}

/**
 * Admins (`viewer` undefined or an admin) see every group; a user sees the groups open to them: the selectable ones
 * and their own.
 */
export async function listGroups(
  ctx: ServiceContext,
  page: PageQuery = {},
  viewer?: { isAdmin: boolean; group: string },
): Promise<PageResult<GroupView>> {
  const where = !viewer || viewer.isAdmin ? {} : { OR: [{ userSelectable: true }, { name: viewer.group }] };
  const [rows, total] = await Promise.all([
    ctx.db.prisma.group.findMany({ where, orderBy: { name: 'asc' }, ...pageArgs(page) }),
    ctx.db.prisma.group.count({ where }),
  ]);
  return { items: rows.map(toGroupView), total };
}

export interface CreateGroupInput {
  name: string;
  ratio: number | string;
  description?: string;
  userSelectable?: boolean;
  rpm?: number | null;
  tpm?: number | null;
}

export async function createGroup(ctx: ServiceContext, input: CreateGroupInput): Promise<GroupView> {
  checkName(input.name);
  const ratio = normalizeRatio(input.ratio, 'ratio');
  try {
    const row = await ctx.db.prisma.group.create({
      data: {
        name: input.name,
        ratio,
        description: input.description ?? '',
        userSelectable: input.userSelectable ?? true,
        rpm: checkLimit(input.rpm, 'rpm'),
        tpm: checkLimit(input.tpm, 'tpm'),
      },
    });
    ctx.bus.publish('groups');
    return toGroupView(row);
  } catch (err) {
    if (isUniqueViolation(err)) throw new RelayError('conflict', `group "${input.name}" already exists`, 409, { param: 'name' });
    throw err;
  }
}

export interface UpdateGroupInput {
  ratio?: number | string;
  description?: string;
  userSelectable?: boolean;
  /** null clears a limit. */
  rpm?: number | null;
  tpm?: number | null;
}

export async function updateGroup(ctx: ServiceContext, name: string, patch: UpdateGroupInput): Promise<GroupView> {
  const ratio = patch.ratio === undefined ? undefined : normalizeRatio(patch.ratio, 'ratio');
  const result = await ctx.db.prisma.group.updateMany({
    where: { name },
    data: {
      ratio,
      description: patch.description,
      userSelectable: patch.userSelectable,
      rpm: patch.rpm === undefined ? undefined : checkLimit(patch.rpm, 'rpm'),
      tpm: patch.tpm === undefined ? undefined : checkLimit(patch.tpm, 'tpm'),
    },
  });
  if (result.count === 0) throw new RelayError('not_found', `group "${name}" not found`);
  ctx.bus.publish('groups');
  return getGroup(ctx, name);
}

/** Refuses `default` and groups still used by users or tokens (409 with the counts, so the admin knows what to move). */
export async function deleteGroup(ctx: ServiceContext, name: string): Promise<void> {
  if (name === DEFAULT_GROUP) {
    throw new RelayError('conflict', 'the default group cannot be deleted: new users join it');
  }
  await getGroup(ctx, name);
  const [users, tokens] = await Promise.all([
    ctx.db.prisma.user.count({ where: { group: name } }),
    ctx.db.prisma.token.count({ where: { group: name } }),
  ]);
  if (users > 0 || tokens > 0) {
    const what = [users > 0 ? plural(users, 'user') : '', tokens > 0 ? plural(tokens, 'token') : ''].filter(Boolean).join(' and ');
    throw new RelayError('conflict', `group "${name}" is used by ${what}; move them to another group first`, 409, {
      users,
      tokens,
    });
  }
  await ctx.db.prisma.group.deleteMany({ where: { name } });
  ctx.bus.publish('groups');
}

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;
