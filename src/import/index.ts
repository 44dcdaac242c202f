// `npm run import`: one-api / new-api → relay-station. Read the source (read-only, one snapshot), plan every row
// (plan.ts), then, unless it is a dry run or the plan found a blocking problem, write it (apply.ts).
import { applyPlan, type ImportTarget } from './apply.js';
import { buildPlan, type ImportFlags, type Plan, type Progress } from './plan.js';
import { ImportReport } from './report.js';
import { openSource, parseSourceUrl, type SourceDb } from './source.js';

export { ImportUsageError } from './source.js';
export type { ImportTarget } from './apply.js';
export type { ImportFlags, Progress } from './plan.js';

export interface ImportResult {
  report: ImportReport;
  plan: Plan;
  /** "one-api (mysql 127.0.0.1:3306/oneapi)" */
  sourceLabel: string;
  /** false for a dry run, or when the plan has problems (then nothing was written). */
  written: boolean;
}

/** Opens the source (read-only), imports, closes it. */
export async function runImport(from: string, target: ImportTarget, flags: ImportFlags, progress?: Progress): Promise<ImportResult> {
  const source = await openSource(parseSourceUrl(from));
  try {
    return await importFrom(source, target, flags, progress);
  } finally {
    await source.close();
  }
}

export async function importFrom(source: SourceDb, target: ImportTarget, flags: ImportFlags, progress?: Progress): Promise<ImportResult> {
  const report = new ImportReport();
  const plan = await buildPlan(source, target.db.prisma, target.options.current, flags, report, progress);
  const sourceLabel = `${plan.variant} (${source.label})`;
  if (flags.dryRun || report.problems.length > 0) return { report, plan, sourceLabel, written: false };
  await applyPlan(plan, source, target, flags, report, progress);
  return { report, plan, sourceLabel, written: true };
}
