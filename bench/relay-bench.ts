// `npm run bench`: the relay's cost, measured against a direct call and a bare pass-through proxy in the same run.
//
// Three child processes (fake upstream, bare proxy, relay on a temp SQLite file); the load generator runs here. The
// relay runs compiled (npm run bench builds dist/ first) with the node flags of npm start, started by the same
// startRelayStation() as production. Non-stream and stream chat completions at 1, 16 and 64 closed-loop clients (see
// measure.ts for the plan). Prints tables, ratios, PASS/FAIL against the targets, the relay's RSS, and a check that
// every relay request was settled and logged exactly once. Writes nothing into the repository but dist/. Exit code 0
// even when a target fails: it is a measurement. The machine's noise moves single runs by several points: read the
// median of a few.
//
//   npm run bench                  full run (~30 s on 2 cores)
//   npm run bench -- --quick       a quarter of the requests
//   npm run bench -- --profile     also CPU-profile the relay child and print where it spends its time
//   npm run bench -- --no-billing  the relay with its ledger stubbed out (no reservation, no settle, no usage log), to
//                                  show what billing costs; a measurement aid only, not a product setting
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { productionNodeFlags, repoRoot, startChild, type BenchChild } from './child.js';
import type { Target } from './load.js';
import { measure, type Plan } from './measure.js';
import { ratioTable, scenarioTable, targetVerdicts, verdictLine, type TargetName } from './report.js';
import { verifyUsage } from './verify-usage.js';
import { summarizeCpuProfile, type TimeShare } from './cpu-profile.js';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const profile = args.has('--profile');
const billing = !args.has('--no-billing');
const scale = quick ? 0.25 : 1;

const SYSTEM = 'You are a concise assistant for a travel agency. Answer in plain English.';
const USER =
  'I am flying from Lisbon to Tokyo in late October with a layover in Dubai. Which documents do I need for the layover, ' +
  'and is four hours enough time to change terminals there?';

let questions = 0;
const plan: Plan = {
  levels: [1, 16, 64],
  rounds: 3,
  globalWarmup: Math.round(1000 * scale),
  cellWarmup: Math.round(100 * scale),
  measured: (concurrency) => Math.round((concurrency === 1 ? 600 : 2400) * scale),
  // Every request asks a different question (a fixed system prompt, as real traffic has): nothing the relay caches by
  // content (token counts) can make the bench faster than real traffic would be.
  body: (stream) =>
    JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: `${USER} (Question ${++questions}.)` },
      ],
      max_tokens: 100,
      // Streams ask for usage on every target, so the upstream does the same work whoever calls it (the relay asks anyway).
      ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    }),
};

const say = (text = '') => process.stdout.write(`${text}\n`);
const mb = (bytes: unknown) => `${(Number(bytes) / 1024 / 1024).toFixed(1)} MB`;
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

async function main(): Promise<void> {
  const benchStarted = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'relay-bench-'));
  const profileDir = profile ? mkdtempSync(join(tmpdir(), 'relay-bench-prof-')) : undefined;
  const children: BenchChild[] = [];
  const pools: Pool[] = [];
  try {
    const upstream = startChild('fake-upstream', './fake-upstream.js', { FAKE_UPSTREAM_PORT: '0' });
    children.push(upstream);
    const upstreamUrl = String((await upstream.next('ready')).url);
    const bare = startChild('bare-proxy', './bare-proxy.js', { UPSTREAM_URL: upstreamUrl });
    const relay = startChild(
      'relay',
      './relay-server.js',
      { UPSTREAM_URL: upstreamUrl, DATABASE_URL: `file:${join(dir, 'relay.db')}`, RELAY_ADMIN_KEY: 'rsm-bench-admin-key-0123456789', RELAY_SECRET_KEY_FILE: join(dir, 'secret.key'), LOG_LEVEL: 'info', ...(billing ? {} : { BENCH_NO_BILLING: '1' }) },
      [...productionNodeFlags(), '--expose-gc', ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
    );
    children.push(bare, relay);
    const [bareReady, relayReady] = await Promise.all([bare.next('ready'), relay.next('ready', 60_000)]);

    const target = (name: TargetName, url: string, key: string): Target => {
      const pool = new Pool(url, { connections: Math.max(...plan.levels), pipelining: 1, keepAliveTimeout: 30_000 });
      pools.push(pool);
      return { name, pool, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` } };
    };
    const targets: Record<TargetName, Target> = {
      direct: target('direct', upstreamUrl, 'sk-upstream'),
      'bare proxy': target('bare proxy', String(bareReady.url), 'sk-upstream'),
      relay: target('relay', String(relayReady.url), String(relayReady.key)),
    };

    say(`relay-station bench — ${cpus().length} CPUs, load average ${load()} at start${quick ? ' (quick)' : ''}${profile ? ' (relay CPU-profiled: its figures are slower than usual)' : ''}`);
    say(`relay started as npm start starts it: node ${productionNodeFlags().join(' ')} (compiled, from dist/)`);
    say(`warm-up ${plan.globalWarmup} requests per target and mode, ${plan.cellWarmup} more per cell, then ${plan.measured(1)} (1 client) / ${plan.measured(16)} (16, 64 clients) measured, in ${plan.rounds} interleaved rounds`);
    const m = await measure(targets, { direct: upstream, 'bare proxy': bare, relay }, plan);

    relay.send('stats');
    bare.send('stats');
    const [rs, bs] = await Promise.all([relay.next('stats'), bare.next('stats')]);

    say();
    say('Non-stream (POST /v1/chat/completions, JSON answer; CPU = the serving process: upstream, bare proxy or relay)');
    say(scenarioTable(m.plain, false));
    say();
    say('Stream (SSE; TTFB = request sent → first body chunk)');
    say(scenarioTable(m.stream, true));
    say();
    say('Ratios, non-stream (Δ = relay minus the other, ms)');
    say(ratioTable(m.plain, plan.levels, false));
    say();
    say('Ratios, stream');
    say(ratioTable(m.stream, plan.levels, true));
    say();
    say('Targets');
    for (const v of targetVerdicts(m.plain, m.stream, Number(rs.rss))) say(verdictLine(v));
    const afterGc = rs.afterGc as { rss: number; heapUsed: number } | undefined;
    say(
      `  (relay RSS when ready ${mb(relayReady.rss)}; after the run heap used ${mb(rs.heapUsed)} of ${mb(rs.heapTotal)}, external ${mb(rs.external)}` +
        `${afterGc ? `; after a forced full GC: RSS ${mb(afterGc.rss)}, heap used ${mb(afterGc.heapUsed)}` : ''}; bare proxy RSS ${mb(bs.rss)})`,
    );

    const code = await relay.stop(15_000);
    say();
    say(`Relay bookkeeping (read from its SQLite file after a graceful shutdown, exit code ${code})`);
    if (billing) {
      const usage = verifyUsage(join(dir, 'relay.db'), {
        userId: Number(relayReady.userId),
        tokenId: Number(relayReady.tokenId),
        initialQuota: Number(relayReady.initialQuota),
        ...m.relay,
      });
      for (const c of usage.checks) say(verdictLine(c));
      say(`  charged ${usage.charged} quota units over ${usage.logs} requests`);
    } else {
      say('  skipped: billing was off (--no-billing)');
    }

    if (profileDir) printProfile(profileDir, m.warmedAtMicros);
    say();
    say(`done in ${((Date.now() - benchStarted) / 1000).toFixed(1)} s; load average ${load()} at the end`);
  } finally {
    await Promise.all(pools.map((p) => p.close()));
    await Promise.all(children.map((c) => c.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
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
