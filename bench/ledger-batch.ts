// `npm run bench:ledger`: what the SQLite ledger's settle costs per call, by the size of the group commit.
//
// The real ledger (createSqliteLedger) on a migrated temporary SQLite file, the relay's own usage-log row: reserve then
// settle `batch` calls together, so that one transaction commits them all, as under load. Prints this process's CPU
// (user + system, from process.cpuUsage) per settled call for each batch size. What it shows: a commit costs about as
// much as four rows, which is why settles wait up to GROUP_COMMIT_WAIT_MS for each other (src/billing/ledger-sqlite.ts).
// Pin it for steadier figures: `taskset -c 1 node dist/bench/ledger-batch.js`. Writes only under the OS temp directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { createSqliteLedger } from '../src/billing/ledger-sqlite.js';
import type { UsageLogEntry } from '../src/billing/ledger.js';
import { newRequestId } from '../src/relay/request-id.js';

const CALLS_PER_SIZE = 12_000;
const SIZES = [1, 6, 16, 64];

const dir = mkdtempSync(join(tmpdir(), 'relay-ledger-bench-'));
const db = await openDb(`file:${join(dir, 'ledger.db')}`);
try {
  if (db.kind !== 'sqlite') throw new Error('the ledger bench runs on SQLite');
  await migrate(db);
  const user = await db.prisma.user.create({ data: { username: 'bench', quota: 10n ** 15n } });
  const token = await db.prisma.token.create({ data: { userId: user.id, name: 'bench', keyHash: 'bench', keyPrefix: 'sk-bench', unlimited: true } });
  const ledger = createSqliteLedger(db.sql);
  const log = (requestId: string): UsageLogEntry => ({
    requestId, type: 'consume', source: 'api', userId: user.id, tokenId: token.id, tokenName: 'bench', channelId: 1,
    endpoint: '/v1/chat/completions', model: 'gpt-4o-mini', upstreamModel: 'gpt-4o-mini', promptTokens: 60, completionTokens: 40,
    cacheReadTokens: 0, cacheWriteTokens: 0, groupRatio: '1', modelRatio: '0.075', completionRatio: '4', stream: false,
    latencyMs: 3, ttftMs: null, status: 'ok', content: '', group: 'default', usageSource: 'upstream', detail: '', attempts: null,
  });
  const round = async (size: number) => {
    const ids = Array.from({ length: size }, () => newRequestId());
    for (const requestId of ids) await ledger.reserve({ requestId, userId: user.id, tokenId: token.id, tokenLimited: false, amount: 100 });
    await Promise.all(ids.map((id) => ledger.settle(id, 10, log(id))));
  };
  for (let i = 0; i < 200; i++) await round(8); // warm-up: JIT and the file's first pages
  console.log('calls settled per commit → CPU per settled call (reserve + settle + usage-log row)');
  for (const size of SIZES) {
    const rounds = Math.round(CALLS_PER_SIZE / size);
    const before = process.cpuUsage();
    for (let r = 0; r < rounds; r++) await round(size);
    const used = process.cpuUsage(before);
    const per = (us: number) => (us / (rounds * size)).toFixed(1);
    console.log(`${String(size).padStart(3)} per commit: ${per(used.user + used.system)} µs (user ${per(used.user)}, system ${per(used.system)})`);
  }
} finally {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
}
