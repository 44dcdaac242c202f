// Group ratios, held in memory (there are few groups) and reloaded when any instance changes one.
import type { Db } from '../db/client.js';
import type { InvalidationBus } from '../cache/bus.js';
import { parseDecimal, type Scaled } from '../billing/decimal.js';
import { Reloadable } from '../cache/reloadable.js';

export interface GroupInfo {
  name: string;
  ratio: Scaled;
  ratioText: string;
  userSelectable: boolean;
  description: string;
  /** Requests and tokens per minute for each user of the group (null = unlimited). */
  rpm: number | null;
  tpm: number | null;
}

export class GroupDirectory {
  readonly #groups: Reloadable<Map<string, GroupInfo>>;

  constructor(db: Db, bus: InvalidationBus) {
    this.#groups = new Reloadable(
      new Map(),
      async () => {
        const rows = await db.prisma.group.findMany();
        return new Map(
          rows.map((g) => [g.name, { name: g.name, ratio: parseDecimal(g.ratio), ratioText: g.ratio, userSelectable: g.userSelectable, description: g.description, rpm: g.rpm, tpm: g.tpm }]),
        );
      },
      bus,
      'groups',
    );
  }

  async get(name: string): Promise<GroupInfo | undefined> {
    return (await this.#groups.get()).get(name);
  }

  /** The group when the directory is fresh (no reload due), read without waiting; else undefined (then use get()). */
  peek(name: string): GroupInfo | undefined {
    return this.#groups.fresh?.get(name);
  }

  async all(): Promise<GroupInfo[]> {
    return [...(await this.#groups.get()).values()];
  }
}
