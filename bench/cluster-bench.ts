// `npm run bench:cluster`: does the relay scale out? One, then two relay instances on one PostgreSQL database (and
// Redis for invalidations), in front of one fake upstream; the load generator (here, undici, 127.0.0.1 only) sends a
// bounded number of non-stream chat completions, split evenly over the instances. Prints throughput, each instance's
// CPU time per request (from /proc/<pid>/stat: utime + stime) and the bookkeeping check: every request settled once,
// sum of charges == sum of the usage log == the balance moved, no reservation left.
//
// Needs PostgreSQL (BENCH_PG_URL, default postgresql://postgres@127.0.0.1:5432/postgres: a database is created for
// the run and dropped after) and Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379; unset it with "" to run
// without). Writes nothing into the repository but dist/.
//
//   npm run bench:cluster               4000 requests per phase at 64 clients
//   npm run bench:cluster -- --quick    a quarter of that
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Pool } from 'undici';
import { productionNodeFlags, startChild, type BenchChild } from './child.js';
import { runClosedLoop, percentile, type RunResult, type Target } from './load.js';

const quick = process.argv.includes('--quick');
const REQUESTS = quick ? 1000 : 4000;
const WARMUP = quick ? 200 : 600;
const CONCURRENCY = 64;
const PG_URL = process.env.BENCH_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ADMIN_KEY = 'rsm-bench-admin-key-0123456789';

const say = (text = '') => process.stdout.write(`${text}\n`);
const body = (n: number) =>
  JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `How far is the Moon? (question ${n})` }], max_tokens: 100 });

/** The process's CPU time so far (user + system), µs, from /proc/<pid>/stat. */
function procCpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // after "pid (comm) ": field 3 onwards
  const ticks = Number(fields[11]) + Number(fields[12]); // utime (14), stime (15)
  return (ticks * 1_000_000) / 100; // USER_HZ is 100 on Linux
}

interface Phase {
  instances: number;
  /** Measured requests (warm-up excluded). */
  measured: number;
  sent: number;
  ok: number;
  elapsedMs: number;
  cpuPerRequestUs: number[];
  p50: number;
  p99: number;
  firstError?: string;
}

async function runPhase(relays: Array<{ child: BenchChild; url: string }>, key: string, pools: Pool[]): Promise<Phase> {
  const targets: Target[] = relays.map((r, i) => {
    const pool = new Pool(r.url, { connections: CONCURRENCY, pipelining: 1, keepAliveTimeout: 30_000 });
    pools.push(pool);
    return { name: `relay ${i + 1}`, pool, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` } };
  });
  const per = (n: number) => Math.floor(n / targets.length);
  const conc = Math.max(1, Math.floor(CONCURRENCY / targets.length));
  await Promise.all(targets.map((t) => runClosedLoop(t, body, { count: per(WARMUP), concurrency: conc, stream: false })));
  const cpuBefore = relays.map((r) => procCpuMicros(r.child.pid));
  const started = process.hrtime.bigint();
  const results: RunResult[] = await Promise.all(targets.map((t) => runClosedLoop(t, body, { count: per(REQUESTS), concurrency: conc, stream: false })));
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  const cpuAfter = relays.map((r) => procCpuMicros(r.child.pid));
  const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const sent = results.reduce((s, r) => s + r.count, 0) + targets.length * per(WARMUP);
  return {
    instances: relays.length,
    measured: results.reduce((s, r) => s + r.count, 0),
    sent,
    ok: latencies.length + targets.length * per(WARMUP), // the warm-up's answers were checked the same way
    elapsedMs,
    cpuPerRequestUs: relays.map((_, i) => (cpuAfter[i]! - cpuBefore[i]!) / results[i]!.count),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    ...(results.find((r) => r.firstError) ? { firstError: results.find((r) => r.firstError)!.firstError! } : {}),
  };
}

async function main(): Promise<void> {
  const dbName = `relay_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const dbUrl = new URL(PG_URL);
  dbUrl.pathname = `/${dbName}`;
  const dir = mkdtempSync(join(tmpdir(), 'relay-cluster-bench-'));
  const children: BenchChild[] = [];
  const pools: Pool[] = [];
  try {
    const upstream = startChild('fake-upstream', './fake-upstream.js', { FAKE_UPSTREAM_PORT: '0' });
    children.push(upstream);
    const upstreamUrl = String((await upstream.next('ready')).url);
    const env = {
      UPSTREAM_URL: upstreamUrl,
      DATABASE_URL: dbUrl.toString(),
      RELAY_ADMIN_KEY: ADMIN_KEY,
      RELAY_SECRET_KEY_FILE: join(dir, 'secret.key'),
      LOG_LEVEL: 'warn',
      ...(REDIS_URL ? { REDIS_URL } : {}),
    };
    const start = async (name: string, join = false) => {
      const child = startChild(name, './relay-server.js', { ...env, ...(join ? { BENCH_JOIN: '1' } : {}) }, productionNodeFlags());
      children.push(child);
      return { child, ready: await child.next('ready', 60_000) };
    };

    say(`relay-station cluster bench — ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    say(`PostgreSQL ${dbName}${REDIS_URL ? ' + Redis' : ' (no Redis)'}; ${REQUESTS} non-stream requests per phase at ${CONCURRENCY} clients in all, after ${WARMUP} warm-up`);
    const first = await start('relay-1');
    const seeded = first.ready;
    const key = String(seeded.key);
    const one = await runPhase([{ child: first.child, url: String(seeded.url) }], key, pools);
    const second = await start('relay-2', true);
    const two = await runPhase(
      [
        { child: first.child, url: String(seeded.url) },
        { child: second.child, url: String(second.ready.url) },
      ],
      key,
      pools,
    );

    say();
    say('instances | requests | throughput req/s | p50 ms | p99 ms | CPU µs/request per instance');
    for (const p of [one, two]) {
      const rps = (p.measured / (p.elapsedMs / 1000)).toFixed(0);
      say(`${String(p.instances).padStart(9)} | ${String(p.measured).padStart(8)} | ${rps.padStart(16)} | ${p.p50.toFixed(1).padStart(6)} | ${p.p99.toFixed(1).padStart(6)} | ${p.cpuPerRequestUs.map((c) => c.toFixed(0)).join(', ')}`);
      if (p.firstError) say(`  first error: ${p.firstError}`);
    }
    const scaling = two.measured / two.elapsedMs / (one.measured / one.elapsedMs);
    say();
    say(`scaling, two instances over one: ${scaling.toFixed(2)}× (target 1.8×)`);

    for (const c of children.slice(1)) await c.stop(15_000);
    const sent = one.sent + two.sent;
    const ok = one.ok + two.ok;
    const checks = await bookkeeping(dbUrl.toString(), Number(seeded.userId), Number(seeded.tokenId), Number(seeded.initialQuota), sent, ok);
    say();
    say('Bookkeeping (read from PostgreSQL after both instances shut down)');
    for (const c of checks) say(`  ${c.pass ? 'PASS' : 'FAIL'}  ${c.label}`);
  } finally {
    await Promise.all(pools.map((p) => p.close()));
    await Promise.all(children.map((c) => c.stop()));
    rmSync(dir, { recursive: true, force: true });
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}

async function bookkeeping(url: string, userId: number, tokenId: number, initial: number, sent: number, ok: number) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const logs = (
      await c.query(
        `SELECT COUNT(*)::bigint AS n, COUNT(DISTINCT "requestId")::bigint AS ids, COALESCE(SUM("quota"), 0)::bigint AS charged,
           COUNT(*) FILTER (WHERE "status" = 'ok' AND "type" = 'consume')::bigint AS ok
         FROM "UsageLog" WHERE "userId" = $1`,
        [userId],
      )
    ).rows[0] as { n: string; ids: string; charged: string; ok: string };
    const user = (await c.query(`SELECT "quota"::bigint AS quota, "usedQuota"::bigint AS used FROM "User" WHERE "id" = $1`, [userId])).rows[0] as { quota: string; used: string };
    const token = (await c.query(`SELECT "usedQuota"::bigint AS used FROM "Token" WHERE "id" = $1`, [tokenId])).rows[0] as { used: string };
    const holds = Number((await c.query(`SELECT COUNT(*)::bigint AS n FROM "QuotaHold"`)).rows[0].n);
    // What the logged tokens cost at the bench's price (model 0.075, completion 4, group 1): ceil(0.075 × (p + 4c)).
    const expected = BigInt(
      (await c.query(`SELECT COALESCE(SUM((3 * ("promptTokens" + 4 * "completionTokens") + 39) / 40), 0)::bigint AS q FROM "UsageLog" WHERE "userId" = $1 AND "status" = 'ok'`, [userId])).rows[0].q,
    );
    const n = Number(logs.n);
    const charged = BigInt(logs.charged);
    return [
      { label: `usage log rows ${n} = requests sent ${sent}`, pass: n === sent },
      { label: `distinct request ids ${logs.ids} = rows ${n}`, pass: Number(logs.ids) === n },
      { label: `ok rows ${logs.ok} = answers that succeeded ${ok}`, pass: Number(logs.ok) === ok },
      { label: `open reservations ${holds} = 0`, pass: holds === 0 },
      { label: `sum of charges (user usedQuota) ${user.used} = sum of the usage log ${charged}`, pass: BigInt(user.used) === charged },
      { label: `token usedQuota ${token.used} = sum of the usage log ${charged}`, pass: BigInt(token.used) === charged },
      { label: `quota + usedQuota ${BigInt(user.quota) + BigInt(user.used)} = initial ${initial}`, pass: BigInt(user.quota) + BigInt(user.used) === BigInt(initial) },
      { label: `sum of the usage log ${charged} = expected from the logged tokens at the price ${expected}`, pass: charged === expected && expected > 0n },
    ];
  } finally {
    await c.end();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
