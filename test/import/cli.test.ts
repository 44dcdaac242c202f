// The command itself (`src/cli/import.ts`, run through tsx like a user would run `npm run import`): exit codes, one-line
// errors without stack traces, a dry run that writes nothing (not even the target file), the root key shown once, and
// refusal / --merge on a second run.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { repoRoot } from '../../bench/child.js';
import { createSourceDatabase, type SourceDatabase } from './sources.js';
import { seedRows } from './seed.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], databaseUrl: string): Promise<Run> {
  // The master key file beside the target database, never the repository's ./data.
  const keyFile = join(dirname(databaseUrl.replace(/^file:/, '')), 'secret.key');
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent', RELAY_SECRET_KEY_FILE: keyFile };
  delete env.RELAY_ADMIN_KEY;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/import.ts', ...args], { cwd: repoRoot, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const errorLine = (run: Run) => run.stderr.split('\n').filter((l) => l.startsWith('import:'));

describe('npm run import', () => {
  let src: SourceDatabase;
  let dir: string;
  let target: string;
  const userCount = () => {
    const db = new Database(target, { readonly: true });
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM "User"').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    src = await createSourceDatabase('sqlite', 'one-api');
    await src.insert(seedRows('one-api', 'http://127.0.0.1:9').rows);
    dir = mkdtempSync(join(tmpdir(), 'relay-import-cli-'));
    target = join(dir, 'data', 'relay.db');
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await src?.drop();
  });

  it.each([
    [['--frm', 'x'], /Unknown option '--frm'/],
    [[], /--from <database URL> is required/],
    [['--from', 'redis://127.0.0.1:6379'], /unsupported database "redis:"/],
    [['--from', '/nowhere/one-api.db'], /the SQLite file \/nowhere\/one-api\.db does not exist/],
    [['--from', 'postgres://postgres@127.0.0.1:1/oneapi'], /cannot open the source database \(postgresql 127\.0\.0\.1:1\/oneapi\)/],
    [['--from', 'root:secret@tcp(127.0.0.1:1)/oneapi'], /cannot open the source database \(mysql 127\.0\.0\.1:1\/oneapi\)/],
  ])('%j: one line, exit code 2, nothing created', { timeout: 30_000 }, async (args, message) => {
    const run = await runCli(args, `file:${target}`);
    expect(run.code, run.stderr).toBe(2);
    expect(errorLine(run)).toHaveLength(1);
    expect(errorLine(run)[0]).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stderr).not.toContain('secret');
    expect(existsSync(target)).toBe(false);
  });

  it('a dry run prints the report and writes nothing, not even the target file', { timeout: 30_000 }, async () => {
    const run = await runCli(['--from', src.url, '--dry-run'], `file:${target}`);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Dry run \(nothing written\): one-api \(sqlite .*\) → relay-station \(sqlite .*, which does not exist yet\)/);
    expect(run.stdout).toMatch(/users\s+7\s+6\s+0\s+1/);
    expect(existsSync(target)).toBe(false);
  });

  it('imports, shows the new root key once, then refuses to import again without --merge', { timeout: 60_000 }, async () => {
    const first = await runCli(['--from', src.url, '--logs'], `file:${target}`);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/users\s+7\s+6\s+0\s+1/);
    expect(first.stdout).toMatch(/root management key — shown only this once[^]*rsm-[A-Za-z0-9]{48}/);
    expect(first.stdout).not.toMatch(/Root login/); // the one-api root's own password was carried over
    expect(userCount()).toBe(6);

    const again = await runCli(['--from', src.url], `file:${target}`);
    expect(again.code).toBe(2);
    expect(errorLine(again)[0]).toMatch(/already imported on .*; use --merge/);

    const before = statSync(target).mtimeMs;
    const dry = await runCli(['--from', src.url, '--merge', '--dry-run'], `file:${target}`);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/users\s+7\s+0\s+6\s+1/);
    expect(statSync(target).mtimeMs).toBe(before);

    const merged = await runCli(['--from', src.url, '--merge'], `file:${target}`);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).not.toMatch(/root management key/);
    expect(userCount()).toBe(6);
  });
});
