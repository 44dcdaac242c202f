// RateLimitStore in this process's memory: exact for one instance (several instances each count their own calls).
// Bounded: beyond `maxKeys` keys per kind, expired entries go first, then the oldest.
import { waitMs, weighted, type RateLimitStore, type TakeResult, type WindowTake } from './store.js';

interface Buckets {
  bucket: number;
  prev: number;
  curr: number;
}

export class MemoryRateLimitStore implements RateLimitStore {
  readonly #windows = new Map<string, Buckets>();
  readonly #slots = new Map<string, Map<string, number>>();
  readonly #logs = new Map<string, { id: string; at: number }[]>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  #buckets(key: string, bucket: number, create: boolean): Buckets | undefined {
    let b = this.#windows.get(key);
    if (!b) {
      if (!create) return undefined;
      b = { bucket, prev: 0, curr: 0 };
      if (this.#windows.size >= this.maxKeys) this.#prune(this.#windows, (v) => v.bucket < bucket - 1);
      this.#windows.set(key, b);
    } else if (b.bucket < bucket) {
      b.prev = b.bucket === bucket - 1 ? b.curr : 0;
      b.curr = 0;
      b.bucket = bucket;
    }
    return b;
  }

  async take(windows: readonly WindowTake[], windowMs: number): Promise<TakeResult> {
    const now = this.now();
    const bucket = Math.floor(now / windowMs);
    const elapsed = now - bucket * windowMs;
    let refused: { index: number; retryAfterMs: number } | undefined;
    windows.forEach((w, index) => {
      const b = this.#buckets(w.key, bucket, false);
      if (!b) return; // an empty window has room for anything (see waitMs)
      const wait = waitMs(b.prev, b.curr, elapsed, windowMs, w.limit, w.cost);
      if (wait > 0 && (!refused || wait > refused.retryAfterMs)) refused = { index, retryAfterMs: wait };
    });
    if (refused) return { ok: false, ...refused };
    for (const w of windows) this.#buckets(w.key, bucket, true)!.curr += w.cost;
    return { ok: true, bucket };
  }

  async adjust(key: string, windowMs: number, bucket: number, delta: number): Promise<void> {
    const b = this.#buckets(key, Math.floor(this.now() / windowMs), false);
    if (!b) return;
    if (b.bucket === bucket) b.curr = Math.max(0, b.curr + delta);
    else if (b.bucket === bucket + 1) b.prev = Math.max(0, b.prev + delta);
  }

  /** The weighted count now (tests, diagnostics). */
  count(key: string, windowMs: number): number {
    const now = this.now();
    const b = this.#buckets(key, Math.floor(now / windowMs), false);
    return b ? weighted(b.prev, b.curr, now - b.bucket * windowMs, windowMs) : 0;
  }

  async acquireSlot(key: string, id: string, limit: number, maxAgeMs: number): Promise<boolean> {
    const now = this.now();
    let slots = this.#slots.get(key);
    if (slots) for (const [held, at] of slots) if (at <= now - maxAgeMs) slots.delete(held);
    if (slots && slots.size >= limit) return false;
    if (!slots) {
      slots = new Map();
      if (this.#slots.size >= this.maxKeys) this.#prune(this.#slots, (v) => v.size === 0);
      this.#slots.set(key, slots);
    }
    slots.set(id, now);
    return true;
  }

  async releaseSlot(key: string, id: string): Promise<void> {
    const slots = this.#slots.get(key);
    slots?.delete(id);
    if (slots?.size === 0) this.#slots.delete(key);
  }

  /** Slots held now (tests). */
  slotsHeld(key: string): number {
    return this.#slots.get(key)?.size ?? 0;
  }

  #recent(key: string, windowMs: number): { id: string; at: number }[] {
    const cutoff = this.now() - windowMs;
    const kept = (this.#logs.get(key) ?? []).filter((e) => e.at > cutoff);
    if (kept.length > 0) this.#logs.set(key, kept);
    else this.#logs.delete(key);
    return kept;
  }

  async hit(logs: readonly { key: string; max: number }[], windowMs: number, id: string): Promise<number> {
    const now = this.now();
    let wait = 0;
    for (const { key, max } of logs) {
      const recent = this.#recent(key, windowMs);
      if (recent.length >= max) wait = Math.max(wait, recent[recent.length - max]!.at + windowMs - now, 1);
    }
    if (wait > 0) return wait;
    for (const { key } of logs) {
      const recent = this.#recent(key, windowMs);
      recent.push({ id, at: now });
      this.#logs.set(key, recent);
    }
    if (this.#logs.size > this.maxKeys) {
      for (const key of [...this.#logs.keys()]) this.#recent(key, windowMs);
      this.#prune(this.#logs, () => false);
    }
    return 0;
  }

  async unhit(keys: readonly string[], id: string): Promise<void> {
    for (const key of keys) {
      const kept = (this.#logs.get(key) ?? []).filter((e) => e.id !== id);
      if (kept.length > 0) this.#logs.set(key, kept);
      else this.#logs.delete(key);
    }
  }

  async clear(key: string): Promise<void> {
    this.#logs.delete(key);
    this.#windows.delete(key);
    this.#slots.delete(key);
  }

  async close(): Promise<void> {}

  /** Drops entries `dead` says are empty, then the oldest inserted (Map keeps insertion order) down to maxKeys. */
  #prune<V>(map: Map<string, V>, dead: (v: V) => boolean): void {
    for (const [key, value] of map) if (dead(value)) map.delete(key);
    for (const key of map.keys()) {
      if (map.size < this.maxKeys) break;
      map.delete(key);
    }
  }
}
