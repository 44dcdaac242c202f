// Closed-loop load: `concurrency` clients, each sending its next request as soon as the previous answer has been read
// completely, until `count` requests were sent. Latency is the whole request (send → last byte); for streams, time to
// first byte is send → first body chunk (the first SSE event). Each answer is checked cheaply, so a target that answers
// fast but wrong shows up as errors instead of as a win.
import type { Pool } from 'undici';

export interface Target {
  name: string;
  pool: Pool;
  headers: Record<string, string>;
}

export interface RunResult {
  count: number;
  errors: number;
  firstError: string | undefined;
  elapsedMs: number;
  /** Per successful request, in ms. */
  latencies: number[];
  /** Streams only: per successful request, in ms. */
  ttfb: number[];
}

const PATH = '/v1/chat/completions';
const NS_PER_MS = 1_000_000;

export async function runClosedLoop(target: Target, body: (n: number) => string, opts: { count: number; concurrency: number; stream: boolean }): Promise<RunResult> {
  const result: RunResult = { count: opts.count, errors: 0, firstError: undefined, elapsedMs: 0, latencies: [], ttfb: [] };
  const fail = (why: string) => {
    result.errors++;
    result.firstError ??= why;
  };
  let issued = 0;

  const client = async () => {
    while (issued < opts.count) {
      const n = issued++;
      const started = process.hrtime.bigint();
      try {
        const res = await target.pool.request({ method: 'POST', path: PATH, headers: target.headers, body: body(n) });
        if (opts.stream) {
          let first: bigint | undefined;
          let tail = '';
          for await (const chunk of res.body) {
            first ??= process.hrtime.bigint();
            tail = (tail + (chunk as Buffer).toString('utf8')).slice(-64);
          }
          const done = process.hrtime.bigint();
          if (res.statusCode !== 200 || !tail.endsWith('data: [DONE]\n\n')) fail(`${res.statusCode}: stream did not end with [DONE] (…${JSON.stringify(tail)})`);
          else {
            result.latencies.push(Number(done - started) / NS_PER_MS);
            result.ttfb.push(Number((first ?? done) - started) / NS_PER_MS);
          }
        } else {
          const text = await res.body.text();
          const done = process.hrtime.bigint();
          if (res.statusCode !== 200 || !text.includes('"choices"')) {
            const framing = `content-length ${String(res.headers['content-length'])}, transfer-encoding ${String(res.headers['transfer-encoding'])}`;
            fail(`${res.statusCode} (${framing}): ${JSON.stringify(text.slice(0, 200))}`);
          }
          else result.latencies.push(Number(done - started) / NS_PER_MS);
        }
      } catch (err) {
        fail((err as Error).message);
      }
    }
  };

  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: opts.concurrency }, client));
  result.elapsedMs = Number(process.hrtime.bigint() - started) / NS_PER_MS;
  return result;
}

/** Nearest-rank percentile of an ascending array (NaN when empty). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}
