// Counters for every limit the service keeps (relay rpm/tpm/concurrency, wrong-guess limits): one interface, kept in
// memory on a single instance and in Redis when REDIS_URL is set, so several instances share one count.
//
// Three kinds of counter:
// - windows: a sliding window of weighted hits (requests, tokens), two fixed buckets weighted by how far the current
//   one has run (the previous minute counts for the part of it still inside the window). Constant memory per key,
//   a take may be corrected afterwards (TPM: the estimate at admission, the billed tokens at settle).
// - slots: calls in flight, each by its id, so a slot is released exactly once and a slot left by a crashed instance
//   ages out.
// - logs: individual timestamped events (wrong guesses), exact sliding windows for small limits, each event removable.

/** One window to take from: `cost` more must keep `key`'s weighted count within `limit`. */
export interface WindowTake {
  key: string;
  limit: number;
  cost: number;
}

export type TakeResult =
  /** Counted; `bucket` identifies where, for adjust(). */
  | { ok: true; bucket: number }
  /** Nothing counted: windows[index] is full (the longest wait of those that are), free again in `retryAfterMs`. */
  | { ok: false; index: number; retryAfterMs: number };

export interface RateLimitStore {
  /** Takes `cost` from every window, or from none when any would go over its limit (atomic across instances). */
  take(windows: readonly WindowTake[], windowMs: number): Promise<TakeResult>;
  /** Corrects what a take counted in `bucket` (negative gives back); a bucket already out of the window is left alone. */
  adjust(key: string, windowMs: number, bucket: number, delta: number): Promise<void>;
  /** One of `limit` slots for `id`; slots held longer than `maxAgeMs` count as leaked and are dropped. */
  acquireSlot(key: string, id: string, limit: number, maxAgeMs: number): Promise<boolean>;
  releaseSlot(key: string, id: string): Promise<void>;
  /**
   * Records event `id` in every log, unless one of them already holds `max` events within `windowMs`: then nothing is
   * recorded and the result is the milliseconds until the fullest one has room (0 = recorded).
   */
  hit(logs: readonly { key: string; max: number }[], windowMs: number, id: string): Promise<number>;
  /** Takes event `id` back out of the logs. */
  unhit(keys: readonly string[], id: string): Promise<void>;
  clear(key: string): Promise<void>;
  close(): Promise<void>;
}

/** Weighted count of a two-bucket window at `elapsed` ms into the current bucket. */
export function weighted(prev: number, curr: number, elapsed: number, windowMs: number): number {
  return prev * (1 - elapsed / windowMs) + curr;
}

/**
 * Milliseconds until `cost` more fits under `limit`, with nothing else taken meanwhile. A cost above the limit is
 * admitted on an empty window (it is judged as the whole limit), so a single large call is slow, never impossible.
 * The same arithmetic runs in the Redis script (redis-store.ts).
 */
export function waitMs(prev: number, curr: number, elapsed: number, windowMs: number, limit: number, cost: number): number {
  const c = Math.min(cost, limit);
  if (weighted(prev, curr, elapsed, windowMs) + c <= limit) return 0;
  if (curr + c <= limit && prev > 0) {
    // Room comes as the previous bucket's weight fades in this one.
    return Math.max(1, (1 - (limit - curr - c) / prev) * windowMs - elapsed);
  }
  // Only the next bucket has room: then this one is the previous, fading.
  const fade = curr > 0 ? Math.max(0, 1 - (limit - c) / curr) : 0;
  return windowMs - elapsed + fade * windowMs;
}

/** Seconds for a Retry-After header: a whole number, at least 1. */
export const retryAfterSeconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));
