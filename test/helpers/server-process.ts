// A relay-station process, started from source (tsx, package.json's node flags) exactly as `npm start` runs it, for
// tests about what a killed process leaves behind and who takes over from it.
import { spawn, type ChildProcess } from 'node:child_process';
import { productionNodeFlags, repoRoot } from '../../bench/child.js';
import { TEST_ADMIN_KEY, TEST_SECRET_KEY } from './context.js';

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
}

/** Starts `src/server.ts` on 127.0.0.1 (port 0) with `env` on top of the test keys; resolves once it listens. */
export function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...productionNodeFlags(), '--import', 'tsx', 'src/server.ts'], {
    cwd: repoRoot,
    env: { ...process.env, RELAY_ADMIN_KEY: TEST_ADMIN_KEY, RELAY_SECRET_KEY: TEST_SECRET_KEY, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, output: () => out });
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${out}`)));
  });
}
