// An import that stops half-way (here: while writing tokens) keeps what it committed, table by table, and the same
// command continues it: nothing is imported twice and every key works in the end. Also the price rule's escape hatch
// (--round-prices rounds an inexact price up instead of leaving it out), and --merge into a database in use.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import { runImport, type ImportFlags } from '../../src/import/index.js';
import { createTestApp, dbKinds, type TestApp } from '../helpers/context.js';
import { createSourceDatabase, type SourceDatabase } from './sources.js';
import { seedRows, type Seed } from './seed.js';

const FLAGS: ImportFlags = { dryRun: false, merge: false, logs: true, roundPrices: false };

describe.each(dbKinds)('an interrupted import into %s', (kind) => {
  let src: SourceDatabase;
  let seed: Seed;
  let t: TestApp;
  beforeAll(async () => {
    src = await createSourceDatabase('sqlite', 'one-api');
    seed = seedRows('one-api', 'http://127.0.0.1:9');
    await src.insert(seed.rows);
    t = await createTestApp(kind);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await src?.drop();
  });

  it('keeps the tables it finished and continues where it stopped', async () => {
    const crash = (stage: string) => {
      if (stage === 'tokens') throw new Error('power cut');
    };
    await expect(runImport(src.url, t.ctx, FLAGS, crash)).rejects.toThrow('power cut');
    const prisma = t.ctx.db.prisma;
    expect(await prisma.user.count()).toBe(6);
    expect(await prisma.channel.count()).toBe(6);
    expect(await prisma.token.count()).toBe(0); // the tokens transaction rolled back whole
    expect(await prisma.redemption.count()).toBe(0);

    // The same command again: no --merge needed, nothing doubled.
    const resumed = await runImport(src.url, t.ctx, FLAGS);
    expect(resumed.written).toBe(true);
    expect(resumed.report.counts.get('users')).toMatchObject({ imported: 0, present: 6 });
    expect(resumed.report.counts.get('channels')).toMatchObject({ imported: 0, present: 6 });
    expect(resumed.report.counts.get('tokens')).toMatchObject({ imported: 7 });
    expect(await prisma.user.count()).toBe(6);
    expect(await prisma.channel.count()).toBe(6);
    expect(await prisma.redemption.count()).toBe(3);
    expect(await prisma.usageLog.count()).toBe(4);
    const alice = await prisma.user.findUniqueOrThrow({ where: { username: 'alice' } });
    expect(await prisma.token.findUnique({ where: { keyHash: hashSecret(`sk-${seed.keys.aliceLimited}`) } })).toMatchObject({ userId: alice.id });

    // Finished now: a third run is refused.
    await expect(runImport(src.url, t.ctx, FLAGS)).rejects.toThrow(/already imported/);
  });

  it('--round-prices rounds an inexact price up and says so', async () => {
    const run = await runImport(src.url, t.ctx, { ...FLAGS, merge: true, roundPrices: true });
    expect(run.report.format('', false)).toMatch(/ModelRatio ERNIE-4.0-8K 8\.571428571428571 rounded up to 8\.571428572/);
    expect(t.ctx.options.current.modelRatios['ERNIE-4.0-8K']).toBe(8.571428572);
  });
});

describe.each(dbKinds)('--merge into a relay-station database in use (%s)', (kind) => {
  let src: SourceDatabase;
  let seed: Seed;
  let t: TestApp;
  beforeAll(async () => {
    src = await createSourceDatabase('sqlite', 'new-api');
    seed = seedRows('new-api', 'http://127.0.0.1:9');
    await src.insert(seed.rows);
    t = await createTestApp(kind);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await src?.drop();
  });

  it('is refused without --merge; with it, a taken username gets a suffix and nothing is merged into another account', async () => {
    const prisma = t.ctx.db.prisma;
    const local = await prisma.user.create({ data: { username: 'alice', quota: 42n } });
    await expect(runImport(src.url, t.ctx, FLAGS)).rejects.toThrow(/already has 1 user\(s\).*--merge/);

    const run = await runImport(src.url, t.ctx, { ...FLAGS, merge: true });
    const text = run.report.format('', false);
    expect(text).toMatch(/"alice" \(#2\) already exists in relay-station: imported as "alice-2"/);
    expect(text).toMatch(/"root" \(#1\) already exists in relay-station: imported as "root-2"/);
    expect(await prisma.user.findUniqueOrThrow({ where: { id: local.id } })).toMatchObject({ username: 'alice', quota: 42n });
    const alice2 = await prisma.user.findUniqueOrThrow({ where: { username: 'alice-2' } });
    expect(alice2).toMatchObject({ quota: 5_000_000n, role: 'user' });
    expect(await prisma.user.findUniqueOrThrow({ where: { username: 'root-2' } })).toMatchObject({ role: 'admin', quota: 100_000_000n });
    expect(await prisma.user.count({ where: { role: 'root' } })).toBe(1);
    const token = await prisma.token.findUniqueOrThrow({ where: { keyHash: hashSecret(`sk-${seed.keys.aliceLimited}`) } });
    expect(token.userId).toBe(alice2.id);
  });
});
