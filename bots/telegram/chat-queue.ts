// Runs tasks one at a time per key (a chat) and concurrently across keys. Webhook mode uses it to answer Telegram at
// once and stream in the background, while one chat's messages are still handled in order.
export class ChatQueue {
  readonly #tails = new Map<string, Promise<void>>();

  /** Queues the task behind the key's earlier ones. The task must not throw (errors are the task's to handle). */
  run(key: string, task: () => Promise<void>): Promise<void> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const next = previous.then(task, task);
    this.#tails.set(key, next);
    void next.finally(() => {
      if (this.#tails.get(key) === next) this.#tails.delete(key);
    });
    return next;
  }

  /** Resolves when every queued task has finished (graceful stop). */
  async idle(): Promise<void> {
    while (this.#tails.size > 0) await Promise.allSettled([...this.#tails.values()]);
  }
}
