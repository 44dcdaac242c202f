// `npm run bench:ab -- <other checkout>`: this checkout's relay (B) against another build of it (A), in the same run.
//
// On a shared machine the CPU per request of one process moves ±20% between runs, so a 5–10% change cannot be seen by
// comparing two `npm run bench` reports. Here both relays and the node:http floor run side by side, each alone on the
// measured core while it is driven, in interleaved rounds whose order rotates: whatever else the machine does lands on
// A and B alike, and B / A is the figure to read. A is the relay of the other checkout (its `dist/`, built there with
// `npx tsc -p tsconfig.build.json`); with `--same`, A is this checkout's own relay, for an ablation through `--env-a`.
//
//   npm run bench:ab -- ../base                              B = this checkout, A = ../base
//   npm run bench:ab -- --same --env-a BENCH_NO_BILLING=1   A = this relay without billing (what billing costs)
//   options: --mode plain|stream|both (both) --clients N (16) --requests N (6000 per target) --rounds N (6)
//            --env-b KEY=VALUE (B's environment too) --flags-b "--node-flag …" (after npm start's flags: B's win) --profile DIR (V8 CPU profiles of A and B, whole run, into DIR/a and
//            DIR/b: open them in Chrome DevTools; the first seconds are start-up)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { cpuMicros, pinning, pinSelf, productionNodeFlags, repoRoot, startChild, type BenchChild } from './child.js';
import { runClosedLoop, type Target } from './load.js';
import { chatBody } from './chat-body.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const at = argv.indexOf(name);
  return at >= 0 && argv[at + 1] !== undefined ? argv[at + 1]! : fallback;
};
const whole = (name: string, fallback: number, max: number): number => {
  const n = Number(option(name, String(fallback)));
  if (!Number.isSafeInteger(n) || n < 1 || n > max) throw new Error(`${name} takes a whole number from 1 to ${max}`);
  return n;
};
const same = argv.includes('--same');
const VALUED = new Set(['--mode', '--clients', '--requests', '--rounds', '--env-a', '--env-b', '--profile', '--flags-b']);
const other = argv.find((a, i) => !a.startsWith('--') && !VALUED.has(argv[i - 1] ?? ''));
if (!same && !other) throw new Error('give the other checkout (its dist/ built), or --same with --env-a KEY=VALUE');
const mode = option('--mode', 'both');
if (!['plain', 'stream', 'both'].includes(mode)) throw new Error('--mode is plain, stream or both');
const clients = whole('--clients', 16, 256);
const requests = whole('--requests', 6000, 100_000);
const rounds = whole('--rounds', 6, 50);
const envOf = (flag: string) =>
  Object.fromEntries(argv.flatMap((a, i) => (argv[i - 1] === flag ? [a.split('=', 2) as [string, string]] : [])).map(([k, v]) => [k, v ?? '']));
const envA = envOf('--env-a');
const envB = envOf('--env-b');
const profileDir = argv.includes('--profile') ? resolve(option('--profile', '')) : undefined;
/** npm start's flags, and a CPU profile of the whole run into <dir>/a or <dir>/b when --profile is given. */
const flagsB = option('--flags-b', '').split(/\s+/).filter(Boolean);
const nodeFlags = (side: 'a' | 'b') => [
  ...productionNodeFlags(),
  ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, side)}`] : []),
  ...(side === 'b' ? flagsB : []),
];

const NAMES = ['floor', 'A', 'B'] as const;
type Name = (typeof NAMES)[number];

async function main(): Promise<void> {
  pinSelf(pinning.loadCore);
  const dir = mkdtempSync(join(tmpdir(), 'relay-ab-'));
  const children: BenchChild[] = [];
  const pools: Pool[] = [];
  try {
    const upstream = startChild('fake-upstream', './fake-upstream.js', { FAKE_UPSTREAM_PORT: '0' }, [], pinning.loadCore);
    children.push(upstream);
    const upstreamUrl = String((await upstream.next('ready')).url);
    const relayEnv = (name: string) => ({
      UPSTREAM_URL: upstreamUrl,
      DATABASE_URL: `file:${join(dir, `${name}.db`)}`,
      RELAY_ADMIN_KEY: 'rsm-bench-admin-key-0123456789',
      RELAY_SECRET_KEY_FILE: join(dir, `${name}.key`),
      LOG_LEVEL: 'info',
    });
    const aScript = same ? './relay-server.js' : pathToFileURL(join(resolve(other!), 'dist/bench/relay-server.js')).href;
    const servers: Record<Name, BenchChild> = {
      floor: startChild('node-http-floor', './node-http-proxy.js', { UPSTREAM_URL: upstreamUrl }, [], pinning.measuredCore),
      A: startChild('A', aScript, { ...relayEnv('a'), ...envA }, nodeFlags('a'), pinning.measuredCore),
      B: startChild('B', './relay-server.js', { ...relayEnv('b'), ...envB }, nodeFlags('b'), pinning.measuredCore),
    };
    children.push(...Object.values(servers));
    const ready = await Promise.all(NAMES.map((n) => servers[n].next('ready', 60_000)));
    const target = (n: Name): Target => {
      const { url, key } = ready[NAMES.indexOf(n)]!;
      const pool = new Pool(String(url), { connections: clients, pipelining: 1 });
      pools.push(pool);
      return { name: n, pool, headers: { 'content-type': 'application/json', authorization: `Bearer ${n === 'floor' ? 'sk-upstream' : String(key)}` } };
    };
    const targets: Record<Name, Target> = { floor: target('floor'), A: target('A'), B: target('B') };

    console.log(`A: ${same ? `this checkout${Object.keys(envA).length ? ` with ${JSON.stringify(envA)}` : ''}` : resolve(other!)}; B: ${repoRoot}`);
    console.log(`${clients} clients, ${requests} requests per target and mode in ${rounds} interleaved rounds, after a warm-up`);
    const modes = mode === 'both' ? [false, true] : [mode === 'stream'];
    for (const stream of modes) for (const n of NAMES) await runClosedLoop(targets[n], () => chatBody(stream), { count: 1500, concurrency: 16, stream });
    for (const stream of modes) {
      const cpu: Record<Name, number> = { floor: 0, A: 0, B: 0 };
      const count: Record<Name, number> = { floor: 0, A: 0, B: 0 };
      for (let r = 0; r < rounds; r++) {
        for (let i = 0; i < NAMES.length; i++) {
          const n = NAMES[(i + r) % NAMES.length]!;
          const before = await cpuMicros(servers[n]);
          const result = await runClosedLoop(targets[n], () => chatBody(stream), { count: Math.round(requests / rounds), concurrency: clients, stream });
          if (result.errors > 0) throw new Error(`${n}: ${result.errors} requests failed, the first: ${result.firstError}`);
          cpu[n] += (await cpuMicros(servers[n])) - before;
          count[n] += result.count;
        }
      }
      const us = (n: Name) => cpu[n] / count[n];
      const x = (n: Name) => `${us(n).toFixed(0)} µs (${(us(n) / us('floor')).toFixed(2)}× the floor)`;
      console.log(`${stream ? 'stream    ' : 'non-stream'}  node:http floor ${us('floor').toFixed(0)} µs  A ${x('A')}  B ${x('B')}  B / A ${(us('B') / us('A')).toFixed(3)}`);
    }
  } finally {
    await Promise.all(pools.map((p) => p.close()));
    await Promise.all(children.map((c) => c.stop(15_000)));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
