// The usage log row as the relay writes it (one per settled call or released hold), and its INSERT: one column list
// for both ledgers. Reading and listing logs is the management API's (src/services/logs.ts, through Prisma).
import { command, NOW, type Param } from '../db/sql.js';

/** One row of UsageLog, as the pipeline knows it. Who paid, what was charged and the note are settle's to fill in. */
export interface UsageLogEntry {
  requestId: string;
  type: 'consume' | 'error';
  source: string;
  userId: number;
  tokenId: number | null;
  tokenName: string;
  channelId: number | null;
  endpoint: string;
  model: string;
  upstreamModel: string;
  promptTokens: number;
  completionTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  groupRatio: string;
  modelRatio: string;
  completionRatio: string;
  stream: boolean;
  latencyMs: number;
  ttftMs: number | null;
  status: 'ok' | 'error';
  /** What the caller was told (the error as `code: message`), or a note. */
  content: string;
  group: string;
  /** Where the billed token counts came from (billed-usage.ts). */
  usageSource: UsageSource;
  /** What the upstream said when the call failed (keys scrubbed): admins only, never shown to the caller. */
  detail: string;
  /** JSON list of the upstream attempts (attemptsJson in relay/pipeline.ts) when there was more than one; else null. */
  attempts: string | null;
}

/** upstream: its usage report; local: the relay's own counts; mixed: some of each; none: nothing was billed. */
export type UsageSource = 'upstream' | 'local' | 'mixed' | 'none';

/** The row written: the entry with the units actually charged and those written off. */
export interface UsageLogRow extends UsageLogEntry {
  quota: number;
  /** Cost the balance could not cover (the ledger's shortfall): not charged, visible here and in the stats. */
  writeOff: number;
}

const COLUMNS = [
  'requestId', 'type', 'source', 'userId', 'tokenId', 'tokenName', 'channelId', 'endpoint', 'model', 'upstreamModel',
  'promptTokens', 'completionTokens', 'cacheReadTokens', 'cacheWriteTokens', 'groupRatio', 'modelRatio',
  'completionRatio', 'quota', 'stream', 'latencyMs', 'ttftMs', 'status', 'content', 'group', 'usageSource', 'writeOff',
  'detail', 'attempts',
] as const satisfies ReadonlyArray<keyof UsageLogRow>;

// Every field of a row has its column (the compiler says which one is missing).
const complete: Exclude<keyof UsageLogRow, (typeof COLUMNS)[number]> extends never ? true : never = true;
void complete;

export const INSERT_USAGE_LOG = command(
  `INSERT INTO "UsageLog" ("createdAt", ${COLUMNS.map((c) => `"${c}"`).join(', ')}) VALUES (${NOW}, ${COLUMNS.map(() => '?').join(', ')})`,
);

/** For the sweeper: a row whose request id is already logged is not written twice (the money matters more). */
export const INSERT_USAGE_LOG_ONCE = command(`${INSERT_USAGE_LOG.text} ON CONFLICT ("requestId") DO NOTHING`);

/** What settle decides for a row: who paid, what was charged, what was written off, and the note that says so. */
export type SettledFields = Pick<UsageLogRow, 'userId' | 'tokenId' | 'quota' | 'writeOff' | 'content'>;

/**
 * The INSERT's parameters, in column order: the entry as the pipeline made it, with settle's fields taken from
 * `settled`. Read straight from the two objects: spreading the entry's ~30 fields into one new object first cost
 * ~5 µs per row (the copy is a slow dictionary-mode object), more than the rest of the row's JavaScript.
 */
export function usageLogValues(entry: UsageLogEntry, settled: SettledFields): Param[] {
  return COLUMNS.map((c) => (SETTLED.has(c) ? settled[c as keyof SettledFields] : entry[c as keyof UsageLogEntry]));
}

const SETTLED: ReadonlySet<string> = new Set<keyof SettledFields>(['userId', 'tokenId', 'quota', 'writeOff', 'content']);

/** The log row for a hold released by the sweeper: what we know is only that the request never settled. */
export function sweptLog(requestId: string): UsageLogEntry {
  return {
    requestId,
    type: 'error',
    source: 'api',
    userId: 0, // settle takes the owner from the hold
    tokenId: null,
    tokenName: '',
    channelId: null,
    endpoint: '',
    model: '',
    upstreamModel: '',
    promptTokens: 0,
    completionTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    groupRatio: '',
    modelRatio: '',
    completionRatio: '',
    stream: false,
    latencyMs: 0,
    ttftMs: null,
    status: 'error',
    content: 'reservation released: the request did not finish (process stopped or crashed)',
    group: '',
    usageSource: 'none',
    detail: '',
    attempts: null,
  };
}

function shortfallNote(shortfall: number): string {
  return shortfall > 0 ? `cost exceeded the reservation; ${shortfall} units could not be charged (balance exhausted)` : '';
}

/** The log's content: the call's own note, and what could not be charged. */
export function contentWithShortfall(content: string, shortfall: number): string {
  const note = shortfallNote(shortfall);
  return note ? (content ? `${content}; ${note}` : note) : content;
}
