// The bench's child processes and the tiny protocol they speak with the parent: one JSON object per line on stdout
// (`{"type": "ready", ...}`, `{"type": "stats", ...}`), one command word per line on stdin. A child exits when its stdin
// closes, so an interrupted bench never leaves servers behind.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface ChildMessage {
  type: string;
  [field: string]: unknown;
}

export interface BenchChild {
  readonly name: string;
  readonly pid: number;
  /** The next message of this type (messages are queued until asked for). */
  next(type: string, timeoutMs?: number): Promise<ChildMessage>;
  send(command: string): void;
  /** Closes stdin (the child shuts down gracefully) and waits for the exit; kills it if it does not go in time. */
  stop(timeoutMs?: number): Promise<number | null>;
}

/** The repository root (the nearest folder up with package.json): the bench runs compiled, from dist/bench/. */
export const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

function findRepoRoot(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new Error(`no package.json above ${from}`);
}

/**
 * The node flags `npm start` runs the service with (package.json's start script: `… node <flags> dist/src/server.js`),
 * so that the bench measures the relay exactly as it runs in production.
 */
export function productionNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const match = /\bnode((?:\s+--[\w-]+(?:=\S+)?)*)\s+dist\/src\/server\.js/.exec(pkg.scripts.start);
  if (!match) throw new Error(`package.json's start script does not run "node [flags] dist/src/server.js": ${pkg.scripts.start}`);
  return match[1]!.trim().split(/\s+/).filter(Boolean);
}

/**
 * Core pinning: the process measured gets a core of its own, the load generator and the fake upstream share the other,
 * so the measured process never waits for (or is charged for) them. Needs 2+ CPUs and `taskset` (util-linux); without
 * them nothing is pinned and the report says so.
 */
export const pinning: { available: boolean; loadCore: number; measuredCore: number } = (() => {
  const available = process.platform === 'linux' && cpus().length >= 2 && hasTaskset();
  return { available, loadCore: 0, measuredCore: 1 };
})();

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Pins this process (all its threads, and the threads it starts later) to `core`. */
export function pinSelf(core: number): void {
  if (pinning.available) execFileSync('taskset', ['-a', '-cp', String(core), String(process.pid)], { stdio: 'ignore' });
}

/**
 * Starts the compiled `<script>` next to this file (dist/bench/) with plain node. `nodeArgs` go before the script.
 * `core`: run it on that core only (`taskset -c`, which execs node: the pid is node's own).
 */
export function startChild(name: string, script: string, env: Record<string, string>, nodeArgs: string[] = [], core?: number): BenchChild {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const argv = [...nodeArgs, path];
  const [command, args] = core !== undefined && pinning.available ? ['taskset', ['-c', String(core), process.execPath, ...argv]] : [process.execPath, argv];
  const proc: ChildProcess = spawn(command, args as string[], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const queue: ChildMessage[] = [];
  const waiters: Array<{ type: string; resolve: (m: ChildMessage) => void }> = [];
  let exited: number | null | undefined;
  const exitWaiters: Array<(code: number | null) => void> = [];
  let stderrTail = '';

  createInterface({ input: proc.stdout! }).on('line', (line) => {
    let msg: ChildMessage;
    try {
      msg = JSON.parse(line) as ChildMessage;
    } catch {
      process.stderr.write(`[${name}] ${line}\n`); // stray output (a library printing): show it, it is not protocol
      return;
    }
    const i = waiters.findIndex((w) => w.type === msg.type);
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(msg);
    else queue.push(msg);
  });
  proc.stderr!.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-4000);
    process.stderr.write(`[${name}] ${chunk.toString('utf8')}`);
  });
  proc.stdin!.on('error', () => {}); // EPIPE when the child died first: the exit handler reports it
  proc.on('exit', (code) => {
    exited = code;
    for (const w of exitWaiters.splice(0)) w(code);
  });

  return {
    name,
    pid: proc.pid ?? -1,
    next(type, timeoutMs = 30_000) {
      const i = queue.findIndex((m) => m.type === type);
      if (i >= 0) return Promise.resolve(queue.splice(i, 1)[0]!);
      if (exited !== undefined) return Promise.reject(new Error(`${name} exited (code ${exited}) before sending "${type}"\n${stderrTail}`));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name} sent no "${type}" within ${timeoutMs} ms\n${stderrTail}`)), timeoutMs);
        const waiter = {
          type,
          resolve: (m: ChildMessage) => {
            clearTimeout(timer);
            resolve(m);
          },
        };
        waiters.push(waiter);
        exitWaiters.push((code) => {
          const j = waiters.indexOf(waiter);
          if (j < 0) return;
          waiters.splice(j, 1);
          clearTimeout(timer);
          reject(new Error(`${name} exited (code ${code}) before sending "${type}"\n${stderrTail}`));
        });
      });
    },
    send(command) {
      proc.stdin!.write(`${command}\n`);
    },
    stop(timeoutMs = 10_000) {
      if (exited !== undefined) return Promise.resolve(exited);
      return new Promise((resolve) => {
        const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
        exitWaiters.push((code) => {
          clearTimeout(timer);
          resolve(code);
        });
        proc.stdin!.end();
      });
    },
  };
}

/** Child side: print one protocol message. */
export function report(msg: ChildMessage): void {
  process.stdout.write(`${JSON.stringify(msg)}\n`);
}

/**
 * Child side: call `onCommand` for each stdin line; `onEnd` when the parent closes stdin (or dies). Every child answers
 * "cpu" with the CPU time it has used so far (µs, user + system): CPU per request is what machine noise distorts least.
 */
export function listenForCommands(onCommand: (command: string) => void, onEnd: () => void): void {
  createInterface({ input: process.stdin })
    .on('line', (line) => {
      const command = line.trim();
      if (command === 'cpu') {
        const { user, system } = process.cpuUsage();
        report({ type: 'cpu', micros: user + system });
      } else onCommand(command);
    })
    .on('close', onEnd);
}

/** Clock ticks per second of /proc's CPU times (USER_HZ; 100 on every common Linux). */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * Parent side: the child's CPU time so far, µs, as the OS accounts it: utime + stime of /proc/<pid>/stat (every thread
 * of the process: GC helpers and libuv's pool included), read from outside so that asking costs the child nothing.
 * The resolution is one clock tick (10 ms): measure over enough requests that a tick is noise. Elsewhere than Linux,
 * the child is asked (process.cpuUsage()).
 */
export async function cpuMicros(child: BenchChild): Promise<number> {
  if (process.platform === 'linux') {
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    // Fields after the command name (which is in parentheses and may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1_000_000) / CLOCK_TICKS;
  }
  child.send('cpu');
  return Number((await child.next('cpu')).micros);
}
