// Waiting on a fake chat platform: a test waits for a condition that the fake re-checks after each thing it handles
// (a REST call, a gateway or WebSocket frame), so no test sleeps or polls.
export class Waiters {
  #waiters: Array<() => void> = [];

  /** `fake`: the fake's name, for the timeout message ("fake Discord"). */
  constructor(private readonly fake: string) {}

  /** Resolves with the first truthy value of `check`, or fails after `timeoutMs`. */
  waitFor<T>(check: () => T | undefined | false, timeoutMs = 5_000, what = 'condition'): Promise<T> {
    const first = check();
    if (first) return Promise.resolve(first);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(`${this.fake}: timed out waiting for ${what}`));
      }, timeoutMs);
      const waiter = (): void => {
        const value = check();
        if (!value) return;
        clearTimeout(timer);
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve(value);
      };
      this.#waiters.push(waiter);
    });
  }

  /** Something happened: re-check every waiting condition. */
  notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}
