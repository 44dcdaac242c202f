// What the per-table planners (plan-*.ts) share: the flags, the report, the target, the import record, and what the
// planners before them decided (groups, prices, which source users will exist).
import type { Prisma, PrismaNamespace } from '../db/client.js';
import type { ChannelInput } from '../services/channels.js';
import type { Options } from '../services/options.js';
import { DEFAULT_GROUP } from '../services/groups.js';
import { fitDecimal } from './numbers.js';
import type { ImportRecord } from './record.js';
import type { ImportReport, Table } from './report.js';
import type { Variant } from './rows.js';

export interface ImportFlags {
  dryRun: boolean;
  merge: boolean;
  logs: boolean;
  /** Round prices that do not fit relay-station's decimals up to the nearest that does, instead of leaving them out. */
  roundPrices: boolean;
}

export type Progress = (stage: string, done: number, total: number) => void;

export interface PlannedGroup {
  name: string;
  ratio: string;
  description: string;
  userSelectable: boolean;
}

export interface PlannedUser {
  sourceId: number;
  username: string;
  passwordHash: string | null;
  role: 'user' | 'admin';
  status: 'enabled' | 'disabled';
  group: string;
  quota: bigint;
  usedQuota: bigint;
  requestCount: number;
  createdAt: Date | null;
  /** The source's root, merged into relay-station's own root account. */
  intoRoot: boolean;
}

export interface PlannedChannel {
  sourceId: number;
  label: string;
  input: ChannelInput & { name: string; type: string; models: string[] };
}

export interface PlannedToken {
  sourceId: number;
  sourceUserId: number;
  /** The row, but its owner: the owner's id is known once the users are written. */
  data: Omit<PrismaNamespace.TokenCreateManyInput, 'userId'> & { keyHash: string };
}

export interface PlannedRedemption {
  sourceCreatorId: number;
  sourceRedeemerId: number;
  data: Omit<PrismaNamespace.RedemptionCreateManyInput, 'createdBy' | 'redeemedBy'>;
}

export interface Plan {
  variant: Variant;
  fingerprint: string;
  record: ImportRecord;
  groups: { create: PlannedGroup[]; update: PlannedGroup[] };
  options: Partial<Options>;
  users: PlannedUser[];
  channels: PlannedChannel[];
  tokens: PlannedToken[];
  redemptions: PlannedRedemption[];
  logs: { total: number; afterId: number };
  rootId: number;
}

export class PlanContext {
  readonly groups: Plan['groups'] = { create: [], update: [] };
  readonly options: Partial<Options> = {};
  /** source group name → relay-station group name */
  readonly groupNames = new Map<string, string>();
  /** source ids of the users that will exist in relay-station (imported now or before), for tokens */
  readonly owners = new Set<number>();

  constructor(
    readonly variant: Variant,
    readonly flags: ImportFlags,
    readonly report: ImportReport,
    readonly prisma: Prisma,
    readonly record: ImportRecord,
  ) {}

  groupName(source: string): string {
    return this.groupNames.get(source.trim() || DEFAULT_GROUP) ?? DEFAULT_GROUP;
  }

  /**
   * A ratio or price as relay-station stores it. Too many decimals: reported, and left out unless --round-prices
   * (then rounded up, so no one is charged less). `required` ones (groups) stop the import instead of being left out.
   */
  fit(table: Table, what: string, value: unknown, places: number, required = false): string | undefined {
    const fit = fitDecimal(value, places);
    if (fit.kind === 'exact') return fit.value;
    if (fit.kind === 'invalid') {
      if (required) this.report.problem(`${what} is ${fit.reason} (${String(value)})`);
      else this.report.omit(table, `${what}: ${String(value)} is ${fit.reason}`);
      return undefined;
    }
    if (this.flags.roundPrices) {
      this.report.map(table, `${what} ${String(value)} rounded up to ${fit.roundedUp} (at most ${places} decimals)`);
      return fit.roundedUp;
    }
    const line = `${what} ${String(value)} has more than ${places} decimals`;
    if (required) this.report.problem(`${line}; fix it in the source or pass --round-prices (rounds up to ${fit.roundedUp})`);
    else this.report.omit(table, `${line}: not imported (--round-prices would use ${fit.roundedUp})`);
    return undefined;
  }

  /** Which of `values` already exist in the target, asked in chunks. */
  async existing(values: string[], ask: (chunk: string[]) => Promise<string[]>): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < values.length; i += 500) for (const v of await ask(values.slice(i, i + 500))) found.add(v);
    return found;
  }
}

/** A JSON object stored as text (the options table); undefined when it is not one. */
export function parseJsonMap(text: string): Record<string, unknown> | undefined {
  if (!text.trim()) return {};
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
