// Moving in from one-api and new-api, end to end: each project's database built from its real DDL in MariaDB,
// PostgreSQL and SQLite, imported into relay-station (SQLite, and PostgreSQL for two of them), then used: old keys
// relay through the imported channel and are billed at the imported prices, balances / limits / codes match, old
// passwords log in, and a second import is refused.
// Run by import-one-api.test.ts and import-new-api.test.ts (two files, so that they run in parallel).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import { loadChannel } from '../../src/services/channel-repository.js';
import type { Dialect } from '../../src/import/source.js';
import type { Variant } from '../../src/import/rows.js';
import { runImport, ImportUsageError, type ImportFlags, type ImportResult } from '../../src/import/index.js';
import { createTestApp, type DbKind, type TestApp } from '../helpers/context.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import { createSourceDatabase, type SourceDatabase } from './sources.js';
import { seedRows, type Seed } from './seed.js';

const FLAGS: ImportFlags = { dryRun: false, merge: false, logs: true, roundPrices: false };

/** Every source database kind into SQLite, and one into PostgreSQL. */
export function importSuite(variant: Variant, intoPostgres: Dialect): void {
  const cases: [Dialect, DbKind][] = [
    ['mysql', 'sqlite'],
    ['postgresql', 'sqlite'],
    ['sqlite', 'sqlite'],
    [intoPostgres, 'postgresql'],
  ];
  describe.each(cases)(`${variant} on %s into %s`, (dialect, target) => suite(variant, dialect, target));
}

function suite(variant: Variant, dialect: Dialect, target: DbKind): void {
  let up: FakeOpenAI;
  let src: SourceDatabase;
  let seed: Seed;
  let t: TestApp;
  let result: ImportResult;
  let before: string;
  const prisma = () => t.ctx.db.prisma;
  const user = (username: string) => prisma().user.findUniqueOrThrow({ where: { username } });
  const token = (key: string) => prisma().token.findUnique({ where: { keyHash: hashSecret(`sk-${key}`) } });
  const chat = (key: string, model = 'gpt-4o-mini') =>
    t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { authorization: `Bearer sk-${key}`, 'content-type': 'application/json' },
      payload: { model, messages: [{ role: 'user', content: 'Hello' }], max_tokens: 600 },
    });
  const login = async (username: string, password: string) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
    return { status: res.statusCode, key: (res.json() as { key?: string }).key };
  };

  beforeAll(async () => {
    up = await startFakeOpenAI({ keys: ['sk-upstream-openai'] });
    up.setScript(() => ({ kind: 'answer', text: 'Hi there', usage: { prompt: 1000, completion: 500 } }));
    src = await createSourceDatabase(dialect, variant);
    seed = seedRows(variant, up.url);
    await src.insert(seed.rows);
    before = await src.snapshot();
    t = await createTestApp(target);
    result = await runImport(src.url, t.ctx, FLAGS);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await src?.drop();
    await up?.close();
  });

  it('imports every table and says what it left out and why', () => {
    const text = result.report.format('report', false);
    expect(result.written, text).toBe(true);
    expect(result.report.problems).toEqual([]);
    const counts = Object.fromEntries(result.report.counts);
    expect(counts.users).toMatchObject({ source: 7, imported: 6, leftOut: 1 });
    expect(counts.channels).toMatchObject({ source: variant === 'new-api' ? 8 : 7, imported: variant === 'new-api' ? 7 : 6, leftOut: 1 });
    expect(counts.redemptions!.imported).toBe(variant === 'new-api' ? 4 : 3);
    expect(counts.logs).toMatchObject({ source: 5, imported: 4, leftOut: 1 });
    expect(text).toMatch(/#6 "Wenxin": type 15 \(Baidu\) is not served/);
    expect(text).toMatch(/ModelRatio ERNIE-4.0-8K 8\.571428571428571 has more than 9 decimals: not imported/);
    expect(text).toMatch(/qwen-turbo\(17\)/);
    expect(text).toMatch(/must have one set by an admin: carol/);
    expect(text).toMatch(/"企业" is now "group-1"/);
    expect(text).toMatch(/negative balances set to 0.*erin \(-500\)/);
    expect(text).toMatch(/channel #7 "Proxy \(auto-disabled\)" was auto-disabled/);
    expect(text).toMatch(/SMTPServer/);
    expect(text).not.toContain('sk-upstream-openai');
    expect(text).not.toContain(seed.keys.aliceLimited);
    expect(text).not.toContain(seed.codes.unused);
  });

  it('carries accounts over: roles, groups, balances, passwords', async () => {
    const alice = await user('alice');
    expect(alice).toMatchObject({ role: 'user', group: 'default', quota: 5_000_000n, usedQuota: 1_234_567n, requestCount: 321, status: 'enabled' });
    expect(alice.passwordHash).toMatch(/^\$2a\$10\$/);
    expect(await user('bob')).toMatchObject({ role: 'admin', group: 'vip', quota: 12_345_678n });
    expect(await user('carol')).toMatchObject({ group: 'svip', passwordHash: null });
    expect(await user('dave')).toMatchObject({ status: 'disabled', quota: 777n });
    expect(await user('erin')).toMatchObject({ group: 'group-1', quota: 0n });
    // The source root became relay-station's root (one root, with the source's balance).
    const roots = await prisma().user.findMany({ where: { role: 'root' } });
    expect(roots).toHaveLength(1);
    expect(roots[0]).toMatchObject({ username: 'root', quota: 100_000_000n, usedQuota: 2_500_000n, requestCount: 812 });
    expect(await prisma().user.count()).toBe(6);

    const groups = Object.fromEntries((await prisma().group.findMany()).map((g) => [g.name, g]));
    expect(groups.vip).toMatchObject({ ratio: '0.8', userSelectable: variant === 'new-api' });
    expect(groups.svip).toMatchObject({ ratio: '1.5', userSelectable: false });
    expect(groups['group-1']).toMatchObject({ ratio: '0.5', description: '企业' });

    const o = t.ctx.options.current;
    expect(o.modelRatios).toMatchObject({ 'gpt-4o-mini': 0.3, 'gemini-1.5-flash': 0.0375, 'deepseek-chat': 0.135 });
    expect(o.modelRatios).not.toHaveProperty('ERNIE-4.0-8K');
    expect(o.completionRatios).toMatchObject({ 'gpt-4o-mini': 4 });
    expect(o.modelPrices).toMatchObject({ 'dall-e-3': 0.04 });
    expect(o).toMatchObject({ topUpLink: 'https://shop.example.com/buy', retryCount: 3, autoDisableChannels: true });
    if (variant === 'new-api') {
      expect(o.cacheReadRatios).toMatchObject({ 'gpt-4o-mini': 0.5 });
      expect(o.cacheWriteRatios).toMatchObject({ 'claude-3-5-haiku-20241022': 1.25 });
      expect(o.exchangeRate).toBe(7.3);
    }
  });

  it('old passwords log in, and are re-hashed to scrypt on the way', async () => {
    expect((await login('alice', 'wrong-password')).status).toBe(401);
    expect((await login('alice', seed.passwords.alice)).status).toBe(200);
    expect((await user('alice')).passwordHash).toMatch(/^scrypt\$/);
    expect((await login('alice', seed.passwords.alice)).status).toBe(200);
    expect((await login('root', seed.passwords.root)).status).toBe(200);
  });

  it('keeps every token with its limits', async () => {
    const limited = await token(seed.keys.aliceLimited);
    expect(limited).toMatchObject({ name: 'ci', unlimited: false, remainQuota: 2_000_000n, usedQuota: 100_000n, status: 'enabled' });
    expect(JSON.parse(limited!.models)).toEqual(['gpt-4o-mini', 'gpt-4o']);
    expect(JSON.parse(limited!.allowIps)).toEqual(['127.0.0.1/32', '10.0.0.0/8']);
    expect(limited!.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    expect(limited!.keyPrefix).toBe(`sk-${seed.keys.aliceLimited.slice(0, 4)}…${seed.keys.aliceLimited.slice(-4)}`);
    expect(await token(seed.keys.aliceUnlimited)).toMatchObject({ name: 'laptop', unlimited: true, models: '[]', allowIps: '[]' });
    expect(await token(seed.keys.bobDisabled)).toMatchObject({ status: 'disabled' });
    expect(await token(seed.keys.deleted)).toBeNull();
    const erin = await token(seed.keys.erin);
    // one-api: a subnet that is not one locked the key; new-api: the token's own group.
    expect(erin).toMatchObject(variant === 'new-api' ? { group: 'vip', status: 'enabled' } : { status: 'disabled', allowIps: '[]' });
  });

  it('an old key relays through the imported channel and is billed at the imported prices', async () => {
    const res = await chat(seed.keys.aliceLimited);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().choices[0].message.content).toBe('Hi there');
    const seen = up.requests.at(-1)!;
    expect(seen.body?.model).toBe('gpt-4o-mini-2024-07-18');
    expect(seen.headers.authorization).toBe('Bearer sk-upstream-openai');
    // group default 1 × model 0.3 × (1000 + 500 × completion 4) = 900 units
    const alice = await user('alice');
    expect(alice.quota).toBe(5_000_000n - 900n);
    expect((await token(seed.keys.aliceLimited))!.remainQuota).toBe(2_000_000n - 900n);
    const log = await prisma().usageLog.findFirstOrThrow({ where: { userId: alice.id, type: 'consume', requestId: { not: null } } });
    expect(log).toMatchObject({ quota: 900n, modelRatio: '0.3', completionRatio: '4', groupRatio: '1', upstreamModel: 'gpt-4o-mini-2024-07-18' });

    // bob is in "vip" (ratio 0.8): 720 units.
    expect((await chat(seed.keys.bob)).statusCode).toBe(200);
    expect((await user('bob')).quota).toBe(12_345_678n - 720n);

    // The token's model list still applies; so do disabled and expired keys.
    expect((await chat(seed.keys.aliceLimited, 'deepseek-chat')).json().error.code).toBe('model_not_allowed');
    expect((await chat(seed.keys.bobDisabled)).json().error.code).toBe('key_disabled');
    expect((await chat(seed.keys.carolExpired)).json().error.code).toBe('key_expired');
  });

  it('unused codes redeem once, used and disabled ones do not', async () => {
    const { key } = await login('bob', seed.passwords.bob);
    const redeem = (code: string) =>
      t.app.inject({ method: 'POST', url: '/api/redeem', headers: { authorization: `Bearer ${key}` }, payload: { code } });
    const before = (await user('bob')).quota;
    const ok = await redeem(seed.codes.unused);
    expect(ok.statusCode, ok.body).toBe(200);
    expect((await user('bob')).quota).toBe(before + 1_000_000n);
    expect((await redeem(seed.codes.unused)).json().error.code).toBe('already_redeemed');
    expect((await redeem(seed.codes.used)).json().error.code).toBe('already_redeemed');
    expect((await redeem(seed.codes.disabled)).json().error.code).toBe('invalid_code');
  });

  it('maps channel types, Azure deployments, groups and statuses', async () => {
    const channels = Object.fromEntries((await prisma().channel.findMany()).map((c) => [c.name, c]));
    expect(Object.keys(channels)).not.toContain('Wenxin');
    expect(channels['OpenAI main']).toMatchObject({ type: 'openai', priority: 10, status: 'enabled' });
    expect(JSON.parse(channels['OpenAI main']!.groups)).toEqual(['default', 'vip', 'svip', 'group-1']);
    expect(channels['Azure east']).toMatchObject({ type: 'azure', baseUrl: 'https://contoso-east.openai.azure.com' });
    expect(JSON.parse(channels['Azure east']!.config)).toEqual({ apiVersion: '2024-02-15-preview' });
    expect(JSON.parse(channels['Azure east']!.modelMapping)).toEqual({ 'gpt-3.5-turbo': 'gpt-35-turbo' });
    expect(channels.Claude).toMatchObject({ type: 'anthropic', baseUrl: 'https://api.anthropic.com' });
    expect(channels.Gemini).toMatchObject({ type: 'gemini' });
    expect(channels.DeepSeek).toMatchObject({ type: 'deepseek', baseUrl: 'https://api.deepseek.com', priority: 5 });
    expect(channels['Proxy (auto-disabled)']).toMatchObject({ type: 'custom', baseUrl: 'https://proxy.example.com', status: 'disabled' });
    expect(channels.DeepSeek!.weight).toBe(variant === 'new-api' ? 10 : 1);
    if (variant === 'new-api') {
      const pool = await loadChannel(t.ctx, channels['OpenAI pool']!.id);
      expect(pool!.keys.map((k) => k.secret)).toEqual(['sk-pool-1', 'sk-pool-3']);
    }
  });

  it('brings the logs over with their users and channels', async () => {
    const alice = await user('alice');
    const logs = await prisma().usageLog.findMany({ where: { userId: alice.id, requestId: null }, orderBy: { createdAt: 'asc' } });
    expect(logs.map((l) => l.type).sort()).toEqual(['consume', 'consume', 'topup']);
    const consume = logs.find((l) => l.type === 'consume')!;
    const openai = await prisma().channel.findFirstOrThrow({ where: { name: 'OpenAI main' } });
    expect(consume).toMatchObject({ model: 'gpt-4o-mini', promptTokens: 1000, completionTokens: 500, quota: 900n, channelId: openai.id, stream: true });
    if (variant === 'new-api') expect(consume).toMatchObject({ modelRatio: '0.3', latencyMs: 2000 });
  });

  it('never touches the source, and refuses a second import without --merge', async () => {
    expect(await src.snapshot()).toBe(before);
    await expect(runImport(src.url, t.ctx, FLAGS)).rejects.toThrow(ImportUsageError);
    await expect(runImport(src.url, t.ctx, FLAGS)).rejects.toThrow(/already imported.*--merge/);
    const users = await prisma().user.count();
    const groups = await prisma().group.count();
    const again = await runImport(src.url, t.ctx, { ...FLAGS, merge: true });
    expect(again.written).toBe(true);
    expect(await prisma().user.count()).toBe(users);
    expect(await prisma().group.count()).toBe(groups); // "企业" is group-1 again, not a new group-2
    expect(again.report.counts.get('tokens')).toMatchObject({ imported: 0, present: 7 });
    expect(again.report.counts.get('users')).toMatchObject({ imported: 0, present: 6 });
    expect(again.report.counts.get('logs')!.imported).toBe(0);
    expect(await src.snapshot()).toBe(before);
  });
}
