// The bench's child processes and the tiny protocol they speak with the parent: one JSON object per line on stdout
// (`{"type": "ready", ...}`, `{"type": "stats", ...}`), one command word per line on stdin. A child exits when its stdin
// closes, so an interrupted bench never leaves servers behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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

/** Starts the compiled `<script>` next to this file (dist/bench/) with plain node. `nodeArgs` go before the script. */
export function startChild(name: string, script: string, env: Record<string, string>, nodeArgs: string[] = []): BenchChild {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const proc: ChildProcess = spawn(process.execPath, [...nodeArgs, path], {
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

/** Parent side: the child's CPU time so far, µs. */
export async function cpuMicros(child: BenchChild): Promise<number> {
  child.send('cpu');
  return Number((await child.next('cpu')).micros);
}
