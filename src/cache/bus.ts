// Cache invalidation across instances. Each instance keeps small in-process caches (tokens by key hash, channels,
// options, groups); whoever changes the underlying rows publishes the topic, and every instance drops what it cached.
// Alone (SQLite) this is an in-process EventEmitter; with REDIS_URL it is also a Redis pub/sub channel; on PostgreSQL
// without Redis, a LISTEN/NOTIFY channel (pg-bus.ts).
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/** `payments`: an order was paid (the instance running the bots sends the chat notice); carries no cache. */
export type Topic = 'tokens' | 'users' | 'channels' | 'options' | 'groups' | 'payments';

export interface InvalidationBus {
  publish(topic: Topic): void;
  subscribe(topic: Topic, listener: () => void): () => void;
  close(): Promise<void>;
}

const CHANNEL = 'relay-station:invalidate';

export function createLocalBus(): InvalidationBus & { emitter: EventEmitter } {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(100);
  return {
    emitter,
    publish: (topic) => void emitter.emit(topic),
    subscribe(topic, listener) {
      emitter.on(topic, listener);
      return () => emitter.off(topic, listener);
    },
    async close() {
      emitter.removeAllListeners();
    },
  };
}

/** `publisher` and `subscriber` must be two connections: a subscribed Redis connection can do nothing else. */
export async function createRedisBus(publisher: Redis, subscriber: Redis): Promise<InvalidationBus> {
  const local = createLocalBus();
  const instance = randomUUID();
  await subscriber.subscribe(CHANNEL);
  subscriber.on('message', (channel: string, message: string) => {
    if (channel !== CHANNEL) return;
    const [origin, topic] = message.split(' ');
    if (origin !== instance && topic) local.emitter.emit(topic);
  });
  return {
    publish(topic) {
      local.publish(topic);
      // A lost publish leaves another instance stale until its caches age out (a minute at most).
      publisher.publish(CHANNEL, `${instance} ${topic}`).catch(() => {});
    },
    subscribe: local.subscribe,
    async close() {
      await local.close();
      await subscriber.unsubscribe(CHANNEL).catch(() => {});
    },
  };
}
