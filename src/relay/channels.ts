// Channels in memory, indexed by (group, model), and the routing policy over them:
// highest priority first; weighted random order within a priority; a multi-key channel spreads over its enabled keys.
// Keys whose circuit breaker is open (relay/breaker.ts) are skipped. A call with an affinity (one user's conversation)
// gets the same channel and key every time while they stay healthy: rendezvous hashing, no shared state.
// Changes (admin edits, auto-disable) reload the index on every instance via the InvalidationBus. A reload is two
// queries (channels, their keys) and opens every key once; routing itself never touches the database.
import type { FastifyBaseLogger } from 'fastify';
import { Reloadable } from '../cache/reloadable.js';
import { loadChannels, type BreakerRow, type ChannelContext, type ChannelRecord } from '../services/channel-repository.js';
import type { ChannelHealth } from './breaker.js';
import { rendezvousOrder, rendezvousPick } from './affinity.js';

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
  /** Its circuit breaker as loaded (the key's row, or a key-less channel's). */
  breaker: BreakerRow;
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
  /** Channel health and circuit breakers; routing skips open breakers (set by RelayService). */
  health: ChannelHealth | undefined;

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

  /** The index is loaded and fresh: routing may go on without ensureLoaded() (which costs a promise per call). */
  get ready(): boolean {
    return this.#state.fresh !== undefined;
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
  plan(group: string, model: string, affinity?: string): RouteChoice[] {
    const serving = this.serving(group, model); // sorted by priority, highest first
    const plan: RouteChoice[] = [];
    for (let i = 0; i < serving.length; ) {
      const priority = serving[i]!.priority;
      const level: Array<{ channel: ChannelRecord; keys: UsableKey[]; weight: number; id: number }> = [];
      for (; i < serving.length && serving[i]!.priority === priority; i++) {
        const c = serving[i]!;
        if (c.status !== 'enabled') continue;
        const keys = this.#healthyKeys(c);
        if (keys.length > 0) level.push({ channel: c, keys, weight: c.weight, id: c.id });
      }
      const ordered = level.length === 1 ? level : affinity !== undefined ? rendezvousOrder(level, affinity) : weightedOrder(level, this.random);
      for (const { channel, keys } of ordered) {
        const key = affinity !== undefined ? rendezvousPick(keys, affinity) : keys[Math.floor(this.random() * keys.length)]!;
        plan.push(this.#chosen(channel, key, choice(channel, key, model)));
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
    const next = this.#healthyKeys(failed.channel).find((k) => k.id !== null && !tried.has(k.id));
    return next && this.#chosen(failed.channel, next, { ...failed, keyId: next.id, key: next.secret });
  }

  /** An enabled channel whose usable keys all have an open breaker. */
  coolingDown(channel: ChannelRecord): boolean {
    return channel.status === 'enabled' && keysOf(channel).length > 0 && this.#healthyKeys(channel).length === 0;
  }

  /** Usable keys whose breaker lets a call through (closed, or half-open: due for a probe). */
  #healthyKeys(channel: ChannelRecord): UsableKey[] {
    const keys = keysOf(channel);
    const health = this.health;
    if (!health) return keys;
    return keys.filter((k) => health.state({ channelId: channel.id, keyId: k.id }, k.breaker) !== 'open');
  }

  /** The choice of a key; a half-open key chosen is this call's probe (others skip it until it answers). */
  #chosen(channel: ChannelRecord, key: UsableKey, route: RouteChoice): RouteChoice {
    const target = { channelId: channel.id, keyId: key.id };
    if (this.health?.state(target, key.breaker) === 'half_open') this.health.lease(target);
    return route;
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
  if (channel.keys.length === 0) return [{ id: null, secret: '', breaker: channel.breaker }];
  return channel.keys.flatMap((k) => (k.status === 'enabled' && k.secret !== null ? [{ id: k.id, secret: k.secret, breaker: k.breaker }] : []));
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
