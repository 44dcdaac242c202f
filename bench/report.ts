// Turning measurements into the printed report: cells (one per scenario, target and client count), the median over
// runs, tables, ratios and PASS/FAIL lines against issue 18's targets.
//
// Ratios and added latencies compare the relay with a floor measured in the same run (interleaved rounds). Over
// several runs they are the median of each run's own ratio or difference, not one median divided by another: the
// machine's speed drifts between runs (the floor has measured 90 µs in one run and 180 µs in the next), and a ratio
// of medians taken from different runs would mix them.
import { percentile, type RunResult } from './load.js';

export type TargetName = 'node:http floor' | 'undici floor' | 'relay';
export const TARGETS: TargetName[] = ['node:http floor', 'undici floor', 'relay'];

/** One (scenario, target, concurrency) measurement, summed over its interleaved rounds (or the median of runs). */
export interface Cell {
  target: TargetName;
  concurrency: number;
  requests: number;
  errors: number;
  firstError: string | undefined;
  reqPerSec: number;
  p50: number;
  p99: number;
  ttfbP50: number;
  ttfbP99: number;
  /** CPU time of the measured process itself (relay or floor; /proc/<pid>/stat) per request, µs. */
  cpuUs: number;
}

/** `cpuUs`: CPU the measured process used during these rounds, µs. */
export function aggregate(target: TargetName, concurrency: number, rounds: RunResult[], cpuUs: number): Cell {
  const latencies = rounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const ttfb = rounds.flatMap((r) => r.ttfb).sort((a, b) => a - b);
  const requests = rounds.reduce((s, r) => s + r.count, 0);
  const errors = rounds.reduce((s, r) => s + r.errors, 0);
  const elapsedMs = rounds.reduce((s, r) => s + r.elapsedMs, 0);
  return {
    target,
    concurrency,
    requests,
    errors,
    firstError: rounds.find((r) => r.firstError)?.firstError,
    reqPerSec: (1000 * (requests - errors)) / elapsedMs,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    ttfbP50: percentile(ttfb, 50),
    ttfbP99: percentile(ttfb, 99),
    cpuUs: cpuUs / requests,
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Each figure of each cell: the median over the runs (requests and errors: summed). */
export function medianCells(runs: Cell[][]): Cell[] {
  return runs[0]!.map((first) => {
    const same = runs.map((cells) => find(cells, first.target, first.concurrency));
    const m = (pick: (c: Cell) => number) => median(same.map(pick));
    return {
      target: first.target,
      concurrency: first.concurrency,
      requests: same.reduce((s, c) => s + c.requests, 0),
      errors: same.reduce((s, c) => s + c.errors, 0),
      firstError: same.find((c) => c.firstError)?.firstError,
      reqPerSec: m((c) => c.reqPerSec),
      p50: m((c) => c.p50),
      p99: m((c) => c.p99),
      ttfbP50: m((c) => c.ttfbP50),
      ttfbP99: m((c) => c.ttfbP99),
      cpuUs: m((c) => c.cpuUs),
    };
  });
}

const f = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : '–');

/** Text columns (the first `leftAligned`) padded right, numbers padded left. */
export function table(header: string[], rows: string[][], leftAligned: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cols: string[]) => cols.map((c, i) => (i < leftAligned ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function scenarioTable(cells: Cell[], stream: boolean): string {
  const header = ['target', 'clients', 'requests', 'req/s', 'p50 ms', 'p99 ms', ...(stream ? ['TTFB p50', 'TTFB p99'] : []), 'CPU µs/req', 'errors'];
  const rows = cells.map((c) => [
    c.target,
    String(c.concurrency),
    String(c.requests),
    f(c.reqPerSec, 0),
    f(c.p50),
    f(c.p99),
    ...(stream ? [f(c.ttfbP50), f(c.ttfbP99)] : []),
    f(c.cpuUs, 0),
    String(c.errors),
  ]);
  const errors = cells.filter((c) => c.firstError).map((c) => `  ${c.target} @${c.concurrency}: first error: ${c.firstError}`);
  return [table(header, rows, 1), ...errors].join('\n');
}

export function find(cells: Cell[], target: TargetName, concurrency: number): Cell {
  const cell = cells.find((c) => c.target === target && c.concurrency === concurrency);
  if (!cell) throw new Error(`no measurement for ${target} at ${concurrency}`);
  return cell;
}

const times = (x: number) => `${f(x)}×`;
const plus = (x: number) => `${x >= 0 ? '+' : ''}${f(x)}`;

/** The median over runs of the relay's CPU per request as a multiple of `floor`'s, at `concurrency` clients. */
export function medianRatio(runs: Cell[][], floor: TargetName, concurrency: number): number {
  return median(runs.map((cells) => find(cells, 'relay', concurrency).cpuUs / find(cells, floor, concurrency).cpuUs));
}

/** The median over runs of what the relay adds to a latency figure, against the node:http floor of the same run. */
export function medianAdded(runs: Cell[][], concurrency: number, pick: (c: Cell) => number): number {
  return median(runs.map((cells) => pick(find(cells, 'relay', concurrency)) - pick(find(cells, 'node:http floor', concurrency))));
}

/**
 * Per client count: each process's own CPU per request (medians over runs), the relay's multiple of each floor and the
 * latency it adds (medians of each run's own).
 */
export function ratioTable(runs: Cell[][], levels: number[], stream: boolean): string {
  const cells = medianCells(runs);
  const header = [
    'clients',
    'relay µs',
    'node:http µs',
    'undici µs',
    'relay / node:http',
    'relay / undici',
    'p50 Δ vs node:http ms',
    ...(stream ? ['TTFB Δ vs node:http ms'] : []),
  ];
  const rows = levels.map((c) => {
    const [n, u, r] = [find(cells, 'node:http floor', c), find(cells, 'undici floor', c), find(cells, 'relay', c)];
    return [
      String(c),
      f(r.cpuUs, 0),
      f(n.cpuUs, 0),
      f(u.cpuUs, 0),
      times(medianRatio(runs, 'node:http floor', c)),
      times(medianRatio(runs, 'undici floor', c)),
      plus(medianAdded(runs, c, (x) => x.p50)),
      ...(stream ? [plus(medianAdded(runs, c, (x) => x.ttfbP50))] : []),
    ];
  });
  return table(header, rows, 0);
}

export interface Verdict {
  label: string;
  pass: boolean;
}

export const verdictLine = (v: Verdict) => `  [${v.pass ? 'PASS' : 'FAIL'}] ${v.label}`;

/** Issue 18's targets, from each run's cells (`plainRuns[i]`, `streamRuns[i]`: run i). */
export function targetVerdicts(plainRuns: Cell[][], streamRuns: Cell[][], relayRssBytes: number): Verdict[] {
  const [plain, stream] = [medianCells(plainRuns), medianCells(streamRuns)];
  const [plainRatio, streamRatio] = [medianRatio(plainRuns, 'node:http floor', 16), medianRatio(streamRuns, 'node:http floor', 16)];
  const p50 = medianAdded(plainRuns, 1, (c) => c.p50);
  const streamP50 = medianAdded(streamRuns, 1, (c) => c.p50);
  const ttfb = medianAdded(streamRuns, 1, (c) => c.ttfbP50);
  const mb = relayRssBytes / 1024 / 1024;
  const cpu = (cells: Cell[], t: TargetName) => f(find(cells, t, 16).cpuUs, 0);
  return [
    {
      label: `non-stream, 16 clients: relay CPU ${cpu(plain, 'relay')} µs/request, ${f(plainRatio)}× the node:http floor's (${cpu(plain, 'node:http floor')} µs) (target ≤ 1.8×)`,
      pass: plainRatio <= 1.8,
    },
    {
      label: `stream, 16 clients: relay CPU ${cpu(stream, 'relay')} µs/request, ${f(streamRatio)}× the node:http floor's (${cpu(stream, 'node:http floor')} µs) (target ≤ 2×)`,
      pass: streamRatio <= 2,
    },
    { label: `non-stream, 1 client: relay adds ${f(p50, 3)} ms to p50 vs the node:http floor (target ≤ 0.5 ms)`, pass: p50 <= 0.5 },
    { label: `stream, 1 client: relay adds ${f(streamP50, 3)} ms to p50 vs the node:http floor (target ≤ 0.5 ms)`, pass: streamP50 <= 0.5 },
    { label: `stream, 1 client: relay adds ${f(ttfb, 3)} ms to TTFB p50 vs the node:http floor (target ≤ 0.5 ms)`, pass: ttfb <= 0.5 },
    { label: `relay RSS after the load: ${f(mb, 1)} MB (target ≤ 150 MB)`, pass: mb <= 150 },
  ];
}
