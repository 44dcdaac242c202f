// Reads the source and the target and decides, row by row, what the import will write: nothing is written here, so a
// dry run prints exactly what a real run would do. apply.ts then writes the plan. The per-table decisions live in
// plan-settings.ts (groups, prices), plan-accounts.ts (users, tokens, codes) and plan-channels.ts.
import { createHash } from 'node:crypto';
import type { Prisma } from '../db/client.js';
import type { Options } from '../services/options.js';
import type { ImportReport } from './report.js';
import { detectVariant, readChannel, readOptions, readRedemption, readToken, readUser, type SourceUser, type Variant } from './rows.js';
import { ImportUsageError, type SourceDb } from './source.js';
import { loadRecord } from './record.js';
import { PlanContext, type ImportFlags, type Plan, type Progress } from './plan-context.js';
import { checkPrices, planGroups, planOptions } from './plan-settings.js';
import { planRedemptions, planTokens, planUsers } from './plan-accounts.js';
import { planChannels } from './plan-channels.js';

export type { ImportFlags, Plan, Progress } from './plan-context.js';

async function readAll<T>(
  source: SourceDb,
  table: string,
  read: (row: Record<string, unknown>) => T,
  progress: Progress | undefined,
): Promise<T[]> {
  const total = await source.count(table);
  const out: T[] = [];
  for await (const batch of source.batches(table, 1000)) {
    for (const row of batch) out.push(read(row));
    progress?.(`reading ${table}`, out.length, total);
  }
  return out;
}

/** Identifies the source instance whatever URL it is reached by: its kind and its first accounts. */
function fingerprintOf(variant: Variant, users: SourceUser[]): string {
  const first = users.slice(0, 20).map((u) => `${u.id}:${u.username}`).join(',');
  return createHash('sha256').update(`${variant}|${first}`).digest('hex').slice(0, 16);
}

export async function buildPlan(
  source: SourceDb,
  prisma: Prisma,
  currentOptions: Readonly<Options>,
  flags: ImportFlags,
  report: ImportReport,
  progress?: Progress,
): Promise<Plan> {
  const { variant, tables } = await detectVariant(source);
  const sourceOptions = await readOptions(source, tables);
  const users = await readAll(source, 'users', readUser, progress);
  const tokens = await readAll(source, 'tokens', (r) => readToken(r, variant), progress);
  const channels = await readAll(source, 'channels', readChannel, progress);
  const redemptions = tables.has('redemptions') ? await readAll(source, 'redemptions', readRedemption, progress) : [];

  const fingerprint = fingerprintOf(variant, users);
  const record = await loadRecord(prisma, fingerprint, variant, source.label);
  const root = await prisma.user.findFirst({ where: { role: 'root' }, orderBy: { id: 'asc' } });
  if (!root) throw new ImportUsageError('the target database has no root user; start relay-station once, then import');
  const others = await prisma.user.count({ where: { role: { not: 'root' } } });
  if (others > 0 && !flags.merge && !record.resumable) {
    throw new ImportUsageError(
      record.finishedAt
        ? `this ${variant} database was already imported on ${record.finishedAt}; use --merge to bring in what was added since`
        : `the target database already has ${others} user(s); import into a fresh database, or add --merge (see docs/migrating.md)`,
    );
  }
  if (record.resumable) report.map('users', `resuming the import started on ${record.startedAt}: rows already imported are skipped`);

  const ctx = new PlanContext(variant, flags, report, prisma, record);
  await planGroups(ctx, sourceOptions, users, tokens, channels);
  planOptions(ctx, sourceOptions, currentOptions, await prisma.option.findMany({ select: { key: true } }));
  const plannedUsers = await planUsers(ctx, users, root);
  const plannedChannels = planChannels(ctx, channels);
  checkPrices(ctx, plannedChannels, currentOptions);
  const plannedTokens = await planTokens(ctx, tokens, plannedUsers);
  const plannedRedemptions = await planRedemptions(ctx, redemptions);

  const logsAfterId = record.logsAfterId;
  let logsTotal = 0;
  if (tables.has('logs')) {
    logsTotal = await source.count('logs', logsAfterId);
    report.source('logs', logsTotal);
    if (!flags.logs && logsTotal > 0) report.omit('logs', `${logsTotal} log rows not imported (add --logs to bring them in)`);
    if (flags.logs && flags.dryRun) report.imported('logs', logsTotal);
  }
  return {
    variant,
    fingerprint,
    record,
    groups: ctx.groups,
    options: ctx.options,
    users: plannedUsers,
    channels: plannedChannels,
    tokens: plannedTokens,
    redemptions: plannedRedemptions,
    logs: { total: logsTotal, afterId: logsAfterId },
    rootId: root.id,
  };
}
