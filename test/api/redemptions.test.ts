import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestApp, dbKinds, type TestApp } from '../helpers/context.js';
import { hashSecret, visiblePrefix } from '../../src/auth/secrets.js';
import { redeemCode } from '../../src/services/redemptions.js';
import { RelayError } from '../../src/errors.js';
import { createUser, errorOf, type TestUser } from './ops-helpers.js';

describe.each(dbKinds)('redemption codes on %s', (kind) => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    t = await createTestApp(kind);
    alice = await createUser(t, 'alice', { quota: 100n });
    bob = await createUser(t, 'bob');
  });
  afterAll(async () => t?.close());

  async function mint(quota: number, count: number, name: string): Promise<string[]> {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/redemptions',
      headers: t.admin,
      payload: { quota, count, name },
    });
    expect(res.statusCode).toBe(201);
    return (res.json() as { codes: string[] }).codes;
  }

  const redeem = (user: TestUser, code: string, remoteAddress = '127.0.0.1') =>
    t.app.inject({ method: 'POST', url: '/api/redeem', headers: user.headers, payload: { code }, remoteAddress });

  const quotaOf = async (id: number) => (await t.ctx.db.prisma.user.findUniqueOrThrow({ where: { id } })).quota;

  it('mints codes that are shown once and stored only as hashes', async () => {
    const codes = await mint(1000, 3, 'batch-a');
    expect(codes).toHaveLength(3);
    expect(new Set(codes).size).toBe(3);
    for (const code of codes) expect(code).toMatch(/^[A-Za-z0-9]{32}$/);

    const rows = await t.ctx.db.prisma.redemption.findMany({ where: { name: 'batch-a' }, orderBy: { id: 'asc' } });
    expect(rows.map((r) => r.codeHash).sort()).toEqual(codes.map(hashSecret).sort());
    for (const row of rows) {
      expect(row.quota).toBe(1000n);
      expect(row.status).toBe('unused');
      expect(codes.map(visiblePrefix)).toContain(row.codePrefix);
      expect(JSON.stringify({ ...row, quota: 0 })).not.toMatch(new RegExp(codes.join('|')));
    }
  });

  it('lists codes without the codes, filtered by status and name, newest first', async () => {
    const codes = await mint(50, 2, 'batch-b');
    const res = await t.app.inject({ url: '/api/redemptions?name=batch-b', headers: t.admin });
    expect(res.statusCode).toBe(200);
    for (const code of codes) expect(res.body).not.toContain(code);
    const body = res.json() as { items: Array<Record<string, unknown>>; total: number };
    expect(body.total).toBe(2);
    expect(body.items.map((i) => i.codePrefix)).toEqual([...codes].reverse().map(visiblePrefix));
    expect(Object.keys(body.items[0]!).sort()).toEqual(
      ['codePrefix', 'createdAt', 'createdBy', 'id', 'name', 'quota', 'redeemedAt', 'redeemedBy', 'status'].sort(),
    );
    expect(body.items[0]).toMatchObject({ name: 'batch-b', quota: 50, status: 'unused', redeemedBy: null });

    const paged = await t.app.inject({ url: '/api/redemptions?name=batch-b&page=2&pageSize=1', headers: t.admin });
    expect(paged.json()).toMatchObject({ total: 2, items: [{ codePrefix: visiblePrefix(codes[0]!) }] });

    const none = await t.app.inject({ url: '/api/redemptions?name=batch-b&status=redeemed', headers: t.admin });
    expect(none.json()).toEqual({ items: [], total: 0 });

    const bad = await t.app.inject({ url: '/api/redemptions?status=lost', headers: t.admin });
    expect(bad.statusCode).toBe(400);
    expect(errorOf(bad.body).param).toBe('status');
  });

  it('refuses bad minting requests with the field named', async () => {
    const cases: Array<[unknown, string]> = [
      [{ quota: 0, count: 1, name: 'x' }, 'quota'],
      [{ quota: 1.5, count: 1, name: 'x' }, 'quota'],
      [{ quota: '10', count: 1, name: 'x' }, 'quota'],
      [{ quota: 10, count: 0, name: 'x' }, 'count'],
      [{ quota: 10, count: 1001, name: 'x' }, 'count'],
      [{ quota: 10, count: 1 }, 'name'],
      [{ count: 1, name: 'x' }, 'quota'],
    ];
    for (const [payload, param] of cases) {
      const res = await t.app.inject({ method: 'POST', url: '/api/redemptions', headers: t.admin, payload: payload as object });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(errorOf(res.body)).toMatchObject({ code: 'invalid_request', param });
    }
    const badJson = await t.app.inject({
      method: 'POST',
      url: '/api/redemptions',
      headers: { ...t.admin, 'content-type': 'application/json' },
      payload: '{"quota": 10,',
    });
    expect(badJson.statusCode).toBe(400);
    expect(errorOf(badJson.body).code).toBe('invalid_json');
  });

  it('lets only admins mint, list and change codes; needs a key for everything', async () => {
    const asUser = await t.app.inject({
      method: 'POST',
      url: '/api/redemptions',
      headers: alice.headers,
      payload: { quota: 10, count: 1, name: 'x' },
    });
    expect(asUser.statusCode).toBe(403);
    expect(errorOf(asUser.body).code).toBe('forbidden');
    expect((await t.app.inject({ url: '/api/redemptions', headers: alice.headers })).statusCode).toBe(403);
    const patch = await t.app.inject({ method: 'PATCH', url: '/api/redemptions/1', headers: alice.headers, payload: { status: 'disabled' } });
    expect(patch.statusCode).toBe(403);

    const anonymous = await t.app.inject({ method: 'POST', url: '/api/redeem', payload: { code: 'x' } });
    expect(anonymous.statusCode).toBe(401);
    expect(errorOf(anonymous.body).code).toBe('missing_key');
    expect((await t.app.inject({ url: '/api/redemptions' })).statusCode).toBe(401);
  });

  it('redeems a code once: quota credited, code marked, log written, users cache invalidated', async () => {
    const [code] = await mint(2500, 1, 'single');
    let published = 0;
    const off = t.ctx.bus.subscribe('users', () => void published++);
    const res = await redeem(alice, code!);
    off();
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ quota: 2500, balance: 2600 });
    expect(await quotaOf(alice.id)).toBe(2600n);
    expect(published).toBe(1);

    const row = await t.ctx.db.prisma.redemption.findUniqueOrThrow({ where: { codeHash: hashSecret(code!) } });
    expect(row.status).toBe('redeemed');
    expect(row.redeemedBy).toBe(alice.id);
    expect(row.redeemedAt).toBeInstanceOf(Date);

    const logs = await t.ctx.db.prisma.usageLog.findMany({ where: { userId: alice.id, type: 'redeem' } });
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      source: 'api',
      quota: 2500n,
      content: `redeemed code ${visiblePrefix(code!)}`,
      group: 'default',
    });

    const again = await redeem(bob, code!);
    expect(again.statusCode).toBe(409);
    expect(errorOf(again.body)).toMatchObject({ code: 'already_redeemed', message: 'this redemption code has already been used' });
    expect(await quotaOf(bob.id)).toBe(0n);
  });

  it('refuses unknown and disabled codes with invalid_code', async () => {
    const unknown = await redeem(bob, 'NoSuchCode0000000000000000000000');
    expect(unknown.statusCode).toBe(400);
    expect(errorOf(unknown.body)).toMatchObject({ code: 'invalid_code', message: 'this redemption code does not exist' });

    const [code] = await mint(70, 1, 'to-disable');
    const row = await t.ctx.db.prisma.redemption.findUniqueOrThrow({ where: { codeHash: hashSecret(code!) } });
    const disable = await t.app.inject({
      method: 'PATCH',
      url: `/api/redemptions/${row.id}`,
      headers: t.admin,
      payload: { status: 'disabled' },
    });
    expect(disable.statusCode).toBe(200);
    expect(disable.json()).toMatchObject({ id: row.id, status: 'disabled', quota: 70 });

    const refused = await redeem(bob, code!);
    expect(refused.statusCode).toBe(400);
    expect(errorOf(refused.body)).toMatchObject({ code: 'invalid_code', message: 'this redemption code has been disabled' });
    expect(await quotaOf(bob.id)).toBe(0n);

    const enable = await t.app.inject({
      method: 'PATCH',
      url: `/api/redemptions/${row.id}`,
      headers: t.admin,
      payload: { status: 'unused' },
    });
    expect(enable.json()).toMatchObject({ status: 'unused' });
    const ok = await redeem(bob, `  ${code!}\n`);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ quota: 70, balance: 70 });

    const redeemedChange = await t.app.inject({
      method: 'PATCH',
      url: `/api/redemptions/${row.id}`,
      headers: t.admin,
      payload: { status: 'disabled' },
    });
    expect(redeemedChange.statusCode).toBe(409);
    expect(errorOf(redeemedChange.body).code).toBe('conflict');
    expect((await t.ctx.db.prisma.redemption.findUniqueOrThrow({ where: { id: row.id } })).status).toBe('redeemed');
  });

  it('answers 404 for an unknown code id and 400 for a bad id or status', async () => {
    const missing = await t.app.inject({ method: 'PATCH', url: '/api/redemptions/999999', headers: t.admin, payload: { status: 'disabled' } });
    expect(missing.statusCode).toBe(404);
    expect(errorOf(missing.body).code).toBe('not_found');
    const badId = await t.app.inject({ method: 'PATCH', url: '/api/redemptions/abc', headers: t.admin, payload: { status: 'disabled' } });
    expect(badId.statusCode).toBe(400);
    expect(errorOf(badId.body).param).toBe('id');
    const badStatus = await t.app.inject({ method: 'PATCH', url: '/api/redemptions/1', headers: t.admin, payload: { status: 'redeemed' } });
    expect(badStatus.statusCode).toBe(400);
    expect(errorOf(badStatus.body).param).toBe('status');
    const noCode = await t.app.inject({ method: 'POST', url: '/api/redeem', headers: alice.headers, payload: {} });
    expect(noCode.statusCode).toBe(400);
    expect(errorOf(noCode.body).param).toBe('code');
  });

  it('pays out exactly once when the same code is sent 20 times at once', async () => {
    const [code] = await mint(9000, 1, 'race');
    const racer = await createUser(t, 'racer');
    // From 20 addresses, so that the guess limit (CODE_LIMITS.perPair) does not answer part of the burst first.
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => redeem(racer, code!, `10.9.0.${i + 1}`)));
    const statuses = results.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([200, ...Array<number>(19).fill(409)]);
    for (const r of results.filter((r) => r.statusCode === 409)) expect(errorOf(r.body).code).toBe('already_redeemed');
    expect(await quotaOf(racer.id)).toBe(9000n);
    expect(await t.ctx.db.prisma.usageLog.count({ where: { userId: racer.id, type: 'redeem' } })).toBe(1);
  });

  it('exports redeemCode for the bots, recording their source', async () => {
    const [code] = await mint(300, 1, 'bot');
    await expect(redeemCode(t.ctx, bob.id, code!, 'telegram', `telegram user ${bob.id}`)).resolves.toEqual({ quota: 300, balance: 370 });
    const log = await t.ctx.db.prisma.usageLog.findFirstOrThrow({ where: { userId: bob.id, source: 'telegram' } });
    expect(log.type).toBe('redeem');
    const second = redeemCode(t.ctx, alice.id, code!, 'telegram', `telegram user ${alice.id}`);
    await expect(second).rejects.toBeInstanceOf(RelayError);
    await expect(second).rejects.toMatchObject({ code: 'already_redeemed', status: 409 });
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = (await t.app.inject({ url: '/api/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/api/redemptions'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/api/redemptions/{id}'] ?? {})).toEqual(['patch']);
    expect(Object.keys(doc.paths['/api/redeem'] ?? {})).toEqual(['post']);
  });
});
