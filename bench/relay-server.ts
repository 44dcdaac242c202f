// Bench child: the real service, started by startRelayStation() exactly as src/server.ts starts it (migrated SQLite
// file, options, root key, relay with its background jobs, the full fastify app), then seeded
// with one well-funded account, an unlimited token, a priced model and a channel to the fake upstream. Every request
// therefore does what a production one does: token auth, routing, pricing, reserve → forward → meter → settle + usage log.
//
// BENCH_JOIN=1 (bench:cluster's second instance): the database is seeded already; only serve it.
// Env: DATABASE_URL (file:… or postgresql://…), RELAY_ADMIN_KEY, LOG_LEVEL (the bench keeps the default, info), UPSTREAM_URL. Prints {"type":"ready", url, key, …};
// on the stdin line "stats" prints {"type":"stats", rss, …}; exits when stdin closes.
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { REDACT_PATHS } from '../src/app.js';
import { startRelayStation } from '../src/main.js';
import { hashSecret, newRelayKey, visiblePrefix } from '../src/auth/secrets.js';
import { createChannel } from '../src/services/channels.js';
import { listenForCommands, report } from './child.js';

/** Enough for millions of bench requests: the bench measures the relay, not refusals. */
const BENCH_USER_QUOTA = 1_000_000_000_000;
const BENCH_MODEL = 'gpt-4o-mini';

const upstreamUrl = process.env.UPSTREAM_URL;
if (!upstreamUrl) throw new Error('UPSTREAM_URL is required');

const config = { ...loadConfig(), port: 0, host: '127.0.0.1' };
// Logs go to stderr: stdout carries the protocol.
const log = pino({ level: config.logLevel, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, pino.destination(2));
const station = await startRelayStation(config, log);
const { relay, address } = station;
const { db, bus, options } = station.ctx;
if (process.env.BENCH_NO_BILLING === '1') {
  // Measurement aid (npm run bench -- --no-billing): admit everything, write nothing.
  relay.ledger.reserve = async (h) => ({ ok: true, amount: h.amount });
  relay.ledger.settle = async () => ({ settled: true, charged: 0, shortfall: 0 });
}

const prisma = db.prisma;
if (process.env.BENCH_JOIN === '1') {
  await relay.channels.ensureLoaded();
  report({ type: 'ready', url: address, rss: process.memoryUsage().rss });
} else await seed();

async function seed(): Promise<void> {
  const user = await prisma.user.create({ data: { username: 'bench', quota: BigInt(BENCH_USER_QUOTA) } });
  const key = newRelayKey();
  const token = await prisma.token.create({
    data: { userId: user.id, name: 'bench', keyHash: hashSecret(key), keyPrefix: visiblePrefix(key), unlimited: true },
  });
  const channel = await createChannel(station.ctx, {
    name: 'fake-upstream',
    type: 'openai',
    baseUrl: upstreamUrl,
    keys: ['sk-upstream'],
    models: [BENCH_MODEL],
  });
  bus.publish('tokens');
  await options.update({ modelRatios: { [BENCH_MODEL]: 0.075 }, completionRatios: { [BENCH_MODEL]: 4 } });

  report({
    type: 'ready',
    url: address,
    key,
    userId: user.id,
    tokenId: token.id,
    channelId: channel.id,
    initialQuota: BENCH_USER_QUOTA,
    rss: process.memoryUsage().rss,
  });
}

let closing = false;
listenForCommands(
  (command) => {
    if (command === 'stats') {
      const m = process.memoryUsage();
      // With --expose-gc: also what is left after a full collection, which tells a leak from a lazy collector.
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      const after = gc ? process.memoryUsage() : undefined;
      report({ type: 'stats', rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, afterGc: after && { rss: after.rss, heapUsed: after.heapUsed } });
    }
  },
  () => {
    if (closing) return;
    closing = true;
    // As src/server.ts shuts down: stop accepting and let in-flight calls settle, then the rest.
    // process.exit (not a signal) so that --cpu-prof gets to write its profile.
    void (async () => {
      await station.close();
      process.exit(0);
    })().catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
  },
);
