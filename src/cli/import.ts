// `npm run import -- --from <database URL> [--dry-run] [--logs] [--merge] [--round-prices]`
// Moves a one-api or new-api installation into the relay-station database DATABASE_URL points at (migrated first).
// Exit codes: 0 done (or dry run), 2 nothing written (bad arguments, unreachable database, refused target, problems in
// the source), 1 stopped while writing (run the same command again to resume). See docs/migrating.md.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, ConfigError, type Config } from '../config.js';
import { generateMasterKey, SecretBox } from '../auth/secret-box.js';
import { prepareChannelKeys } from '../db/channel-keys-start.js';
import { openDb, sqlitePath, type Db } from '../db/client.js';
import { migrate } from '../db/migrate.js';
import { bootstrap, type BootstrapResult } from '../bootstrap.js';
import { createLocalBus } from '../cache/bus.js';
import { OptionsStore } from '../services/options.js';
import { importFrom, ImportUsageError, type ImportFlags, type Progress } from '../import/index.js';
import { oneLine, openSource, parseSourceUrl, type SourceDb } from '../import/source.js';

const USAGE = `usage: npm run import -- --from <database URL> [--dry-run] [--logs] [--merge] [--round-prices]
  --from          one-api/new-api database: mysql://user:pass@host:3306/db, user:pass@tcp(host:3306)/db,
                  postgres://user:pass@host:5432/db, or the SQLite file (one-api.db)
  --dry-run       print the report, write nothing
  --logs          also import the usage logs
  --merge         add to a relay-station database that already has users
  --round-prices  round prices with more than 9 decimals up instead of leaving them out
The target is DATABASE_URL (default file:./data/relay.db). See docs/migrating.md.`;

function fail(message: string, code: number): never {
  process.stderr.write(`import: ${message}\n`);
  process.exit(code);
}

function parse(): { from: string; flags: ImportFlags } {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        from: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        logs: { type: 'boolean', default: false },
        merge: { type: 'boolean', default: false },
        'round-prices': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    fail(`${oneLine(err)} (--help for usage)`, 2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (!values.from) fail('--from <database URL> is required (--help for usage)', 2);
  return {
    from: values.from,
    flags: { dryRun: values['dry-run'], logs: values.logs, merge: values.merge, roundPrices: values['round-prices'] },
  };
}

/** Progress on stderr: one updating line on a terminal, a line every few seconds otherwise. */
function progressPrinter(): Progress & { end(): void } {
  const tty = process.stderr.isTTY;
  let last = 0;
  let open = false;
  const print: Progress & { end(): void } = Object.assign(
    (stage: string, done: number, total: number) => {
      const now = Date.now();
      if (!tty && done < total && now - last < 3000) return;
      last = now;
      const line = `${stage}: ${done}/${total}`;
      if (tty) {
        process.stderr.write(`\r${line.padEnd(60)}`);
        open = true;
      } else process.stderr.write(`${line}\n`);
    },
    {
      end() {
        if (open) process.stderr.write('\n');
        open = false;
      },
    },
  );
  return print;
}

async function hasSchema(db: Db): Promise<boolean> {
  if (db.kind === 'sqlite') return db.sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'User'").get() !== undefined;
  const res = await db.pool.query(`SELECT to_regclass('"User"') IS NOT NULL AS present`);
  return res.rows[0]?.present === true;
}

/** What the master-key start-up has to say (a key file created, a loose file mode) goes to stderr, one line each. */
const say = (_obj: object, msg: string) => void process.stderr.write(`import: ${msg}\n`);
const quietLog = { info: say, warn: say, error: say };

/**
 * The database to plan against. A real run migrates the target and creates its root, as a first start would. A dry
 * run writes nothing: a target that does not exist yet is planned as a fresh one, in a throwaway SQLite file.
 */
async function openTarget(config: Config, dryRun: boolean) {
  const { databaseUrl, adminKey } = config;
  let scratch: string | undefined;
  let url = databaseUrl;
  if (dryRun && url.startsWith('file:') && !existsSync(sqlitePath(url))) {
    scratch = mkdtempSync(join(tmpdir(), 'relay-import-'));
    url = `file:${join(scratch, 'plan.db')}`;
  }
  let db = await openDb(url);
  if (dryRun && !scratch && !(await hasSchema(db))) {
    await db.close();
    scratch = mkdtempSync(join(tmpdir(), 'relay-import-'));
    db = await openDb(`file:${join(scratch, 'plan.db')}`);
  }
  let boot: BootstrapResult = {};
  if (!dryRun || scratch) {
    await migrate(db);
    boot = await bootstrap(db, adminKey);
  }
  // Channel keys are sealed with the master key the relay will run with (a scratch plan needs none that lasts).
  const secrets = scratch
    ? new SecretBox(generateMasterKey(), 'a throwaway key for the dry run')
    : await prepareChannelKeys(config, db, quietLog);
  return {
    db,
    secrets,
    boot,
    fresh: scratch !== undefined,
    async close() {
      await db.close();
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  const { from, flags } = parse();
  let config;
  let source: SourceDb;
  try {
    config = loadConfig();
    // The source first: a wrong URL must not leave a freshly created target behind.
    source = await openSource(parseSourceUrl(from));
  } catch (err) {
    if (err instanceof ConfigError || err instanceof ImportUsageError) fail(err.message, 2);
    throw err;
  }
  const targetLabel = config.databaseUrl.startsWith('file:') ? `sqlite ${sqlitePath(config.databaseUrl)}` : 'postgresql';
  let target;
  try {
    target = await openTarget(config, flags.dryRun);
  } catch (err) {
    await source.close();
    fail(`cannot open the target database (${targetLabel}): ${oneLine(err)}`, 2);
  }
  const bus = createLocalBus();
  const options = new OptionsStore(target.db, bus);
  const progress = progressPrinter();
  let code = 0;
  let rootPasswordCarried = false;
  let rootName = 'root';
  try {
    await options.load();
    const result = await importFrom(source, { db: target.db, bus, options, secrets: target.secrets }, flags, progress);
    progress.end();
    const fresh = target.fresh ? ', which does not exist yet' : '';
    const header = `${flags.dryRun ? 'Dry run (nothing written): ' : ''}${result.sourceLabel} → relay-station (${targetLabel}${fresh})`;
    process.stdout.write(`${result.report.format(header, flags.dryRun || !result.written)}\n`);
    if (result.report.problems.length > 0) code = 2;
    const sourceRoot = result.written ? result.plan.users.find((u) => u.intoRoot) : undefined;
    rootPasswordCarried = sourceRoot?.passwordHash != null;
    rootName = sourceRoot?.username ?? rootName;
  } catch (err) {
    progress.end();
    if (err instanceof ImportUsageError) {
      process.stderr.write(`import: ${err.message}\n`);
      code = 2;
    } else {
      const next = flags.dryRun ? '' : 'What was written stays; run the same command again to continue.\n';
      process.stderr.write(`import: stopped: ${oneLine(err)}\n${next}`);
      code = 1;
    }
  } finally {
    await source.close();
    await bus.close();
    await target.close();
  }
  // Created by this run (the target had never been started): shown once, whatever happened after.
  if (!target.fresh && target.boot.createdRootKey) {
    process.stdout.write(
      `\nrelay-station's root management key — shown only this once, store it now:\n\n  ${target.boot.createdRootKey}\n` +
        (rootPasswordCarried || !target.boot.createdRootPassword ? '' : `\nRoot login: username "${rootName}", password "${target.boot.createdRootPassword}"\n`),
    );
  }
  process.exit(code);
}

await main();
