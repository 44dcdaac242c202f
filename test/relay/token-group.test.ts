// A token's own group follows its owner's rights: it applies only while the owner may choose that group (their own,
// a userSelectable one, any for admins). A token made in `vip` while its owner was in `vip` used to keep vip prices
// after the owner was moved out.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestApp, dbKinds, type TestApp } from '../helpers/context.js';
import { addChannel, balances, seedAccount, type SeededAccount } from '../helpers/relay.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';

describe.each(dbKinds)('token groups follow the owner on %s', (kind) => {
  let t: TestApp;
  let up: FakeOpenAI;

  beforeAll(async () => {
    up = await startFakeOpenAI();
    // An empty answer: 100 prompt tokens and nothing else (text with 0 completion tokens would be billed on a local count).
    up.setScript(() => ({ kind: 'answer', text: '', usage: { prompt: 100, completion: 0 } }));
    t = await createTestApp(kind);
    await t.ctx.db.prisma.group.createMany({
      data: [
        { name: 'vip', ratio: '0.5', userSelectable: false },
        { name: 'cheap', ratio: '0.25', userSelectable: true },
        { name: 'staff', ratio: '0.1', userSelectable: false },
      ],
    });
    await t.ctx.options.update({ modelRatios: { m: 1 }, completionRatios: { m: 1 } });
    await addChannel(t, { baseUrl: up.url, models: ['m'], groups: ['default', 'vip', 'cheap', 'staff'] });
  });
  afterAll(async () => {
    await t?.close();
    await up?.close();
  });

  /** One call; returns the group and charge of its usage-log row (100 prompt tokens at model ratio 1). */
  async function charge(account: SeededAccount): Promise<{ group: string; quota: number }> {
    const before = (await balances(t, account)).logs.length;
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { authorization: `Bearer ${account.key}`, 'content-type': 'application/json' },
      payload: { model: 'm', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 10 },
    });
    expect(res.statusCode, res.body).toBe(200);
    const logs = (await balances(t, account)).logs;
    expect(logs).toHaveLength(before + 1);
    const row = logs[logs.length - 1]!;
    return { group: row.group, quota: Number(row.quota) };
  }
  const moveUser = async (userId: number, patch: object) => {
    const res = await t.app.inject({ method: 'PATCH', url: `/api/users/${userId}`, headers: t.admin, payload: patch });
    expect(res.statusCode, res.body).toBe(200);
  };

  it('an owner moved out of a closed group takes their token out of it; moved back, the token has it again', async () => {
    const account = await seedAccount(t, { group: 'vip', tokenGroup: 'vip' });
    expect(await charge(account)).toEqual({ group: 'vip', quota: 50 });
    await moveUser(account.userId, { group: 'default' });
    expect(await charge(account)).toEqual({ group: 'default', quota: 100 });
    // The stored choice is kept: it applies again once the owner may choose the group again.
    expect((await t.ctx.db.prisma.token.findUniqueOrThrow({ where: { id: account.tokenId } })).group).toBe('vip');
    await moveUser(account.userId, { group: 'vip' });
    expect(await charge(account)).toEqual({ group: 'vip', quota: 50 });
  });

  it('a selectable group closed to users stops applying to tokens of owners outside it', async () => {
    const account = await seedAccount(t, { group: 'default', tokenGroup: 'cheap' });
    expect(await charge(account)).toEqual({ group: 'cheap', quota: 25 });
    const closed = await t.app.inject({ method: 'PATCH', url: '/api/groups/cheap', headers: t.admin, payload: { userSelectable: false } });
    expect(closed.statusCode).toBe(200);
    expect(await charge(account)).toEqual({ group: 'default', quota: 100 });
    await t.app.inject({ method: 'PATCH', url: '/api/groups/cheap', headers: t.admin, payload: { userSelectable: true } });
    expect(await charge(account)).toEqual({ group: 'cheap', quota: 25 });
  });

  it("an admin's token in a closed group falls back when the admin is demoted", async () => {
    const account = await seedAccount(t, { group: 'default', tokenGroup: 'staff' });
    await t.ctx.db.prisma.user.update({ where: { id: account.userId }, data: { role: 'admin' } });
    t.ctx.bus.publish('users');
    expect(await charge(account)).toEqual({ group: 'staff', quota: 10 });
    await moveUser(account.userId, { role: 'user' });
    expect(await charge(account)).toEqual({ group: 'default', quota: 100 });
  });
});
