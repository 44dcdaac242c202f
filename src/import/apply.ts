// Writes a plan into relay-station's database, table by table: each table (each batch, for logs) in one transaction
// together with the import record (record.ts), so a run that stops resumes cleanly. Channels go through the channel
// service, one by one, so they are stored exactly as an admin's would be.
import type { Db } from '../db/client.js';
import type { SecretBox } from '../auth/secret-box.js';
import type { InvalidationBus } from '../cache/bus.js';
import type { OptionsStore } from '../services/options.js';
import { createChannel } from '../services/channels.js';
import { RelayError } from '../errors.js';
import type { ImportFlags, Plan, Progress } from './plan.js';
import type { ImportReport } from './report.js';
import { readLog, type SourceLog } from './rows.js';
import type { SourceDb } from './source.js';
import { saveFinish, saveGroupNames, saveLogCursor, saveMap, saveStart, type ImportRecord } from './record.js';
import { fitDecimal } from './numbers.js';

export interface ImportTarget {
  db: Db;
  bus: InvalidationBus;
  options: OptionsStore;
  /** Seals the channel keys (the master key the relay runs with). */
  secrets: SecretBox;
}

/** An import is an offline operation that may move a lot of rows in one transaction: no 5 s interactive limit. */
const TX = { maxWait: 60_000, timeout: 3_600_000 };
const BATCH = 500;

export async function applyPlan(
  plan: Plan,
  source: SourceDb,
  target: ImportTarget,
  flags: ImportFlags,
  report: ImportReport,
  progress?: Progress,
): Promise<void> {
  const prisma = target.db.prisma;
  const record = plan.record;
  await saveStart(prisma, record);

  await prisma.$transaction(async (tx) => {
    if (plan.groups.create.length > 0) await tx.group.createMany({ data: plan.groups.create });
    for (const g of plan.groups.update) await tx.group.update({ where: { name: g.name }, data: { ratio: g.ratio } });
    await saveGroupNames(tx, record);
  }, TX);
  target.bus.publish('groups');

  if (Object.keys(plan.options).length > 0) await target.options.update(plan.options);

  await importUsers(plan, target, progress);
  await importChannels(plan, target, report, progress);
  await importTokens(plan, target, progress);
  await importRedemptions(plan, target);
  if (flags.logs) await importLogs(plan, source, target, report, progress);

  await saveFinish(prisma, record);
  for (const topic of ['users', 'tokens', 'channels', 'groups', 'options'] as const) target.bus.publish(topic);
}

function chunks<T>(items: T[], size = BATCH): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

async function importUsers(plan: Plan, target: ImportTarget, progress?: Progress): Promise<void> {
  const record = plan.record;
  const total = plan.users.length;
  let done = 0;
  await target.db.prisma.$transaction(async (tx) => {
    for (const u of plan.users.filter((p) => p.intoRoot)) {
      await tx.user.update({
        where: { id: plan.rootId },
        data: {
          username: u.username,
          ...(u.passwordHash ? { passwordHash: u.passwordHash } : {}),
          group: u.group,
          quota: { increment: u.quota },
          usedQuota: { increment: u.usedQuota },
          requestCount: { increment: u.requestCount },
        },
      });
      record.users.set(u.sourceId, plan.rootId);
      done++;
    }
    for (const batch of chunks(plan.users.filter((p) => !p.intoRoot))) {
      const rows = await tx.user.createManyAndReturn({
        data: batch.map((u) => ({
          username: u.username,
          passwordHash: u.passwordHash,
          role: u.role,
          status: u.status,
          group: u.group,
          quota: u.quota,
          usedQuota: u.usedQuota,
          requestCount: u.requestCount,
          ...(u.createdAt ? { createdAt: u.createdAt } : {}),
        })),
        select: { id: true, username: true },
      });
      const ids = new Map(rows.map((r) => [r.username, r.id]));
      for (const u of batch) record.users.set(u.sourceId, ids.get(u.username)!);
      done += batch.length;
      progress?.('users', done, total);
    }
    await saveMap(tx, record, 'users');
  }, TX);
  target.bus.publish('users');
}

async function importChannels(plan: Plan, target: ImportTarget, report: ImportReport, progress?: Progress): Promise<void> {
  const record = plan.record;
  let done = 0;
  for (const c of plan.channels) {
    try {
      const view = await createChannel(target, c.input);
      record.channels.set(c.sourceId, view.id);
      await saveMap(target.db.prisma, record, 'channels');
    } catch (err) {
      if (!(err instanceof RelayError)) throw err;
      report.unimport('channels', `${c.label}: ${err.message}`);
    }
    progress?.('channels', ++done, plan.channels.length);
  }
}

async function importTokens(plan: Plan, target: ImportTarget, progress?: Progress): Promise<void> {
  const record = plan.record;
  let done = 0;
  await target.db.prisma.$transaction(async (tx) => {
    for (const batch of chunks(plan.tokens)) {
      const rows = await tx.token.createManyAndReturn({
        data: batch.map((t) => ({ ...t.data, userId: record.users.get(t.sourceUserId)! })),
        select: { id: true, keyHash: true },
      });
      const ids = new Map(rows.map((r) => [r.keyHash, r.id]));
      for (const t of batch) record.tokens.set(t.sourceId, ids.get(t.data.keyHash)!);
      done += batch.length;
      progress?.('tokens', done, plan.tokens.length);
    }
    await saveMap(tx, record, 'tokens');
  }, TX);
  target.bus.publish('tokens');
}

async function importRedemptions(plan: Plan, target: ImportTarget): Promise<void> {
  const users = plan.record.users;
  await target.db.prisma.$transaction(async (tx) => {
    for (const batch of chunks(plan.redemptions)) {
      await tx.redemption.createMany({
        data: batch.map((r) => ({
          ...r.data,
          createdBy: users.get(r.sourceCreatorId) ?? null,
          redeemedBy: r.data.status === 'redeemed' ? (users.get(r.sourceRedeemerId) ?? null) : null,
        })),
      });
    }
  }, TX);
}

const LOG_TYPES: Record<number, string> = { 1: 'topup', 2: 'consume', 3: 'manage', 4: 'manage', 5: 'error', 6: 'manage' };

/** A ratio recorded in a new-api log's `other` JSON, as an exact decimal string (or '' when it is not one). */
function ratioOf(other: Record<string, unknown>, key: string): string {
  const fit = fitDecimal(other[key], 9);
  return fit.kind === 'exact' ? fit.value : '';
}

function logRow(log: SourceLog, record: ImportRecord) {
  const int32 = (n: number) => Math.max(0, Math.min(2_147_483_647, n));
  const type = LOG_TYPES[log.type] ?? 'manage';
  return {
    ...(log.createdAt ? { createdAt: log.createdAt } : {}),
    type,
    source: 'api',
    userId: record.users.get(log.userId)!,
    tokenId: record.tokens.get(log.tokenId) ?? null,
    tokenName: log.tokenName,
    channelId: record.channels.get(log.channelId) ?? null,
    model: log.modelName,
    promptTokens: int32(log.promptTokens),
    completionTokens: int32(log.completionTokens),
    cacheReadTokens: int32(Number(log.other.cache_tokens ?? 0) || 0),
    groupRatio: ratioOf(log.other, 'group_ratio'),
    modelRatio: ratioOf(log.other, 'model_ratio'),
    completionRatio: ratioOf(log.other, 'completion_ratio'),
    quota: log.quota < 0n ? 0n : log.quota,
    stream: log.stream,
    latencyMs: int32(log.latencyMs),
    status: type === 'error' ? 'error' : 'ok',
    content: log.type === 6 ? `refund: ${log.content}` : log.content,
    group: log.group,
  };
}

async function importLogs(plan: Plan, source: SourceDb, target: ImportTarget, report: ImportReport, progress?: Progress) {
  const record = plan.record;
  let done = 0;
  for await (const batch of source.batches('logs', 1000, record.logsAfterId)) {
    const logs = batch.map((r) => readLog(r, plan.variant));
    const kept = logs.filter((l) => record.users.has(l.userId));
    await target.db.prisma.$transaction(async (tx) => {
      if (kept.length > 0) await tx.usageLog.createMany({ data: kept.map((l) => logRow(l, record)) });
      await saveLogCursor(tx, record, logs[logs.length - 1]!.id);
    }, TX);
    report.imported('logs', kept.length);
    for (let i = kept.length; i < logs.length; i++) report.skip('logs');
    progress?.('logs', (done += logs.length), plan.logs.total);
  }
  if (report.counts.get('logs')!.leftOut > 0) report.omit('logs', 'rows of users that were not imported (deleted) are left out');
  report.map('logs', 'one-api/new-api log types → topup, consume, manage (manage and system), error; refunds as manage');
}
