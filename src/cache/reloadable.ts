// A value loaded from the database, held in memory, and reloaded (lazily, on the next read) after its InvalidationBus
// topic fires on any instance, or once it is older than MAX_AGE_MS (so instances converge within a minute even if an
// invalidation message is lost). Readers never see a half-built value: while a load runs, they wait for it.
import type { InvalidationBus, Topic } from './bus.js';

const MAX_AGE_MS = 60_000;

export class Reloadable<T> {
  #value: T;
  #stale = true;
  #loadedAt = 0;
  #loading: Promise<void> | null = null;

  constructor(
    initial: T,
    private readonly load: () => Promise<T>,
    bus: InvalidationBus,
    topic: Topic,
  ) {
    this.#value = initial;
    bus.subscribe(topic, () => {
      this.#stale = true;
    });
  }

  /** The current value, loading it first when it is stale (an invalidation during a load triggers another). */
  async get(): Promise<T> {
    while (this.#due()) await (this.#loading ?? this.reload());
    return this.#value;
  }

  /** The value when it is fresh (no reload due or running), without waiting: the hot path's read; else undefined. */
  get fresh(): T | undefined {
    return this.#due() ? undefined : this.#value;
  }

  /** Invalidated, too old, or loading right now. */
  #due(): boolean {
    return this.#stale || this.#loading !== null || Date.now() - this.#loadedAt > MAX_AGE_MS;
  }

  /** The value as last loaded (call get() first on paths that must not see a stale one). */
  get current(): T {
    return this.#value;
  }

  reload(): Promise<void> {
    this.#loading ??= (async () => {
      try {
        this.#stale = false;
        this.#value = await this.load();
        this.#loadedAt = Date.now();
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
