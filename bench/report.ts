// Turning measurements into the printed report: aggregated cells, tables, ratios and PASS/FAIL lines.
import { percentile, type RunResult } from './load.js';

export type TargetName = 'direct' | 'bare proxy' | 'relay';
export const TARGETS: TargetName[] = ['direct', 'bare proxy', 'relay'];

/** One (scenario, target, concurrency) measurement, summed over its interleaved rounds. */
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
  /** CPU time of the process the client talks to (upstream, bare proxy, relay) per request, µs. */
  serverCpuUs: number;
}

/** `serverCpuUs`: CPU the serving process used during these rounds, µs. */
export function aggregate(target: TargetName, concurrency: number, rounds: RunResult[], serverCpuUs: number): Cell {
  const latencies = rounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const ttfb = rounds.flatMap((r) => r.ttfb).sort((a, b) => a - b);
  const requests = rounds.reduce((s, r) => s + r.count, 0);
  const elapsedMs = rounds.reduce((s, r) => s + r.elapsedMs, 0);
  return {
    target,
    concurrency,
    requests,
    errors: rounds.reduce((s, r) => s + r.errors, 0),
    firstError: rounds.find((r) => r.firstError)?.firstError,
    reqPerSec: (1000 * (requests - rounds.reduce((s, r) => s + r.errors, 0))) / elapsedMs,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    ttfbP50: percentile(ttfb, 50),
    ttfbP99: percentile(ttfb, 99),
    serverCpuUs: serverCpuUs / requests,
  };
}

const f = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : '–');

/** Text columns (the first `leftAligned`) padded right, numbers padded left. */
function table(header: string[], rows: string[][], leftAligned: number): string {
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
    f(c.serverCpuUs, 0),
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

/** Throughput ratios and added latency per concurrency level. */
export function ratioTable(cells: Cell[], levels: number[], stream: boolean): string {
  const pct = (a: number, b: number) => `${f((100 * a) / b, 0)}%`;
  const plus = (a: number, b: number) => `${a - b >= 0 ? '+' : ''}${f(a - b)}`;
  const header = ['clients', 'relay/bare req/s', 'bare/relay CPU per req', 'relay/direct req/s', 'bare/direct req/s', 'p50 Δ vs bare', 'p50 Δ vs direct', ...(stream ? ['TTFB Δ vs bare', 'TTFB Δ vs direct'] : [])];
  const rows = levels.map((c) => {
    const [d, b, r] = [find(cells, 'direct', c), find(cells, 'bare proxy', c), find(cells, 'relay', c)];
    return [
      String(c),
      pct(r.reqPerSec, b.reqPerSec),
      pct(b.serverCpuUs, r.serverCpuUs),
      pct(r.reqPerSec, d.reqPerSec),
      pct(b.reqPerSec, d.reqPerSec),
      plus(r.p50, b.p50),
      plus(r.p50, d.p50),
      ...(stream ? [plus(r.ttfbP50, b.ttfbP50), plus(r.ttfbP50, d.ttfbP50)] : []),
    ];
  });
  return table(header, rows, 0);
}

export interface Verdict {
  label: string;
  pass: boolean;
}

export const verdictLine = (v: Verdict) => `  [${v.pass ? 'PASS' : 'FAIL'}] ${v.label}`;

export function targetVerdicts(plain: Cell[], stream: Cell[], relayRssBytes: number): Verdict[] {
  const r16 = find(plain, 'relay', 16);
  const b16 = find(plain, 'bare proxy', 16);
  const share = r16.reqPerSec / b16.reqPerSec;
  const added = (a: number, b: number) => `${f(a - b, 3)} ms`;
  const [r1, b1, d1] = [find(plain, 'relay', 1), find(plain, 'bare proxy', 1), find(plain, 'direct', 1)];
  const [sr1, sb1, sd1] = [find(stream, 'relay', 1), find(stream, 'bare proxy', 1), find(stream, 'direct', 1)];
  const mb = relayRssBytes / 1024 / 1024;
  const cpuShare = b16.serverCpuUs / r16.serverCpuUs;
  return [
    {
      label: `non-stream, 16 clients: relay serves ${f(100 * share, 1)}% of the bare proxy's req/s (${f(r16.reqPerSec, 0)} vs ${f(b16.reqPerSec, 0)}; target ≥ 70%)`,
      pass: share >= 0.7,
    },
    {
      label: `non-stream, 16 clients, per CPU: relay needs ${f(r16.serverCpuUs, 0)} µs per request, the bare proxy ${f(b16.serverCpuUs, 0)} µs → ${f(100 * cpuShare, 1)}% of its req/s per core (noise-resistant view of the same target)`,
      pass: cpuShare >= 0.7,
    },
    { label: `non-stream, 1 client: relay adds ${added(r1.p50, b1.p50)} to p50 vs the bare proxy (target < 1 ms)`, pass: r1.p50 - b1.p50 < 1 },
    { label: `non-stream, 1 client: relay adds ${added(r1.p50, d1.p50)} to p50 vs direct (target < 1 ms)`, pass: r1.p50 - d1.p50 < 1 },
    { label: `stream, 1 client: relay adds ${added(sr1.ttfbP50, sb1.ttfbP50)} to TTFB p50 vs the bare proxy (target < 1 ms)`, pass: sr1.ttfbP50 - sb1.ttfbP50 < 1 },
    { label: `stream, 1 client: relay adds ${added(sr1.ttfbP50, sd1.ttfbP50)} to TTFB p50 vs direct (target < 1 ms)`, pass: sr1.ttfbP50 - sd1.ttfbP50 < 1 },
    { label: `relay RSS after the run: ${f(mb, 1)} MB (target < 200 MB)`, pass: mb < 200 },
  ];
}
