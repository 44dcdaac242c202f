// Accounts: create, read, change and delete users, top up their quota, switch their group, change passwords.
// Plain functions over (db, bus) so the /api routes and the chat bots share one set of rules. Every refusal is a
// RelayError; every write publishes 'users' (and 'tokens', whose cached entries carry the owner's status and group).
import { RelayError } from '../errors.js';
import { hashPassword, passwordProblem, verifyPassword } from '../auth/passwords.js';
import {
  assertMayAdminister,
  assertMayChangeRole,
  assertMaySetPassword,
  assertNotEndingRoot,
  mayUseGroup,
  type Actor,
  type Role,
} from './permissions.js';
import { QUOTA_PER_USD } from '../billing/decimal.js';
import { requireGroup } from './groups.js';
import {
  isUniqueViolation,
  pageArgs,
  units,
  balanceOverflow,
  MAX_UNITS,
  type GuessingContext,
  type PageQuery,
  type PageResult,
  type ServiceContext,
} from './service-utils.js';

export const USERNAME_PATTERN = '^[A-Za-z0-9_.@-]{2,64}$';
const USERNAME = new RegExp(USERNAME_PATTERN);

/** A user as the API and the bots show it (the route schema User in src/routes/api/schemas.ts documents it). */
export interface UserView {
  id: number;
  username: string;
  role: Role;
  group: string;
  /** Remaining quota units (500,000 = 1 USD). */
  quota: number;
  usedQuota: number;
  requestCount: number;
  status: 'enabled' | 'disabled';
  /** ISO 8601. */
  createdAt: string;
}

export interface UserRow {
  id: number;
  username: string;
  role: string;
  group: string;
  quota: bigint;
  usedQuota: bigint;
  requestCount: number;
  status: string;
  createdAt: Date;
}

export const toUserView = (row: UserRow): UserView => ({
  id: row.id,
  username: row.username,
  role: row.role as UserView['role'],
  group: row.group,
  quota: units(row.quota),
  usedQuota: units(row.usedQuota),
  requestCount: row.requestCount,
  status: row.status as UserView['status'],
  createdAt: row.createdAt.toISOString(),
});

export function usernameProblem(username: string): string | undefined {
  return USERNAME.test(username) ? undefined : 'username must be 2–64 letters, digits, "_", ".", "@" or "-"';
}

function checkUsername(username: string): void {
  const problem = usernameProblem(username);
  if (problem) throw new RelayError('invalid_request', problem, 400, { param: 'username' });
}

function checkPassword(password: string, param = 'password'): void {
  const problem = passwordProblem(password);
  if (problem) throw new RelayError('invalid_request', problem, 400, { param });
}

const usernameTaken = (username: string) =>
  new RelayError('conflict', `username "${username}" is already taken`, 409, { param: 'username' });

function published(ctx: ServiceContext): void {
  ctx.bus.publish('users');
  ctx.bus.publish('tokens');
}

async function userRow(ctx: ServiceContext, id: number) {
  const row = await ctx.db.prisma.user.findUnique({ where: { id } });
  if (!row) throw new RelayError('not_found', `user ${id} not found`);
  return row;
}

export async function getUser(ctx: ServiceContext, id: number): Promise<UserView> {
  return toUserView(await userRow(ctx, id));
}

/** A page of users by id; `search` keeps those whose username contains it. */
export async function listUsers(ctx: ServiceContext, page: PageQuery = {}, search?: string): Promise<PageResult<UserView>> {
  const where = search ? { username: { contains: search } } : {};
  const [rows, total] = await Promise.all([
    ctx.db.prisma.user.findMany({ where, orderBy: { id: 'asc' }, ...pageArgs(page) }),
    ctx.db.prisma.user.count({ where }),
  ]);
  return { items: rows.map(toUserView), total };
}

export interface CreateUserInput {
  username: string;
  /** Omitted for accounts made by the chat bots: they never log in with a password. */
  password?: string;
  role?: 'user' | 'admin';
  group?: string;
  quota?: number;
}

/** `actor` is who creates the account; only root may create admins. Duplicate username → 409 conflict. */
export async function createUser(ctx: ServiceContext, input: CreateUserInput, actor?: Actor): Promise<UserView> {
  checkUsername(input.username);
  if (input.password !== undefined) checkPassword(input.password);
  const role: Role = input.role ?? 'user';
  if (role !== 'user') assertMayChangeRole(actor, null, role);
  const quota = input.quota ?? 0;
  if (!Number.isSafeInteger(quota) || quota < 0) {
    throw new RelayError('invalid_request', 'quota must be a whole number ≥ 0', 400, { param: 'quota' });
  }
  const group = input.group ?? 'default';
  await requireGroup(ctx, group);
  const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
  try {
    const row = await ctx.db.prisma.user.create({
      data: { username: input.username, passwordHash, role, group, quota: BigInt(quota) },
    });
    published(ctx);
    return toUserView(row);
  } catch (err) {
    if (isUniqueViolation(err)) throw usernameTaken(input.username);
    throw err;
  }
}

export interface UpdateUserInput {
  username?: string;
  password?: string;
  role?: 'user' | 'admin';
  group?: string;
  status?: 'enabled' | 'disabled';
  /** Sets the remaining quota. */
  quota?: number;
  /** Adds to (or, negative, takes from) the remaining quota; never below 0. Atomic against concurrent spending. */
  addQuota?: number;
}

export interface UpdateOptions {
  /** The management key the request came with: kept when the password changes (every other login key is revoked). */
  keepKeyHash?: string;
}

export async function updateUser(
  ctx: ServiceContext,
  actor: Actor,
  id: number,
  patch: UpdateUserInput,
  opts: UpdateOptions = {},
): Promise<UserView> {
  const target = await userRow(ctx, id);
  assertMayAdminister(actor, target, 'change');
  if (patch.role !== undefined && patch.role !== target.role) assertMayChangeRole(actor, target, patch.role);
  if (patch.status === 'disabled') assertNotEndingRoot(target, 'disable');
  if (patch.password !== undefined) assertMaySetPassword(actor, target);
  if (patch.quota !== undefined && patch.addQuota !== undefined) {
    throw new RelayError('invalid_request', 'send either quota (set) or addQuota (top-up), not both', 400, { param: 'addQuota' });
  }
  for (const [param, value] of [['quota', patch.quota], ['addQuota', patch.addQuota]] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || (param === 'quota' && value < 0))) {
      throw new RelayError('invalid_request', `${param} must be a whole number${param === 'quota' ? ' ≥ 0' : ''}`, 400, { param });
    }
  }
  if (patch.username !== undefined) checkUsername(patch.username);
  if (patch.password !== undefined) checkPassword(patch.password);
  if (patch.group !== undefined) await requireGroup(ctx, patch.group);
  const passwordHash = patch.password === undefined ? undefined : await hashPassword(patch.password);

  try {
    await ctx.db.prisma.$transaction(async (tx) => {
      await tx.user.update({
        where: { id },
        data: {
          username: patch.username,
          passwordHash,
          role: patch.role,
          group: patch.group,
          status: patch.status,
          quota: patch.quota === undefined ? undefined : BigInt(patch.quota),
        },
      });
      if (patch.addQuota !== undefined && patch.addQuota !== 0) {
        const delta = BigInt(patch.addQuota);
        // The guards are in the WHERE so a concurrent spend or top-up cannot push the balance below zero or past
        // MAX_UNITS between read and write.
        const done = await tx.user.updateMany({
          where: { id, quota: { gte: -delta, lte: BigInt(MAX_UNITS) - delta } },
          data: { quota: { increment: delta } },
        });
        if (done.count === 0) {
          if (delta > 0n) throw balanceOverflow('addQuota', `user ${id}'s quota`);
          throw new RelayError('invalid_request', 'addQuota would take the quota below 0', 400, { param: 'addQuota' });
        }
      }
      if (patch.quota !== undefined || (patch.addQuota ?? 0) !== 0) {
        await tx.usageLog.create({ data: quotaLogEntry(actor, id, target.quota, patch) });
      }
      if (passwordHash !== undefined) {
        await tx.managementKey.deleteMany({
          where: { userId: id, kind: { in: ['login', 'session'] }, ...(opts.keepKeyHash ? { NOT: { keyHash: opts.keepKeyHash } } : {}) },
        });
      }
    });
  } catch (err) {
    if (isUniqueViolation(err) && patch.username !== undefined) throw usernameTaken(patch.username);
    throw err;
  }
  published(ctx);
  return getUser(ctx, id);
}

/** An audit line in the usage log for every admin change of an account's money. */
function quotaLogEntry(actor: Actor, userId: number, before: bigint, patch: UpdateUserInput) {
  const by = `by user ${actor.id}`;
  if (patch.quota !== undefined) {
    return { type: 'manage', source: 'admin', userId, quota: 0n, content: `quota set from ${before} to ${patch.quota} ${by}` };
  }
  const delta = patch.addQuota ?? 0;
  return delta > 0
    ? { type: 'topup', source: 'admin', userId, quota: BigInt(delta), content: `top-up of ${delta} ${by}` }
    : { type: 'manage', source: 'admin', userId, quota: BigInt(-delta), content: `deduction of ${-delta} ${by}` };
}

/** Deletes the account with its tokens, management keys and chat links. Root can never be deleted. */
export async function deleteUser(ctx: ServiceContext, actor: Actor, id: number): Promise<void> {
  const target = await userRow(ctx, id);
  assertNotEndingRoot(target, 'delete');
  assertMayAdminister(actor, target, 'delete');
  const prisma = ctx.db.prisma;
  // Explicit child deletes: the cascade is declared, but it must not depend on the SQLite connection's FK pragma.
  await prisma.$transaction([
    prisma.token.deleteMany({ where: { userId: id } }),
    prisma.managementKey.deleteMany({ where: { userId: id } }),
    prisma.platformLink.deleteMany({ where: { userId: id } }),
    prisma.user.delete({ where: { id } }),
  ]);
  published(ctx);
}

/** An account as its owner sees it: the user fields plus the quota in USD. */
export interface AccountView extends UserView {
  quotaUsd: number;
  usedQuotaUsd: number;
}

export const unitsToUsd = (value: number): number => Math.round((value / QUOTA_PER_USD) * 1e6) / 1e6;

export async function getAccount(ctx: ServiceContext, userId: number): Promise<AccountView> {
  const user = await getUser(ctx, userId);
  return { ...user, quotaUsd: unitsToUsd(user.quota), usedQuotaUsd: unitsToUsd(user.usedQuota) };
}

/**
 * The user moves themself into `group`: one they may use (permissions.ts mayUseGroup: userSelectable, or any for
 * admins). Unknown group → 400; a closed group → 403 group_not_allowed. Admins move others with PATCH /api/users/:id.
 */
export async function switchGroup(ctx: ServiceContext, userId: number, group: string): Promise<UserView> {
  const user = await userRow(ctx, userId);
  const target = await requireGroup(ctx, group);
  if (!mayUseGroup(user, target)) {
    throw new RelayError('group_not_allowed', `group "${group}" cannot be chosen; ask an admin`, 403, { param: 'group' });
  }
  if (user.group !== group) {
    await ctx.db.prisma.user.update({ where: { id: userId }, data: { group } });
    published(ctx);
  }
  return toUserView({ ...user, group });
}

/**
 * The owner changes their own password. When the account has a password, the current one must be given (a stolen
 * login key alone must not be enough to take the account over), and wrong ones count against the same limits as
 * wrong logins (`client`: the caller's address). Other login keys are revoked; `keepKeyHash` stays.
 */
export async function changeOwnPassword(
  ctx: GuessingContext,
  userId: number,
  input: { password: string; currentPassword?: string },
  client: string,
  keepKeyHash?: string,
): Promise<void> {
  checkPassword(input.password);
  const user = await userRow(ctx, userId);
  const stored = user.passwordHash;
  if (stored) {
    const current = input.currentPassword;
    if (current === undefined) {
      throw new RelayError('invalid_request', 'currentPassword is required to change the password', 400, { param: 'currentPassword' });
    }
    const wrong = new RelayError('invalid_request', 'currentPassword is wrong', 400, { param: 'currentPassword' });
    await ctx.guesses.passwords.attempt(
      { account: user.username, client },
      async () => {
        if (!(await verifyPassword(current, stored))) throw wrong;
      },
      (err) => err === wrong,
    );
  }
  const passwordHash = await hashPassword(input.password);
  await ctx.db.prisma.$transaction([
    ctx.db.prisma.user.update({ where: { id: userId }, data: { passwordHash } }),
    ctx.db.prisma.managementKey.deleteMany({
      where: { userId, kind: { in: ['login', 'session'] }, ...(keepKeyHash ? { NOT: { keyHash: keepKeyHash } } : {}) },
    }),
  ]);
  published(ctx);
}
