// Redemption codes: an admin mints a batch (each code shown once, stored as a hash), a user redeems one for quota.
// Redeeming is a single conditional claim inside one transaction with the credit and its log row, so a code pays out
// exactly once however many times it is sent at the same moment.
import { RelayError } from '../errors.js';
import { hashSecret, newRedemptionCode, visiblePrefix } from '../auth/secrets.js';
import { balanceOverflow, iso, MAX_UNITS, units, type GuessingContext, type PageResult, type ServiceContext } from './service-utils.js';
import type { Redemption } from '../generated/sqlite/client.js';

export type RedemptionStatus = 'unused' | 'redeemed' | 'disabled';

export interface RedemptionView {
  id: number;
  name: string;
  codePrefix: string;
  quota: number;
  status: RedemptionStatus;
  createdBy: number | null;
  redeemedBy: number | null;
  redeemedAt: string | null;
  createdAt: string;
}

export interface RedemptionFilter {
  status?: RedemptionStatus;
  name?: string;
}

export interface RedeemResult {
  /** Quota units credited by this code. */
  quota: number;
  /** The account's remaining quota after the credit. */
  balance: number;
}

/** Where a redemption came from; recorded as the usage log's `source`. */
export type RedeemSource = 'api' | 'telegram' | 'discord' | 'qq' | 'onebot' | 'admin';

export const MAX_CODES_PER_BATCH = 1000;

function toView(row: Redemption): RedemptionView {
  return {
    id: row.id,
    name: row.name,
    codePrefix: row.codePrefix,
    quota: units(row.quota),
    status: row.status as RedemptionStatus,
    createdBy: row.createdBy,
    redeemedBy: row.redeemedBy,
    redeemedAt: iso(row.redeemedAt),
    createdAt: row.createdAt.toISOString(),
  };
}

/** Mints `count` codes worth `quota` units each. The plain codes are returned once and never stored. */
export async function createRedemptions(
  ctx: ServiceContext,
  input: { quota: number; count: number; name: string },
  createdBy: number | null,
): Promise<string[]> {
  if (!Number.isSafeInteger(input.quota) || input.quota <= 0) {
    throw new RelayError('invalid_request', 'quota must be a whole number of units above 0', 400, { param: 'quota' });
  }
  if (!Number.isInteger(input.count) || input.count < 1 || input.count > MAX_CODES_PER_BATCH) {
    throw new RelayError('invalid_request', `count must be between 1 and ${MAX_CODES_PER_BATCH}`, 400, { param: 'count' });
  }
  const name = input.name.trim();
  if (!name) throw new RelayError('invalid_request', 'name must not be empty', 400, { param: 'name' });

  const codes = Array.from({ length: input.count }, () => newRedemptionCode());
  await ctx.db.prisma.redemption.createMany({
    data: codes.map((code) => ({
      name,
      codeHash: hashSecret(code),
      codePrefix: visiblePrefix(code),
      quota: BigInt(input.quota),
      createdBy,
    })),
  });
  return codes;
}

export async function listRedemptions(
  ctx: ServiceContext,
  filter: RedemptionFilter,
  page: { skip: number; take: number },
): Promise<PageResult<RedemptionView>> {
  const where = { status: filter.status, name: filter.name };
  const [rows, total] = await Promise.all([
    ctx.db.prisma.redemption.findMany({ where, orderBy: { id: 'desc' }, skip: page.skip, take: page.take }),
    ctx.db.prisma.redemption.count({ where }),
  ]);
  return { items: rows.map(toView), total };
}

/** Disables or re-enables an unredeemed code. A redeemed code is history and cannot change. */
export async function setRedemptionStatus(
  ctx: ServiceContext,
  id: number,
  status: 'unused' | 'disabled',
): Promise<RedemptionView> {
  // Conditional on "not redeemed" so a redemption racing this update is never turned back into an unused code.
  const changed = await ctx.db.prisma.redemption.updateMany({
    where: { id, status: { not: 'redeemed' } },
    data: { status },
  });
  const row = await ctx.db.prisma.redemption.findUnique({ where: { id } });
  if (!row) throw new RelayError('not_found', `redemption ${id} does not exist`);
  if (changed.count === 0) {
    throw new RelayError('conflict', `redemption ${id} was already redeemed and cannot change`, 409, { param: 'status' });
  }
  return toView(row);
}

/**
 * Credits `code` to `userId`: claims the code (only if still unused), raises the user's quota and writes the
 * 'redeem' usage log, all in one transaction. Unknown or disabled code → invalid_code (400), counted against the
 * code guess limits of the account and `client` (the caller's address or chat identity); already used →
 * already_redeemed (409). Used by POST /api/redeem and by the bots' /redeem command.
 */
export async function redeemCode(
  ctx: GuessingContext,
  userId: number,
  code: string,
  source: RedeemSource,
  client: string,
): Promise<RedeemResult> {
  const result = await ctx.guesses.codes.attempt(
    { account: `user ${userId}`, client },
    () => claimAndCredit(ctx, userId, code, source),
    (err) => err instanceof RelayError && err.code === 'invalid_code',
  );
  ctx.bus.publish('users');
  return result;
}

async function claimAndCredit(ctx: ServiceContext, userId: number, code: string, source: RedeemSource): Promise<RedeemResult> {
  const codeHash = hashSecret(code.trim());
  return ctx.db.prisma.$transaction(
    async (tx) => {
      const row = await tx.redemption.findUnique({ where: { codeHash } });
      if (!row) throw new RelayError('invalid_code', 'this redemption code does not exist', 400, { param: 'code' });
      if (row.status === 'disabled') {
        throw new RelayError('invalid_code', 'this redemption code has been disabled', 400, { param: 'code' });
      }
      // The claim itself: only one caller can move the row from unused to redeemed. A concurrent redeemer reads
      // 'unused' above but matches nothing here (PostgreSQL re-checks the condition after the row lock; SQLite
      // transactions run one at a time).
      const claimed = await tx.redemption.updateMany({
        where: { codeHash, status: 'unused' },
        data: { status: 'redeemed', redeemedBy: userId, redeemedAt: new Date() },
      });
      if (claimed.count !== 1) {
        throw new RelayError('already_redeemed', 'this redemption code has already been used', 409, { param: 'code' });
      }
      // Bounded in the WHERE, like every addition to a balance: the claim above rolls back with it.
      const credited = await tx.user.updateMany({
        where: { id: userId, quota: { lte: BigInt(MAX_UNITS) - row.quota } },
        data: { quota: { increment: row.quota } },
      });
      if (credited.count !== 1) {
        if ((await tx.user.count({ where: { id: userId } })) === 0) throw new RelayError('not_found', `user ${userId} does not exist`);
        throw balanceOverflow('code', 'your balance');
      }
      const user = await tx.user.findUniqueOrThrow({ where: { id: userId }, select: { quota: true, group: true } });
      await tx.usageLog.create({
        data: {
          type: 'redeem',
          source,
          userId,
          quota: row.quota,
          group: user.group,
          content: `redeemed code ${row.codePrefix}`,
        },
      });
      return { quota: units(row.quota), balance: units(user.quota) };
    },
    // SQLite runs transactions one after another: a burst of redemptions queues, so allow it time to start.
    { maxWait: 15_000, timeout: 15_000 },
  );
}
