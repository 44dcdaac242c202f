// What a freshly started relay has loaded (docs/performance.md, "Memory"): undici's full index (fetch, WebSocket,
// caches, mocks: ~2.5 MB of heap) waits for the first image download, alert webhook or transcription, and ioredis for a
// configured REDIS_URL. Checked in a process of its own, started from source as the server is, since this test
// process loads both for other reasons.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../bench/child.js';
import { TEST_ADMIN_KEY, TEST_SECRET_KEY } from '../helpers/context.js';

const dir = mkdtempSync(join(tmpdir(), 'relay-startup-modules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PROBE = `
import Module from 'node:module';
import pino from 'pino';
import { loadConfig } from './src/config.ts';
import { startRelayStation } from './src/main.ts';
const station = await startRelayStation({ ...loadConfig(), port: 0, host: '127.0.0.1' }, pino({ level: 'warn' }));
const loaded = Object.keys(Module._cache);
console.log(JSON.stringify({
  undiciIndex: loaded.some((f) => /[\\\\/]node_modules[\\\\/]undici[\\\\/]index\\.js$/.test(f)),
  undiciAgent: loaded.some((f) => /[\\\\/]node_modules[\\\\/]undici[\\\\/]lib[\\\\/]dispatcher[\\\\/]agent\\.js$/.test(f)),
  ioredis: loaded.some((f) => /[\\\\/]node_modules[\\\\/]ioredis[\\\\/]/.test(f)),
}));
await station.close();
`;

describe('modules loaded at start', () => {
  it('a started relay has undici\'s Agent but not its full index, and no Redis client without REDIS_URL', async () => {
    const run = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', PROBE], {
      cwd: repoRoot,
      env: {
        ...process.env,
        DATABASE_URL: `file:${join(dir, 'relay.db')}`,
        RELAY_ADMIN_KEY: TEST_ADMIN_KEY,
        RELAY_SECRET_KEY: TEST_SECRET_KEY,
        REDIS_URL: '',
        LOG_LEVEL: 'warn',
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    const line = run.stdout.split('\n').find((l) => l.startsWith('{"undiciIndex"'));
    expect(line, `probe output:\n${run.stdout}\n${run.stderr}`).toBeDefined();
    expect(JSON.parse(line!)).toEqual({ undiciIndex: false, undiciAgent: true, ioredis: false });
  }, 90_000);
});
