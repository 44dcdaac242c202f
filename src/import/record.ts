// The import's own bookkeeping, kept in the target's Option table under "import:<fingerprint>…" (OptionsStore ignores
// keys it does not know): when it started and finished, and which source rows became which target rows. It is written
// in the same transaction as the rows it describes, so an interrupted run resumes exactly where it stopped, and a later
// --merge run does not bring the same accounts, channels or codes in twice.
import type { Prisma } from '../db/client.js';
import type { Variant } from './rows.js';

type OptionClient = Pick<Prisma, 'option'>;

export type MappedTable = 'users' | 'channels' | 'tokens';

export interface ImportRecord {
  key: string;
  startedAt: string;
  finishedAt: string | undefined;
  /** Started earlier and not finished: the same command continues it. */
  resumable: boolean;
  users: Map<number, number>;
  channels: Map<number, number>;
  tokens: Map<number, number>;
  /** Source group names that relay-station could not use → the names they were given. */
  groupNames: Map<string, string>;
  /** The last source log id imported. */
  logsAfterId: number;
  variant: Variant;
  source: string;
}

async function read(prisma: OptionClient, key: string): Promise<unknown> {
  const row = await prisma.option.findUnique({ where: { key } });
  if (!row) return undefined;
  try {
    return JSON.parse(row.value) as unknown;
  } catch {
    return undefined;
  }
}

async function write(prisma: OptionClient, key: string, value: unknown): Promise<void> {
  const text = JSON.stringify(value);
  await prisma.option.upsert({ where: { key }, create: { key, value: text }, update: { value: text } });
}

function pairs(value: unknown): Map<number, number> {
  return new Map(Array.isArray(value) ? (value.filter((p) => Array.isArray(p) && p.length === 2) as [number, number][]) : []);
}

export async function loadRecord(prisma: OptionClient, fingerprint: string, variant: Variant, source: string): Promise<ImportRecord> {
  const key = `import:${fingerprint}`;
  const head = (await read(prisma, key)) as { startedAt?: string; finishedAt?: string } | undefined;
  const logs = (await read(prisma, `${key}:logs`)) as { afterId?: number } | undefined;
  return {
    key,
    startedAt: head?.startedAt ?? new Date().toISOString(),
    finishedAt: head?.finishedAt,
    resumable: head !== undefined && head.finishedAt === undefined,
    users: pairs(await read(prisma, `${key}:users`)),
    channels: pairs(await read(prisma, `${key}:channels`)),
    tokens: pairs(await read(prisma, `${key}:tokens`)),
    groupNames: new Map(Object.entries((await read(prisma, `${key}:groups`)) ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string')),
    logsAfterId: typeof logs?.afterId === 'number' ? logs.afterId : 0,
    variant,
    source,
  };
}

/** Marks the import started (again): a finished record becomes open until this run finishes. */
export async function saveStart(prisma: OptionClient, record: ImportRecord): Promise<void> {
  await write(prisma, record.key, { variant: record.variant, source: record.source, startedAt: record.startedAt });
}

export async function saveFinish(prisma: OptionClient, record: ImportRecord): Promise<void> {
  record.finishedAt = new Date().toISOString();
  await write(prisma, record.key, {
    variant: record.variant,
    source: record.source,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
  });
}

export async function saveMap(prisma: OptionClient, record: ImportRecord, table: MappedTable): Promise<void> {
  await write(prisma, `${record.key}:${table}`, [...record[table]]);
}

export async function saveGroupNames(prisma: OptionClient, record: ImportRecord): Promise<void> {
  await write(prisma, `${record.key}:groups`, Object.fromEntries(record.groupNames));
}

export async function saveLogCursor(prisma: OptionClient, record: ImportRecord, afterId: number): Promise<void> {
  record.logsAfterId = afterId;
  await write(prisma, `${record.key}:logs`, { afterId });
}
