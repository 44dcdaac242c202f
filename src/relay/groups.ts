// Group ratios, held in memory (there are few groups) and reloaded when any instance changes one.
import type { Db } from '../db/client.js';
import type { InvalidationBus } from '../cache/bus.js';
import { parseDecimal, type Scaled } from '../billing/decimal.js';

export interface GroupInfo {
  name: string;
  ratio: Scaled;
  ratioText: string;
  userSelectable: boolean;
  description: string;
}

export class GroupDirectory {
  #groups = new Map<string, GroupInfo>();
  #loading: Promise<void> | null = null;
  #stale = true;

  constructor(
    private readonly db: Db,
    bus: InvalidationBus,
  ) {
    bus.subscribe('groups', () => {
      this.#stale = true;
    });
  }

  async get(name: string): Promise<GroupInfo | undefined> {
    await this.#ensureLoaded();
    return this.#groups.get(name);
  }

  async all(): Promise<GroupInfo[]> {
    await this.#ensureLoaded();
    return [...this.#groups.values()];
  }

  async #ensureLoaded(): Promise<void> {
    while (this.#stale || this.#loading) await (this.#loading ?? this.reload());
  }

  reload(): Promise<void> {
    this.#loading ??= (async () => {
      try {
        this.#stale = false;
        const rows = await this.db.prisma.group.findMany();
        this.#groups = new Map(
          rows.map((g) => [g.name, { name: g.name, ratio: parseDecimal(g.ratio), ratioText: g.ratio, userSelectable: g.userSelectable, description: g.description }]),
        );
      } catch (err) {
        this.#stale = true;
        throw err;
      } finally {
        this.#loading = null;
      }
    })();
    return this.#loading;
  }
}
