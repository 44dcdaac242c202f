// Reads a V8 .cpuprofile (node --cpu-prof) and says where the time went: self time per function and per area (a file
// under src/, a package under node_modules, node's internals, GC), and the inclusive time of the project's own functions
// (a function's share of all samples with it on the stack: "settle, including the SQLite it calls"). Idle time is left
// out, so percentages are of the time the process was busy. The relay runs compiled (dist/src/x.js); its files are shown
// by their source names (src/x.ts), without line numbers, since the compiled lines are not quite the source's.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  /** µs on the monotonic clock process.hrtime uses, so a mark taken in another process lines up. */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface TimeShare {
  label: string;
  ms: number;
  /** Of the busy (non-idle) time. */
  pct: number;
}

export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  selfByFunction: TimeShare[];
  selfByArea: TimeShare[];
  /** Project code only (src/, bots/). */
  inclusiveOwn: TimeShare[];
}

function areaOf(url: string, root: string): string {
  if (!url) return '(native / V8)';
  if (url.startsWith('node:')) return 'node: internals';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return `node_modules/${pkg[1]}`;
  const rel = relative(root, path);
  if (rel.startsWith('..')) return path;
  return /^dist\/(src|bots)\//.test(rel) ? rel.replace(/^dist\//, '').replace(/\.js$/, '.ts') : rel;
}

const isOwn = (area: string) => /^(src|bots)\//.test(area) && !area.startsWith('src/generated/');

/** `fromMicros`: leave out samples before this moment (start-up, module loading, the first JIT), µs of process.hrtime. */
export function summarizeCpuProfile(file: string, root: string, opts: { fromMicros?: number; top?: number } = {}): ProfileSummary {
  const top = opts.top ?? 20;
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const labelOf = (node: ProfileNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const area = areaOf(url, root);
    const line = url && !/^(src|bots)\//.test(area) ? `:${lineNumber + 1}` : '';
    return { area, label: `${functionName || '(anonymous)'}  ${area}${line}` };
  };

  const self = new Map<string, number>();
  const byArea = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, ms: number) => m.set(k, (m.get(k) ?? 0) + ms);
  let busy = 0;
  let idle = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    const node = byId.get(id);
    if (!node || at < (opts.fromMicros ?? 0)) return;
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    if (node.callFrame.functionName === '(idle)') {
      idle += ms;
      return;
    }
    busy += ms;
    const { area, label } = labelOf(node);
    add(self, label, ms);
    const name = node.callFrame.functionName;
    add(byArea, name.startsWith('(') && !node.callFrame.url ? name : area, ms); // (garbage collector), (program)
    const onStack = new Set<string>();
    for (let n: ProfileNode | undefined = node; n; n = byId.get(parent.get(n.id) ?? -1)) {
      const l = labelOf(n);
      if (isOwn(l.area)) onStack.add(l.label);
    }
    for (const l of onStack) add(inclusive, l, ms);
  });
  const rank = (m: Map<string, number>): TimeShare[] =>
    [...m.entries()]
      .sort((x, y) => y[1] - x[1])
      .slice(0, top)
      .map(([label, ms]) => ({ label, ms, pct: busy ? (100 * ms) / busy : 0 }));
  return { busyMs: busy, idleMs: idle, selfByFunction: rank(self), selfByArea: rank(byArea), inclusiveOwn: rank(inclusive) };
}
