// The measurement plan: a global warm-up, then for each scenario (non-stream, stream) and concurrency level a short
// per-cell warm-up and the measured requests in rounds whose target order rotates, so noise from the (shared) machine
// lands on all three targets alike. Around every measured run the measured process's CPU time is read from the OS.
import type { BenchChild } from './child.js';
import { cpuMicros } from './child.js';
import { runClosedLoop, type RunResult, type Target } from './load.js';
import { aggregate, TARGETS, type Cell, type TargetName } from './report.js';

export interface Plan {
  levels: number[];
  rounds: number;
  /** Per target and mode, at 16 clients, before anything is measured: gets every process's JIT past its cold start. */
  globalWarmup: number;
  /** Per target before each cell: opens that many connections, settles the pools. */
  cellWarmup: number;
  /** Measured requests per (scenario, target, concurrency), split over the rounds. */
  measured(concurrency: number): number;
  /** The request body for the n-th request of a run. */
  body(stream: boolean, n: number): string;
}

export interface Measurements {
  plain: Cell[];
  stream: Cell[];
  /** What the relay was sent, for the bookkeeping check (warm-ups included). */
  relay: { sent: number; streamSent: number; ok: number };
  /** process.hrtime µs when the warm-up ended (the CPU profile is read from here on). */
  warmedAtMicros: number;
}

const progress = (text: string) => process.stderr.write(text);

export async function measure(
  targets: Record<TargetName, Target>,
  /** The process each target's clients talk to (the one measured). */
  servers: Record<TargetName, BenchChild>,
  plan: Plan,
): Promise<Measurements> {
  const out: Measurements = { plain: [], stream: [], relay: { sent: 0, streamSent: 0, ok: 0 }, warmedAtMicros: 0 };
  const run = async (name: TargetName, stream: boolean, count: number, concurrency: number): Promise<RunResult> => {
    const r = await runClosedLoop(targets[name], (n) => plan.body(stream, n), { count, concurrency, stream });
    if (name === 'relay') {
      out.relay.sent += r.count;
      if (stream) out.relay.streamSent += r.count;
      out.relay.ok += r.count - r.errors;
    }
    return r;
  };

  progress('warm-up   ');
  for (const stream of [false, true]) {
    for (const name of TARGETS) {
      await run(name, stream, plan.globalWarmup, 16);
      progress('.');
    }
  }
  progress('\n');
  out.warmedAtMicros = Number(process.hrtime.bigint() / 1000n);

  for (const stream of [false, true]) {
    progress(stream ? 'stream    ' : 'non-stream');
    for (const concurrency of plan.levels) {
      progress(` | ${concurrency}:`);
      const rounds: Record<TargetName, RunResult[]> = { 'node:http floor': [], 'undici floor': [], relay: [] };
      const cpu: Record<TargetName, number> = { 'node:http floor': 0, 'undici floor': 0, relay: 0 };
      for (const name of TARGETS) await run(name, stream, plan.cellWarmup, concurrency);
      const perRound = Math.round(plan.measured(concurrency) / plan.rounds);
      for (let round = 0; round < plan.rounds; round++) {
        const order = TARGETS.map((_, i) => TARGETS[(i + round) % TARGETS.length]!);
        for (const name of order) {
          const before = await cpuMicros(servers[name]);
          rounds[name].push(await run(name, stream, perRound, concurrency));
          cpu[name] += (await cpuMicros(servers[name])) - before;
        }
        progress('.');
      }
      for (const name of TARGETS) (stream ? out.stream : out.plain).push(aggregate(name, concurrency, rounds[name], cpu[name]));
    }
    progress('\n');
  }
  return out;
}
