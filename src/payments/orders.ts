// Payment orders in the database, and the two places money moves: crediting a paid order and taking quota back after
// a refund or chargeback. Both are one transaction each, whatever instance runs them and however often a provider
// repeats itself:
//
//   credit:   UPDATE order SET status = paid WHERE id AND status IN (pending, expired) AND amount AND currency
//             → quota += order.quota → usage log (topup) → INSERT PaymentEvent(provider, eventId)
//   reverse:  lock the order row → refunded/disputed = max(stored, reported) → take back the unspent share of the
//             quota (never below zero; the rest is recorded as unrecovered) → usage log (manage) → INSERT PaymentEvent
//
// The conditional update lets exactly one confirmation of an order credit it; the unique (provider, eventId) makes a
// repeated event roll its whole transaction back (on PostgreSQL a concurrent duplicate waits on the index and then
// fails). Refunds carry cumulative amounts, so they can arrive in any order, before or after the payment itself.
import { randomBytes } from 'node:crypto';
import type { PaymentOrder, Prisma } from '../generated/sqlite/client.js';
import { RelayError } from '../errors.js';
import { isUniqueViolation, iso, units, type PageResult } from '../services/service-utils.js';
import { formatMoney, minorDigits, reversedQuota } from './money.js';
import type { PaymentContext } from './settings.js';

export const ORDER_STATUSES = ['pending', 'paid', 'expired', 'failed', 'refunded', 'partially_refunded', 'disputed'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export const PROVIDERS = ['stripe', 'epay', 'telegram_stars'] as const;
export type PaymentProvider = (typeof PROVIDERS)[number];
export const ORDER_SOURCES = ['console', 'telegram', 'discord', 'qq', 'onebot'] as const;
export type OrderSource = (typeof ORDER_SOURCES)[number];

/** Statuses an order can be credited from: an expired order whose payment still arrives was paid all the same. */
const CREDITABLE: OrderStatus[] = ['pending', 'expired'];

type Tx = Prisma.TransactionClient;
const TX_OPTIONS = { maxWait: 15_000, timeout: 15_000 };

/** "RS" + time (base 36) + 40 random bits: unique, not guessable, accepted by every provider (≤ 32 alphanumerics). */
export function newTradeNo(): string {
  return `RS${Date.now().toString(36).toUpperCase()}${randomBytes(5).toString('hex').toUpperCase()}`;
}

export interface NewOrder {
  userId: number;
  provider: PaymentProvider;
  method: string;
  currency: string;
  amount: number;
  quota: number;
  bonusQuota: number;
  source: OrderSource;
  chatUserId?: string;
  locale: 'en' | 'zh';
  expiresAt: Date;
}

export async function insertOrder(ctx: PaymentContext, order: NewOrder): Promise<PaymentOrder> {
  return ctx.db.prisma.paymentOrder.create({
    data: {
      ...order,
      tradeNo: newTradeNo(),
      amount: BigInt(order.amount),
      quota: BigInt(order.quota),
      bonusQuota: BigInt(order.bonusQuota),
      chatUserId: order.chatUserId ?? null,
    },
  });
}

export async function recordCheckout(ctx: PaymentContext, id: number, checkout: { providerRef?: string; checkoutUrl: string }): Promise<PaymentOrder> {
  return ctx.db.prisma.paymentOrder.update({ where: { id }, data: { providerRef: checkout.providerRef, checkoutUrl: checkout.checkoutUrl } });
}

/** A pending order past its expiry reads as expired before the sweep has written it. */
export function effectiveStatus(row: Pick<PaymentOrder, 'status' | 'expiresAt'>, now = Date.now()): OrderStatus {
  return row.status === 'pending' && row.expiresAt.getTime() <= now ? 'expired' : (row.status as OrderStatus);
}

export interface OrderView {
  id: number;
  tradeNo: string;
  userId: number;
  username?: string | null;
  provider: PaymentProvider;
  method: string;
  currency: string;
  /** Decimals of the currency's minor unit (2 for CNY, 0 for JPY and Stars): amount ÷ 10^minorDigits is the price. */
  minorDigits: number;
  /** Minor units. */
  amount: number;
  /** "10.00 CNY", "100 ⭐". */
  amountText: string;
  quota: number;
  bonusQuota: number;
  status: OrderStatus;
  providerRef: string | null;
  /** Where to pay, while the order is payable. */
  checkoutUrl: string | null;
  source: OrderSource;
  refundedAmount: number;
  disputedAmount: number;
  quotaReclaimed: number;
  quotaUnrecovered: number;
  paidBy: number | null;
  note: string;
  createdAt: string;
  expiresAt: string;
  paidAt: string | null;
  refundedAt: string | null;
}

export function orderView(row: PaymentOrder, username?: string | null): OrderView {
  const status = effectiveStatus(row);
  return {
    id: row.id,
    tradeNo: row.tradeNo,
    userId: row.userId,
    ...(username === undefined ? {} : { username }),
    provider: row.provider as PaymentProvider,
    method: row.method,
    currency: row.currency,
    minorDigits: minorDigits(row.currency),
    amount: units(row.amount),
    amountText: formatMoney(row.amount, row.currency),
    quota: units(row.quota),
    bonusQuota: units(row.bonusQuota),
    status,
    providerRef: row.providerRef,
    checkoutUrl: status === 'pending' ? row.checkoutUrl : null,
    source: row.source as OrderSource,
    refundedAmount: units(row.refundedAmount),
    disputedAmount: units(row.disputedAmount),
    quotaReclaimed: units(row.quotaReclaimed),
    quotaUnrecovered: units(row.quotaUnrecovered),
    paidBy: row.paidBy,
    note: row.note,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    paidAt: iso(row.paidAt),
    refundedAt: iso(row.refundedAt),
  };
}

export interface OrderFilter {
  userId?: number;
  status?: OrderStatus;
  provider?: PaymentProvider;
  tradeNo?: string;
  /** Inclusive / exclusive creation time. */
  from?: Date;
  to?: Date;
}

/** Newest first. `withUsernames` adds the buyer's username (admin lists). Expired-but-unswept orders filter as expired. */
export async function listOrders(
  ctx: PaymentContext,
  filter: OrderFilter,
  page: { skip: number; take: number },
  withUsernames = false,
): Promise<PageResult<OrderView>> {
  const now = new Date();
  const status: Prisma.PaymentOrderWhereInput =
    filter.status === 'pending'
      ? { status: 'pending', expiresAt: { gt: now } }
      : filter.status === 'expired'
        ? { OR: [{ status: 'expired' }, { status: 'pending', expiresAt: { lte: now } }] }
        : filter.status
          ? { status: filter.status }
          : {};
  const where: Prisma.PaymentOrderWhereInput = {
    ...status,
    userId: filter.userId,
    provider: filter.provider,
    tradeNo: filter.tradeNo,
    createdAt: filter.from || filter.to ? { gte: filter.from, lt: filter.to } : undefined,
  };
  const prisma = ctx.db.prisma;
  const [rows, total] = await Promise.all([
    prisma.paymentOrder.findMany({ where, orderBy: { id: 'desc' }, skip: page.skip, take: page.take }),
    prisma.paymentOrder.count({ where }),
  ]);
  if (!withUsernames) return { items: rows.map((r) => orderView(r)), total };
  const users = await prisma.user.findMany({ where: { id: { in: [...new Set(rows.map((r) => r.userId))] } }, select: { id: true, username: true } });
  const names = new Map(users.map((u) => [u.id, u.username]));
  return { items: rows.map((r) => orderView(r, names.get(r.userId) ?? null)), total };
}

/** The notifications and admin actions recorded for one order, oldest first (the order's history for its detail page). */
export async function orderEvents(ctx: PaymentContext, orderId: number) {
  return ctx.db.prisma.paymentEvent.findMany({
    where: { orderId },
    orderBy: { id: 'asc' },
    take: 200,
    select: { id: true, provider: true, eventId: true, type: true, outcome: true, createdAt: true },
  });
}

export async function findOrder(ctx: PaymentContext, where: { id: number } | { tradeNo: string }): Promise<PaymentOrder | null> {
  return ctx.db.prisma.paymentOrder.findUnique({ where });
}

export async function requireOrder(ctx: PaymentContext, id: number): Promise<PaymentOrder> {
  const row = await findOrder(ctx, { id });
  if (!row) throw new RelayError('not_found', `order ${id} does not exist`);
  return row;
}

/* ------------------------------------------------------------------ crediting */

/** One notification (or admin action), as recorded in PaymentEvent: acted on once per (provider, eventId). */
export interface PaymentEventKey {
  provider: PaymentProvider;
  /** Unique per provider: Stripe event id, EPay trade_no, telegram_payment_charge_id, "manual:<order id>". */
  eventId: string;
  eventType: string;
}

/** A provider's (or an admin's) word that an order was paid. Amount and currency are what the provider reports. */
export interface PaymentConfirmation extends PaymentEventKey {
  amount: bigint;
  currency: string;
  providerRef?: string;
  paymentRef?: string;
  /** Marked paid by hand by this admin. */
  paidBy?: number;
  note?: string;
}

export type CreditOutcome =
  | { kind: 'credited'; order: PaymentOrder; balance: number; lateAfterExpiry: boolean }
  | { kind: 'duplicate' }
  | { kind: 'not_payable'; status: OrderStatus }
  | { kind: 'mismatch'; expected: string; reported: string }
  | { kind: 'user_missing' };

/**
 * Credits the order's quota once. A repeated event is `duplicate`; another confirmation of an order already paid (or
 * refunded before it was confirmed) is `not_payable`; a different amount or currency is `mismatch` and credits nothing.
 */
export async function creditOrder(ctx: PaymentContext, order: PaymentOrder, c: PaymentConfirmation): Promise<CreditOutcome> {
  const currency = c.currency.toUpperCase();
  if (c.amount !== order.amount || currency !== order.currency) {
    const outcome: CreditOutcome = { kind: 'mismatch', expected: formatMoney(order.amount, order.currency), reported: `${c.amount} ${currency}` };
    await recordEvent(ctx, c, order.id, `refused: amount or currency changed (expected ${outcome.expected}, got ${outcome.reported} in minor units)`);
    return outcome;
  }
  const now = new Date();
  try {
    return await ctx.db.prisma.$transaction(async (tx): Promise<CreditOutcome> => {
      const claimed = await tx.paymentOrder.updateMany({
        where: { id: order.id, status: { in: CREDITABLE }, amount: order.amount, currency: order.currency },
        data: {
          status: 'paid',
          paidAt: now,
          providerRef: c.providerRef,
          paymentRef: c.paymentRef,
          paidBy: c.paidBy,
          ...(c.note ? { note: c.note } : {}),
        },
      });
      if (claimed.count === 0) {
        const current = await tx.paymentOrder.findUniqueOrThrow({ where: { id: order.id }, select: { status: true } });
        await insertEvent(tx, c, order.id, `not credited: the order is ${current.status}`);
        return { kind: 'not_payable', status: current.status as OrderStatus };
      }
      const credited = await tx.user.updateMany({ where: { id: order.userId }, data: { quota: { increment: order.quota } } });
      if (credited.count !== 1) throw new UserMissing();
      const user = await tx.user.findUniqueOrThrow({ where: { id: order.userId }, select: { quota: true, group: true } });
      const lateAfterExpiry = order.expiresAt.getTime() <= now.getTime();
      const bonus = order.bonusQuota > 0n ? ` (bonus ${order.bonusQuota})` : '';
      const how = c.paidBy ? `marked paid by hand by user ${c.paidBy}${c.note ? `: ${c.note}` : ''}` : `paid via ${c.provider}`;
      await tx.usageLog.create({
        data: {
          type: 'topup',
          source: c.paidBy ? 'admin' : c.provider,
          userId: order.userId,
          quota: order.quota,
          group: user.group,
          content: `order ${order.tradeNo} ${how}: ${formatMoney(order.amount, order.currency)}${bonus}${lateAfterExpiry ? ', after the order had expired' : ''}`,
        },
      });
      let paid = await tx.paymentOrder.findUniqueOrThrow({ where: { id: order.id } });
      if (paid.refundedAmount > 0n || paid.disputedAmount > 0n) {
        // A refund was reported before this confirmation: take its share back at once.
        paid = (await applyReversal(tx, paid, { refunded: paid.refundedAmount, disputed: paid.disputedAmount }, c.provider, now)).order;
      }
      await insertEvent(tx, c, order.id, 'credited');
      const balance = paid.refundedAmount > 0n || paid.disputedAmount > 0n
        ? (await tx.user.findUniqueOrThrow({ where: { id: order.userId }, select: { quota: true } })).quota
        : user.quota;
      return { kind: 'credited', order: paid, balance: units(balance), lateAfterExpiry };
    }, TX_OPTIONS);
  } catch (err) {
    if (isUniqueViolation(err)) return { kind: 'duplicate' };
    if (err instanceof UserMissing) {
      await recordEvent(ctx, c, order.id, `not credited: user ${order.userId} no longer exists`);
      return { kind: 'user_missing' };
    }
    throw err;
  }
}

class UserMissing extends Error {}

/* ------------------------------------------------------------------ refunds and chargebacks */

export interface ReversalReport extends PaymentEventKey {
  /** Cumulative amounts (minor units) as the provider reports them now; a smaller or missing value changes nothing. */
  refundedAmount?: bigint;
  disputedAmount?: bigint;
  /** Recorded by hand (or issued) by this admin. */
  by?: number;
  note?: string;
}

export type ReversalOutcome =
  | { kind: 'reversed'; order: PaymentOrder; reclaimed: bigint; unrecovered: bigint }
  | { kind: 'unchanged'; order: PaymentOrder }
  | { kind: 'duplicate' };

export async function reverseOrder(ctx: PaymentContext, orderId: number, r: ReversalReport): Promise<ReversalOutcome> {
  const now = new Date();
  try {
    const outcome = await ctx.db.prisma.$transaction(async (tx): Promise<ReversalOutcome> => {
      // The touch takes the order's row lock first (PostgreSQL; on SQLite the write lock), so what is read next is
      // current and no other reversal of this order interleaves.
      const order = await tx.paymentOrder.update({ where: { id: orderId }, data: { updatedAt: now } });
      const refunded = max(order.refundedAmount, r.refundedAmount ?? 0n);
      const disputed = max(order.disputedAmount, r.disputedAmount ?? 0n);
      if (refunded === order.refundedAmount && disputed === order.disputedAmount) {
        await insertEvent(tx, r, orderId, 'no change');
        return { kind: 'unchanged', order };
      }
      const done = await applyReversal(tx, order, { refunded, disputed }, r.provider, now, r);
      await insertEvent(tx, r, orderId, `reversed: ${done.reclaimed} units taken back, ${done.unrecovered} not recoverable`);
      return { kind: 'reversed', ...done };
    }, TX_OPTIONS);
    if (outcome.kind === 'reversed') ctx.bus.publish('users');
    return outcome;
  } catch (err) {
    if (isUniqueViolation(err)) return { kind: 'duplicate' };
    throw err;
  }
}

/**
 * Records the new refunded/disputed totals and, for an order whose quota was credited, takes back its share: from the
 * balance as it is (what was spent cannot be taken back; never below zero), with a usage log row.
 */
async function applyReversal(
  tx: Tx,
  order: PaymentOrder,
  totals: { refunded: bigint; disputed: bigint },
  provider: PaymentProvider,
  now: Date,
  r?: Pick<ReversalReport, 'by' | 'note'>,
): Promise<{ order: PaymentOrder; reclaimed: bigint; unrecovered: bigint }> {
  let reclaimed = 0n;
  let unrecovered = 0n;
  if (order.paidAt) {
    const target = reversedQuota(order.quota, order.amount, totals.refunded + totals.disputed);
    const due = target - order.quotaReclaimed - order.quotaUnrecovered;
    if (due > 0n) {
      // Lock the user row before reading the balance, so a concurrent charge cannot make the decrement overdraw.
      await tx.user.updateMany({ where: { id: order.userId }, data: { quota: { increment: 0 } } });
      const user = await tx.user.findUnique({ where: { id: order.userId }, select: { quota: true, group: true } });
      const balance = user?.quota ?? 0n;
      reclaimed = balance < due ? balance : due;
      unrecovered = due - reclaimed;
      if (reclaimed > 0n) await tx.user.update({ where: { id: order.userId }, data: { quota: { decrement: reclaimed } } });
      if (user) {
        const what = totals.disputed > order.disputedAmount ? 'chargeback' : 'refund';
        const by = r?.by ? ` recorded by user ${r.by}` : '';
        const missing = unrecovered > 0n ? `; ${unrecovered} units could not be taken back (already spent)` : '';
        await tx.usageLog.create({
          data: {
            type: 'manage',
            source: provider,
            userId: order.userId,
            quota: reclaimed,
            group: user.group,
            content:
              `${what} of order ${order.tradeNo}${by}: ${formatMoney(totals.refunded + totals.disputed, order.currency)} of ` +
              `${formatMoney(order.amount, order.currency)} returned, ${reclaimed} units taken back${missing}${r?.note ? ` (${r.note})` : ''}`,
          },
        });
      }
    }
  }
  const status: OrderStatus =
    totals.disputed > 0n
      ? 'disputed'
      : totals.refunded >= order.amount
        ? 'refunded'
        : order.paidAt
          ? 'partially_refunded'
          : (order.status as OrderStatus);
  const updated = await tx.paymentOrder.update({
    where: { id: order.id },
    data: {
      status,
      refundedAmount: totals.refunded,
      disputedAmount: totals.disputed,
      quotaReclaimed: order.quotaReclaimed + reclaimed,
      quotaUnrecovered: order.quotaUnrecovered + unrecovered,
      refundedAt: now,
    },
  });
  return { order: updated, reclaimed, unrecovered };
}

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/* ------------------------------------------------------------------ events, expiry, notices */

async function insertEvent(tx: Tx, e: PaymentEventKey, orderId: number | null, outcome: string): Promise<void> {
  await tx.paymentEvent.create({ data: { provider: e.provider, eventId: e.eventId, type: e.eventType, orderId, outcome } });
}

/** Records an event that moved no money (ignored, refused). False when it was recorded before (a repeat). */
export async function recordEvent(ctx: PaymentContext, e: PaymentEventKey, orderId: number | null, outcome: string): Promise<boolean> {
  try {
    await ctx.db.prisma.paymentEvent.create({ data: { provider: e.provider, eventId: e.eventId, type: e.eventType, orderId, outcome } });
    return true;
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
}

/** Marks one order failed (an asynchronous payment that did not go through), if it is still unpaid. */
export async function failOrder(ctx: PaymentContext, orderId: number, note: string): Promise<boolean> {
  const done = await ctx.db.prisma.paymentOrder.updateMany({ where: { id: orderId, status: { in: CREDITABLE } }, data: { status: 'failed', note } });
  return done.count === 1;
}

/** pending → expired for every order past its expiry. One statement: safe on any number of instances at once. */
export async function expireDueOrders(ctx: PaymentContext, now = new Date()): Promise<number> {
  const done = await ctx.db.prisma.paymentOrder.updateMany({ where: { status: 'pending', expiresAt: { lte: now } }, data: { status: 'expired' } });
  return done.count;
}

export interface PaidNotice {
  order: PaymentOrder;
  /** The buyer's balance now. */
  balance: number;
}

/**
 * Claims the "money arrived" messages still to send for orders from these chat platforms (paid within `withinMs`):
 * each order is claimed once (notifiedAt), so two sweeps never both send it.
 */
export async function claimPaidNotices(ctx: PaymentContext, platforms: OrderSource[], withinMs = 24 * 3600_000): Promise<PaidNotice[]> {
  if (!platforms.length) return [];
  const prisma = ctx.db.prisma;
  const candidates = await prisma.paymentOrder.findMany({
    where: { paidAt: { gte: new Date(Date.now() - withinMs) }, notifiedAt: null, source: { in: platforms }, chatUserId: { not: null } },
    orderBy: { id: 'asc' },
    take: 100,
  });
  const notices: PaidNotice[] = [];
  for (const order of candidates) {
    const claimed = await prisma.paymentOrder.updateMany({ where: { id: order.id, notifiedAt: null }, data: { notifiedAt: new Date() } });
    if (claimed.count !== 1) continue;
    const user = await prisma.user.findUnique({ where: { id: order.userId }, select: { quota: true } });
    if (user) notices.push({ order, balance: units(user.quota) });
  }
  return notices;
}
