// Every secret a person can guess is limited by the same rules: passwords (login and PATCH /api/me's currentPassword
// share one limiter), redemption codes (API and bots) and link codes (bots), per account + client, per client and per
// account. Before, PATCH /api/me and codes could be guessed without limit.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestApp, dbKinds, type TestApp } from '../helpers/context.js';
import { createRelayBackend } from '../../bots/core/relay-backend.js';
import type { BotBackend } from '../../bots/core/backend.js';
import { CODE_LIMITS, PASSWORD_LIMITS } from '../../src/services/auth.js';
import { expectError, makeUser } from './account-helpers.js';

describe.each(dbKinds)('guess limits on %s', (kind) => {
  let t: TestApp;
  let backend: BotBackend;

  beforeAll(async () => {
    t = await createTestApp(kind);
    backend = createRelayBackend(t.ctx, t.relay);
  });
  afterAll(async () => t?.close());

  const login = (username: string, password: string, remoteAddress: string) =>
    t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password }, remoteAddress });
  const changePassword = (auth: { authorization: string }, currentPassword: string, remoteAddress: string) =>
    t.app.inject({ method: 'PATCH', url: '/api/me', headers: auth, payload: { password: 'a-brand-new-password', currentPassword }, remoteAddress });

  it('PATCH /api/me: wrong current passwords are limited, and count against the same limit as logins', async () => {
    const ann = await makeUser(t, { username: 'ann-limit', password: 'ann-password-1' });
    for (let i = 0; i < PASSWORD_LIMITS.perPair; i++) {
      expectError(await changePassword(ann.auth, `wrong-password-${i}`, '10.20.0.1'), 400, 'invalid_request', 'currentPassword');
    }
    const locked = await changePassword(ann.auth, 'ann-password-1', '10.20.0.1');
    const err = expectError(locked, 429, 'rate_limited');
    expect(Number(locked.headers['retry-after'])).toBe(err.retryAfter);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(14 * 60);
    // The same account from the same address cannot log in either; from another address it can.
    expectError(await login('ann-limit', 'ann-password-1', '10.20.0.1'), 429, 'rate_limited');
    expect((await login('ann-limit', 'ann-password-1', '10.20.0.2')).statusCode).toBe(200);
    expect((await changePassword(ann.auth, 'ann-password-1', '10.20.0.2')).statusCode).toBe(200);
  });

  it('wrong logins and wrong current passwords add up', async () => {
    const bob = await makeUser(t, { username: 'bob-limit', password: 'bob-password-1' });
    for (let i = 0; i < 3; i++) expectError(await login('bob-limit', 'wrong-password', '10.21.0.1'), 401, 'invalid_key');
    for (let i = 0; i < PASSWORD_LIMITS.perPair - 3; i++) expectError(await changePassword(bob.auth, 'wrong-password', '10.21.0.1'), 400, 'invalid_request');
    expectError(await changePassword(bob.auth, 'bob-password-1', '10.21.0.1'), 429, 'rate_limited');
  });

  it('one address trying many accounts is limited across them', async () => {
    for (let i = 0; i < PASSWORD_LIMITS.perClient; i++) expectError(await login(`sprayed-${i}`, 'password-123', '10.22.0.1'), 401, 'invalid_key');
    await makeUser(t, { username: 'carol-limit', password: 'carol-password-1' });
    expectError(await login('carol-limit', 'carol-password-1', '10.22.0.1'), 429, 'rate_limited');
    expect((await login('carol-limit', 'carol-password-1', '10.22.0.2')).statusCode).toBe(200);
  });

  it('many addresses guessing one account are limited across them', async () => {
    const dave = await makeUser(t, { username: 'dave-limit', password: 'dave-password-1' });
    for (let i = 0; i < PASSWORD_LIMITS.perAccount; i++) {
      expectError(await login('dave-limit', `guess-${i}-password`, `10.23.${Math.floor(i / 250)}.${(i % 250) + 1}`), 401, 'invalid_key');
    }
    expectError(await login('dave-limit', 'dave-password-1', '10.24.0.1'), 429, 'rate_limited');
    // The account's existing keys keep working.
    expect((await t.app.inject({ url: '/api/me', headers: dave.auth })).statusCode).toBe(200);
  });

  it('redemption codes on the API: wrong codes are limited per account and address; used codes are not guesses', async () => {
    const erin = await makeUser(t, { username: 'erin-limit' });
    const redeem = (code: string, remoteAddress: string, auth = erin.auth) =>
      t.app.inject({ method: 'POST', url: '/api/redeem', headers: auth, payload: { code }, remoteAddress });
    const minted = await t.app.inject({ method: 'POST', url: '/api/redemptions', headers: t.admin, payload: { quota: 100, count: 2, name: 'limits' } });
    const [good, used] = (minted.json() as { codes: string[] }).codes as [string, string];
    expect((await redeem(used, '10.25.0.9')).statusCode).toBe(200);
    for (let i = 0; i < CODE_LIMITS.perPair + 2; i++) expectError(await redeem(used, '10.25.0.1'), 409, 'already_redeemed');

    for (let i = 0; i < CODE_LIMITS.perPair; i++) expectError(await redeem(`not-a-code-${i}`, '10.25.0.1'), 400, 'invalid_code');
    expectError(await redeem(good, '10.25.0.1'), 429, 'rate_limited');
    expect((await redeem(good, '10.25.0.2')).statusCode).toBe(200);
  });

  it('redemption and link codes through the bots are limited per account and chat identity', async () => {
    const frank = await makeUser(t, { username: 'frank-limit' });
    for (let i = 0; i < CODE_LIMITS.perPair; i++) {
      await expect(backend.redeem(frank.id, `bad-code-${i}`, 'telegram')).rejects.toMatchObject({ code: 'invalid_code' });
    }
    await expect(backend.redeem(frank.id, 'bad-code-x', 'telegram')).rejects.toMatchObject({ code: 'rate_limited', status: 429 });

    for (let i = 0; i < CODE_LIMITS.perPair; i++) {
      await expect(backend.linkWithCode('discord', '7001', `bad-link-${i}`)).rejects.toMatchObject({ code: 'invalid_code' });
    }
    await expect(backend.linkWithCode('discord', '7001', 'bad-link-x')).rejects.toMatchObject({ code: 'rate_limited' });
    // Another chat identity is not affected.
    await expect(backend.linkWithCode('discord', '7002', 'bad-link-y')).rejects.toMatchObject({ code: 'invalid_code' });
  });
});
