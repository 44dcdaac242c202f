// Channels in memory, indexed by (group, model), and the routing policy over them:
// highest priority first; weighted random order within a priority; a multi-key channel spreads over its enabled keys.
// Changes (admin edits, auto-disable) reload the index on every instance via the InvalidationBus.
import type { Db } from '../db/client.js';
import type { InvalidationBus } from '../cache/bus.js';
import { parseChannelRow, type ChannelRecord } from '../services/channels.js';
import { Reloadable } from '../cache/reloadable.js';

export type { ChannelRecord };

/** One upstream attempt: a channel and one of its keys (index into channel.keys; -1 for key-less channels). */
export interface RouteChoice {
  channel: ChannelRecord;
  keyIndex: number;
  key: string;
  upstreamModel: string;
}

export type Random = () => number;

interface ChannelIndex {
  channels: ChannelRecord[];
  /** group → model → channels serving it (any status), sorted by priority descending */
  byGroup: Map<string, Map<string, ChannelRecord[]>>;
}

export class ChannelRouter {
  readonly #state: Reloadable<ChannelIndex>;

  constructor(
    db: Db,
    bus: InvalidationBus,
    private readonly random: Random = Math.random,
  ) {
    this.#state = new Reloadable<ChannelIndex>(
      { channels: [], byGroup: new Map() },
      async () => {
        const channels = (await db.prisma.channel.findMany({ orderBy: { id: 'asc' } })).map(parseChannelRow);
        return { channels, byGroup: buildIndex(channels) };
      },
      bus,
      'channels',
    );
  }

  /** Waits for a load in progress too: a caller must never route on a half-built index. */
  async ensureLoaded(): Promise<void> {
    await this.#state.get();
  }

  get channels(): readonly ChannelRecord[] {
    return this.#state.current.channels;
  }

  get #index(): Map<string, Map<string, ChannelRecord[]>> {
    return this.#state.current.byGroup;
  }

  /** Channels in the group serving the model, any status (call ensureLoaded first). */
  serving(group: string, model: string): readonly ChannelRecord[] {
    return this.#index.get(group)?.get(model) ?? [];
  }

  /** Groups that have at least one channel (not manually disabled) serving the model. */
  groupsWith(model: string): string[] {
    const out: string[] = [];
    for (const [group, models] of this.#index) {
      if (models.get(model)?.some((c) => c.status !== 'disabled')) out.push(group);
    }
    return out.sort();
  }

  /** Models reachable in a group (channels not manually disabled). */
  modelsOf(group: string): string[] {
    const models = this.#index.get(group);
    if (!models) return [];
    return [...models.entries()].filter(([, cs]) => cs.some((c) => c.status !== 'disabled')).map(([m]) => m).sort();
  }

  /**
   * The order in which to try channels for one request: priority levels high to low, weighted random order within a
   * level (weight 0 channels only when nothing else is left), skipping disabled channels and channels without a usable key.
   */
  plan(group: string, model: string): RouteChoice[] {
    const serving = this.serving(group, model); // sorted by priority, highest first
    const plan: RouteChoice[] = [];
    for (let i = 0; i < serving.length; ) {
      const priority = serving[i]!.priority;
      const level: ChannelRecord[] = [];
      for (; i < serving.length && serving[i]!.priority === priority; i++) {
        const c = serving[i]!;
        if (c.status === 'enabled' && keysOf(c).length > 0) level.push(c);
      }
      for (const channel of level.length === 1 ? level : weightedOrder(level, this.random)) {
        const keys = keysOf(channel);
        const keyIndex = keys[Math.floor(this.random() * keys.length)]!;
        plan.push({
          channel,
          keyIndex,
          key: keyIndex >= 0 ? channel.keys[keyIndex]! : '',
          upstreamModel: channel.modelMapping[model] ?? model,
        });
      }
    }
    return plan;
  }
}

/** usableKeys, once per loaded record (a record never changes: a reload replaces it). */
const usableKeysOf = new WeakMap<ChannelRecord, number[]>();
function keysOf(channel: ChannelRecord): number[] {
  let keys = usableKeysOf.get(channel);
  if (!keys) usableKeysOf.set(channel, (keys = usableKeys(channel)));
  return keys;
}

/** Indexes of keys not disabled; key-less channels (local Ollama/vLLM) have the single pseudo-key -1. */
export function usableKeys(channel: ChannelRecord): number[] {
  if (channel.keys.length === 0) return [-1];
  return channel.keys.map((_, i) => i).filter((i) => !(i in channel.disabledKeys));
}

/** Weighted random permutation (Efraimidis–Spirakis: sort by u^(1/w)); weight 0 goes last. */
export function weightedOrder<T extends { weight: number }>(items: T[], random: Random): T[] {
  return items
    .map((item) => ({ item, score: item.weight > 0 ? Math.pow(random(), 1 / item.weight) : -1 - random() }))
    .sort((a, b) => b.score - a.score)
    .map((x) => x.item);
}

function buildIndex(channels: ChannelRecord[]): Map<string, Map<string, ChannelRecord[]>> {
  const index = new Map<string, Map<string, ChannelRecord[]>>();
  for (const channel of channels) {
    for (const group of channel.groups) {
      let models = index.get(group);
      if (!models) index.set(group, (models = new Map()));
      for (const model of channel.models) {
        models.set(model, [...(models.get(model) ?? []), channel]);
      }
    }
  }
  for (const models of index.values()) for (const list of models.values()) list.sort((a, b) => b.priority - a.priority);
  return index;
}
