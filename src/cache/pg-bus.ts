// Cache invalidation across instances through PostgreSQL LISTEN/NOTIFY, for instances that share a PostgreSQL database
// without Redis. Each instance keeps one dedicated connection that LISTENs (a pooled one could be handed to a query
// mid-notification); publishing is a NOTIFY through the pool, so it works while the listener reconnects. Messages
// carry the instance id, so an instance does not hear its own change twice. A lost connection is re-opened with
// backoff, and on reconnect every topic is treated as changed (notifications sent meanwhile are lost).
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { FastifyBaseLogger } from 'fastify';
import { createLocalBus, type InvalidationBus, type Topic } from './bus.js';

const CHANNEL = 'relay_station_invalidate';
const TOPICS: Topic[] = ['tokens', 'users', 'channels', 'options', 'groups', 'payments'];
const MAX_BACKOFF_MS = 30_000;

export async function createPgBus(databaseUrl: string, pool: pg.Pool, log: Pick<FastifyBaseLogger, 'warn' | 'info'>): Promise<InvalidationBus> {
  const local = createLocalBus();
  const instance = randomUUID();
  let client: pg.Client | undefined;
  let closed = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;

  const onNotification = (msg: pg.Notification) => {
    if (msg.channel !== CHANNEL || !msg.payload) return;
    const [origin, topic] = msg.payload.split(' ');
    if (origin !== instance && topic && (TOPICS as string[]).includes(topic)) local.emitter.emit(topic);
  };

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: databaseUrl });
    c.on('notification', onNotification);
    c.on('error', () => {}); // 'end' follows and reconnects
    c.on('end', () => {
      if (client !== c || closed) return;
      client = undefined;
      log.warn('invalidation listener lost its PostgreSQL connection; reconnecting');
      schedule();
    });
    await c.connect();
    await c.query(`LISTEN ${CHANNEL}`);
    client = c;
  };

  const schedule = () => {
    const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** failures);
    timer = setTimeout(async () => {
      timer = undefined;
      if (closed) return;
      try {
        await connect();
        failures = 0;
        log.info('invalidation listener reconnected');
        for (const topic of TOPICS) if (topic !== 'payments') local.emitter.emit(topic); // what was missed
      } catch {
        failures++;
        schedule();
      }
    }, delay);
    timer.unref();
  };

  await connect();
  return {
    publish(topic) {
      local.publish(topic);
      // A lost notify leaves another instance stale until its caches age out (a minute at most).
      pool.query('SELECT pg_notify($1, $2)', [CHANNEL, `${instance} ${topic}`]).catch(() => {});
    },
    subscribe: local.subscribe,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await local.close();
      const c = client;
      client = undefined;
      await c?.end().catch(() => {});
    },
  };
}
