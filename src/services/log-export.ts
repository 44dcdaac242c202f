// Usage logs as CSV, streamed: rows are read in pages of EXPORT_BATCH (newest first, keyset on createdAt + id, so each
// page is an index range scan however deep the export goes) and written as the client reads them. Nothing holds the
// whole file; a client that stops reading stops the queries.
import { Readable } from 'node:stream';
import { QUOTA_PER_USD } from '../billing/decimal.js';
import { NEWEST_FIRST, logWhere, toLogView, type LogFilter, type LogView } from './logs.js';
import type { ServiceContext } from './service-utils.js';

export const EXPORT_BATCH = 1000;

const COLUMNS: [header: string, cell: (log: LogView) => string | number | boolean | null][] = [
  ['time', (l) => l.createdAt],
  ['type', (l) => l.type],
  ['source', (l) => l.source],
  ['user_id', (l) => l.userId],
  ['token', (l) => l.tokenName],
  ['channel_id', (l) => l.channelId],
  ['endpoint', (l) => l.endpoint],
  ['model', (l) => l.model],
  ['upstream_model', (l) => l.upstreamModel],
  ['prompt_tokens', (l) => l.promptTokens],
  ['completion_tokens', (l) => l.completionTokens],
  ['cache_read_tokens', (l) => l.cacheReadTokens],
  ['cache_write_tokens', (l) => l.cacheWriteTokens],
  ['group', (l) => l.group],
  ['group_ratio', (l) => l.groupRatio],
  ['model_ratio', (l) => l.modelRatio],
  ['completion_ratio', (l) => l.completionRatio],
  ['quota', (l) => l.quota],
  ['usd', (l) => l.quota / QUOTA_PER_USD],
  ['stream', (l) => l.stream],
  ['latency_ms', (l) => l.latencyMs],
  ['ttft_ms', (l) => l.ttftMs],
  ['status', (l) => l.status],
  ['content', (l) => l.content],
  ['request_id', (l) => l.requestId],
  ['usage_source', (l) => l.usageSource],
  ['write_off', (l) => l.writeOff],
];
/** Admins' exports add what upstreams said. */
const ADMIN_COLUMNS: typeof COLUMNS = [...COLUMNS, ['detail', (l) => l.detail ?? '']];

/**
 * One CSV field (RFC 4180). Text that a spreadsheet would run as a formula (= + - @, tab, CR) gets a leading
 * apostrophe: log content comes from upstream error messages and users' token names.
 */
export function csvField(value: string | number | boolean | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const csvLine = (cells: (string | number | boolean | null)[]) => `${cells.map(csvField).join(',')}\r\n`;

async function* csvRows(ctx: ServiceContext, filter: LogFilter, admin: boolean): AsyncGenerator<string> {
  const columns = admin ? ADMIN_COLUMNS : COLUMNS;
  // A byte-order mark so that spreadsheet programs read the UTF-8 (Chinese model names, messages) correctly.
  yield `\ufeff${csvLine(columns.map(([header]) => header))}`;
  const where = logWhere(filter);
  let after: { createdAt: Date; id: number } | undefined;
  for (;;) {
    const rows = await ctx.db.prisma.usageLog.findMany({
      where: after
        ? { AND: [where, { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] }] }
        : where,
      orderBy: [...NEWEST_FIRST],
      take: EXPORT_BATCH,
    });
    if (rows.length === 0) return;
    yield rows.map((row) => csvLine(columns.map(([, cell]) => cell(toLogView(row, admin))))).join('');
    if (rows.length < EXPORT_BATCH) return;
    const last = rows[rows.length - 1]!;
    after = { createdAt: last.createdAt, id: last.id };
  }
}

/** A readable stream of the filtered logs as CSV (pulls the next page only when the previous one was read). */
export function logsCsv(ctx: ServiceContext, filter: LogFilter, admin = false): Readable {
  return Readable.from(csvRows(ctx, filter, admin), { objectMode: false });
}
