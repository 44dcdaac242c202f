// Channels in memory, indexed by (group, model), and the routing policy over them:
// highest priority first; weighted random order within a priority; a multi-key channel spreads over its enabled keys.
// Changes (admin edits, auto-disable) reload the index on every instance via the InvalidationBus. A reload is two
// queries (channels, their keys) and opens every key once; routing itself never touches the database.
import type { FastifyBaseLogger } from 'fastify';
import { Reloadable } from '../cache/reloadable.js';
import { loadChannels, type ChannelContext, type ChannelRecord } from '../services/channel-repository.js';

export type { ChannelRecord };

/** One upstream attempt: a channel and one of its keys. */
export interface RouteChoice {
  channel: ChannelRecord;
  /** The key's id (a ChannelKey row); null for a key-less channel (local Ollama/vLLM). */
  keyId: number | null;
  key: string;
  upstreamModel: string;
}

/** A key the router may send: an enabled key that could be opened, or the key-less channel's empty pseudo-key. */
export interface UsableKey {
  id: number | null;
  secret: string;
}

export type Random = () => number;

interface ChannelIndex {
  channels: ChannelRecord[];
  /** group → model → channels serving it (any status), sorted by priority descending */
  byGroup: Map<string, Map<string, ChannelRecord[]>>;
  /** Every configured key in plaintext, whatever its status (for removing keys from upstream text). */
  secrets: ReadonlySet<string>;
}

export class ChannelRouter {
  readonly #state: Reloadable<ChannelIndex>;

  constructor(
    ctx: ChannelContext & { log: Pick<FastifyBaseLogger, 'error'> },
    private readonly random: Random = Math.random,
  ) {
    this.#state = new Reloadable<ChannelIndex>(
      { channels: [], byGroup: new Map(), secrets: new Set() },
      async () => {
        const unreadable: Array<{ channelId: number; keyId: number }> = [];
        let problem = '';
        const channels = await loadChannels(ctx, (err, where) => {
          unreadable.push(where);
          problem ||= err.message;
        });
        if (unreadable.length) {
          ctx.log.error({ keys: unreadable }, `channel keys cannot be decrypted: ${problem}; these keys are not used`);
        }
        const secrets = new Set(channels.flatMap((c) => c.keys.flatMap((k) => (k.secret ? [k.secret] : []))));
        return { channels, byGroup: buildIndex(channels), secrets };
      },
      ctx.bus,
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

  /** Every configured channel key in plaintext, as of the last reload: what must never appear in text we pass on. */
  secrets(): ReadonlySet<string> {
    return this.#state.current.secrets;
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
        plan.push(choice(channel, keys[Math.floor(this.random() * keys.length)]!, model));
      }
    }
    return plan;
  }

  /**
   * The one channel and key a call is pinned to (a Responses follow-up goes where the conversation is stored), when
   * that channel still serves the model in the group and the key is still usable.
   */
  pinned(group: string, model: string, channelId: number, keyId: number | null): RouteChoice | undefined {
    const channel = this.serving(group, model).find((c) => c.id === channelId && c.status === 'enabled');
    const key = channel && keysOf(channel).find((k) => k.id === keyId);
    return channel && key && choice(channel, key, model);
  }

  /** After a key failed: another usable key of the same channel not tried yet in this call, if there is one. */
  otherKey(failed: RouteChoice, tried: ReadonlySet<number | null>): RouteChoice | undefined {
    const next = keysOf(failed.channel).find((k) => k.id !== null && !tried.has(k.id));
    return next && { ...failed, keyId: next.id, key: next.secret };
  }
}

const choice = (channel: ChannelRecord, key: UsableKey, model: string): RouteChoice => ({
  channel,
  keyId: key.id,
  key: key.secret,
  upstreamModel: channel.modelMapping[model] ?? model,
});

/** usableKeys, once per loaded record (a record never changes: a reload replaces it). */
const usableKeysOf = new WeakMap<ChannelRecord, UsableKey[]>();
function keysOf(channel: ChannelRecord): UsableKey[] {
  let keys = usableKeysOf.get(channel);
  if (!keys) usableKeysOf.set(channel, (keys = usableKeys(channel)));
  return keys;
}

/** Enabled keys that could be opened; a key-less channel (local Ollama/vLLM) has the one pseudo-key `{id: null}`. */
export function usableKeys(channel: ChannelRecord): UsableKey[] {
  if (channel.keys.length === 0) return [{ id: null, secret: '' }];
  return channel.keys.flatMap((k) => (k.status === 'enabled' && k.secret !== null ? [{ id: k.id, secret: k.secret }] : []));
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
