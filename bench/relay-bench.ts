// `npm run bench`: the relay's own CPU per request, measured against two do-nothing proxies in the same run.
//
// Child processes: the fake upstream, the two floors (a node:http pipe proxy and an undici pipe proxy) and the relay on
// a temp SQLite file; the load generator runs here. The process measured (relay or a floor) runs alone on core 1
// (`taskset -c 1`); this process and the fake upstream share core 0, so what is measured never competes with what
// drives it. Each measured process's CPU is read from its own /proc/<pid>/stat (utime + stime) around a fixed number
// of requests after the warm-up: CPU µs per request is the figure the shared machine's noise moves least. The relay
// runs compiled (npm run bench builds dist/ first) with the node flags of npm start, started by the same
// startRelayStation() as production. Non-stream and stream chat completions at 1, 16 and 64 closed-loop clients (see
// measure.ts for the plan). Prints tables, ratios, PASS/FAIL against the targets (docs/performance.md), the relay's
// RSS, and after every run a check that every relay request was settled and logged exactly once (exit code 1 if not;
// a missed performance target is a measurement, exit code 0). 127.0.0.1 only; writes nothing into the repository
// but dist/.
//
//   npm run bench                  one run (~1 min on 2 cores)
//   npm run bench -- --runs 5      five runs, each with fresh processes; every figure is the median of the five
//   npm run bench -- --quick       a quarter of the requests
//   npm run bench -- --profile     also CPU-profile the relay child (first run) and print where it spends its time
//   npm run bench -- --no-billing  the relay with its ledger stubbed out (no reservation, no settle, no usage log), to
//                                  show what billing costs; a measurement aid only, not a product setting
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { pinning, pinSelf, productionNodeFlags, repoRoot, startChild, type BenchChild } from './child.js';
import type { Target } from './load.js';
import { measure, type Plan } from './measure.js';
import { median, medianCells, ratioTable, scenarioTable, targetVerdicts, verdictLine, type Cell, type TargetName } from './report.js';
import { verifyUsage, type Check } from './verify-usage.js';
import { summarizeCpuProfile, type TimeShare } from './cpu-profile.js';
import { chatBody } from './chat-body.js';

const argv = process.argv.slice(2);
const args = new Set(argv);
const quick = args.has('--quick');
const profile = args.has('--profile');
const billing = !args.has('--no-billing');
const runsAt = argv.indexOf('--runs');
const runs = runsAt >= 0 ? Number(argv[runsAt + 1]) : 1;
if (!Number.isSafeInteger(runs) || runs < 1 || runs > 20) throw new Error('--runs takes a whole number from 1 to 20');
const scale = quick ? 0.25 : 1;

const plan: Plan = {
  levels: [1, 16, 64],
  rounds: 3,
  globalWarmup: Math.round(1000 * scale),
  cellWarmup: Math.round(100 * scale),
  // CPU is read in clock ticks (10 ms): a cell spans a few hundred ms of the relay's CPU, so a tick is ~3% at worst.
  measured: (concurrency) => Math.round((concurrency === 1 ? 900 : 3000) * scale),
  body: (stream) => chatBody(stream),
};

const say = (text = '') => process.stdout.write(`${text}\n`);
const mb = (bytes: unknown) => `${(Number(bytes) / 1024 / 1024).toFixed(1)} MB`;
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

interface RunOutcome {
  plain: Cell[];
  stream: Cell[];
  /** Relay RSS after the load, bytes. */
  rss: number;
  bookkeeping: Check[];
}

async function oneRun(index: number, withProfile: boolean): Promise<RunOutcome> {
  const dir = mkdtempSync(join(tmpdir(), 'relay-bench-'));
  const profileDir = withProfile ? mkdtempSync(join(tmpdir(), 'relay-bench-prof-')) : undefined;
  const children: BenchChild[] = [];
  const pools: Pool[] = [];
  const { loadCore, measuredCore } = pinning;
  try {
    const upstream = startChild('fake-upstream', './fake-upstream.js', { FAKE_UPSTREAM_PORT: '0' }, [], loadCore);
    children.push(upstream);
    const upstreamUrl = String((await upstream.next('ready')).url);
    const nodeFloor = startChild('node-http-floor', './node-http-proxy.js', { UPSTREAM_URL: upstreamUrl }, [], measuredCore);
    const undiciFloor = startChild('undici-floor', './bare-proxy.js', { UPSTREAM_URL: upstreamUrl }, [], measuredCore);
    const relay = startChild(
      'relay',
      './relay-server.js',
      { UPSTREAM_URL: upstreamUrl, DATABASE_URL: `file:${join(dir, 'relay.db')}`, RELAY_ADMIN_KEY: 'rsm-bench-admin-key-0123456789', RELAY_SECRET_KEY_FILE: join(dir, 'secret.key'), LOG_LEVEL: 'info', ...(billing ? {} : { BENCH_NO_BILLING: '1' }) },
      [...productionNodeFlags(), '--expose-gc', ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
      measuredCore,
    );
    children.push(nodeFloor, undiciFloor, relay);
    const [nodeReady, undiciReady, relayReady] = await Promise.all([nodeFloor.next('ready'), undiciFloor.next('ready'), relay.next('ready', 60_000)]);

    const target = (name: TargetName, url: string, key: string): Target => {
      const pool = new Pool(url, { connections: Math.max(...plan.levels), pipelining: 1, keepAliveTimeout: 30_000 });
      pools.push(pool);
      return { name, pool, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` } };
    };
    const targets: Record<TargetName, Target> = {
      'node:http floor': target('node:http floor', String(nodeReady.url), 'sk-upstream'),
      'undici floor': target('undici floor', String(undiciReady.url), 'sk-upstream'),
      relay: target('relay', String(relayReady.url), String(relayReady.key)),
    };

    say();
    say(`Run ${index} of ${runs} — load average ${load()} at start`);
    const m = await measure(targets, { 'node:http floor': nodeFloor, 'undici floor': undiciFloor, relay }, plan);

    relay.send('stats');
    const rs = await relay.next('stats');
    const afterGc = rs.afterGc as { rss: number; heapUsed: number } | undefined;
    say(
      `  relay RSS after the load ${mb(rs.rss)} (when ready ${mb(relayReady.rss)}); heap used ${mb(rs.heapUsed)} of ${mb(rs.heapTotal)}, external ${mb(rs.external)}` +
        `${afterGc ? `; after a forced full GC: RSS ${mb(afterGc.rss)}, heap used ${mb(afterGc.heapUsed)}` : ''}`,
    );
    const find16 = (cells: Cell[], t: TargetName) => cells.find((c) => c.target === t && c.concurrency === 16)!.cpuUs.toFixed(0);
    say(`  CPU µs/request at 16 clients: non-stream relay ${find16(m.plain, 'relay')} / node:http ${find16(m.plain, 'node:http floor')}; stream relay ${find16(m.stream, 'relay')} / node:http ${find16(m.stream, 'node:http floor')}`);

    const code = await relay.stop(15_000);
    let bookkeeping: Check[] = [];
    if (billing) {
      const usage = verifyUsage(join(dir, 'relay.db'), {
        userId: Number(relayReady.userId),
        tokenId: Number(relayReady.tokenId),
        initialQuota: Number(relayReady.initialQuota),
        ...m.relay,
      });
      bookkeeping = [{ label: `relay exited cleanly after a graceful shutdown (exit code ${code})`, pass: code === 0 }, ...usage.checks];
      const failed = bookkeeping.filter((c) => !c.pass);
      say(`  bookkeeping: ${failed.length === 0 ? `exact (${usage.logs} requests, ${usage.charged} quota units charged, usage log = charges = requests sent)` : 'FAILED'}`);
      for (const c of failed) say(verdictLine(c));
    } else {
      say('  bookkeeping: skipped, billing was off (--no-billing)');
    }
    if (profileDir) printProfile(profileDir, m.warmedAtMicros);
    return { plain: m.plain, stream: m.stream, rss: Number(rs.rss), bookkeeping };
  } finally {
    await Promise.all(pools.map((p) => p.close()));
    await Promise.all(children.map((c) => c.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const benchStarted = Date.now();
  pinSelf(pinning.loadCore);
  say(`relay-station bench — ${cpus().length} CPUs, load average ${load()} at start${quick ? ' (quick)' : ''}${profile ? ' (relay CPU-profiled in run 1: its figures are slower than usual)' : ''}`);
  say(
    pinning.available
      ? `pinned: relay and floors on core ${pinning.measuredCore} (one at a time), load generator and fake upstream on core ${pinning.loadCore}`
      : 'NOT pinned (needs Linux, 2+ CPUs and taskset): every process competes for every core; CPU figures still per process',
  );
  say(`relay started as npm start starts it: node ${productionNodeFlags().join(' ')} (compiled, from dist/)`);
  say(`warm-up ${plan.globalWarmup} requests per target and mode, ${plan.cellWarmup} more per cell, then ${plan.measured(1)} (1 client) / ${plan.measured(16)} (16, 64 clients) measured, in ${plan.rounds} interleaved rounds; ${runs} run${runs > 1 ? 's' : ''}`);

  const outcomes: RunOutcome[] = [];
  for (let i = 1; i <= runs; i++) outcomes.push(await oneRun(i, profile && i === 1));

  const plainRuns = outcomes.map((o) => o.plain);
  const streamRuns = outcomes.map((o) => o.stream);
  const plain = medianCells(plainRuns);
  const stream = medianCells(streamRuns);
  const rss = median(outcomes.map((o) => o.rss));
  const of = runs > 1 ? ` — median of ${runs} runs` : '';
  say();
  say(`Non-stream (POST /v1/chat/completions, JSON answer; CPU = the measured process's own, per request)${of}`);
  say(scenarioTable(plain, false));
  say();
  say(`Stream (SSE; TTFB = request sent → first body chunk)${of}`);
  say(scenarioTable(stream, true));
  say();
  say(`CPU per request and added latency, non-stream (Δ = relay minus the node:http floor)${of}`);
  say(ratioTable(plainRuns, plan.levels, false));
  say();
  say(`CPU per request and added latency, stream${of}`);
  say(ratioTable(streamRuns, plan.levels, true));
  say();
  say(`Targets${of}`);
  for (const v of targetVerdicts(plainRuns, streamRuns, rss)) say(verdictLine(v));
  say();
  const failedRuns = outcomes.filter((o) => o.bookkeeping.some((c) => !c.pass)).length;
  if (!billing) say('Bookkeeping: not checked (--no-billing)');
  else if (failedRuns === 0) say(`Bookkeeping: exact in every run (${runs}): charges = usage log = requests sent, no reservation left open`);
  else {
    say(`BOOKKEEPING FAILED in ${failedRuns} of ${runs} runs: see the run lines above`);
    process.exitCode = 1;
  }
  say(`done in ${((Date.now() - benchStarted) / 1000).toFixed(1)} s; load average ${load()} at the end`);
}

function printProfile(profileDir: string, fromMicros: number): void {
  const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
  say();
  if (!file) {
    say(`CPU profile: none was written to ${profileDir}`);
    return;
  }
  const summary = summarizeCpuProfile(join(profileDir, file), repoRoot, { fromMicros });
  say(`Relay CPU profile after the warm-up: busy ${(summary.busyMs / 1000).toFixed(1)} s (idle ${(summary.idleMs / 1000).toFixed(1)} s left out) — ${join(profileDir, file)}`);
  const list = (title: string, rows: TimeShare[]) => {
    say(title);
    for (const r of rows) say(`  ${r.pct.toFixed(1).padStart(5)}%  ${r.ms.toFixed(0).padStart(6)} ms  ${r.label}`);
  };
  list('Self time by area', summary.selfByArea.slice(0, 15));
  list('Top functions by self time', summary.selfByFunction);
  list('Project functions by inclusive time (on the stack: their own work plus everything they call)', summary.inclusiveOwn);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
