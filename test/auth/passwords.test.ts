// Passwords carried over from one-api/new-api are Go bcrypt hashes: they verify, and the first successful login
// replaces them with relay-station's scrypt format. A wrong password neither logs in nor touches the stored hash.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import bcrypt from 'bcryptjs';
import { hashPassword, isBcryptHash, needsRehash, verifyPassword } from '../../src/auth/passwords.js';
import { login } from '../../src/services/auth.js';
import { createTestContext, dbKinds, type TestContext } from '../helpers/context.js';

// What golang.org/x/crypto/bcrypt writes (cost 10, $2a$) for "123456", one-api's default root password.
const goHash = bcrypt.hashSync('123456', bcrypt.genSaltSync(10)).replace(/^\$2b\$/, '$2a$');

describe('bcrypt hashes from one-api / new-api', () => {
  it('are recognised, verified, and marked for re-hashing; scrypt hashes are not', async () => {
    expect(isBcryptHash(goHash)).toBe(true);
    expect(isBcryptHash('$2a$10$short')).toBe(false);
    expect(await verifyPassword('123456', goHash)).toBe(true);
    expect(await verifyPassword('1234567', goHash)).toBe(false);
    expect(needsRehash(goHash)).toBe(true);
    const scrypt = await hashPassword('123456');
    expect(needsRehash(scrypt)).toBe(false);
    expect(needsRehash(null)).toBe(false);
    expect(await verifyPassword('123456', 'plain-text-password')).toBe(false);
  });
});

describe.each(dbKinds)('login with an imported bcrypt password on %s', (kind) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(kind);
  });
  afterAll(async () => ctx?.cleanup());

  it('logs in, re-hashes to scrypt once, and still logs in after', async () => {
    await ctx.db.prisma.user.create({ data: { username: 'oldtimer', passwordHash: goHash } });
    await expect(login(ctx, { username: 'oldtimer', password: 'wrong-one' })).rejects.toMatchObject({ code: 'invalid_key' });
    expect((await ctx.db.prisma.user.findUniqueOrThrow({ where: { username: 'oldtimer' } })).passwordHash).toBe(goHash);

    await login(ctx, { username: 'oldtimer', password: '123456' });
    const stored = (await ctx.db.prisma.user.findUniqueOrThrow({ where: { username: 'oldtimer' } })).passwordHash!;
    expect(stored).toMatch(/^scrypt\$/);
    expect(await verifyPassword('123456', stored)).toBe(true);

    await login(ctx, { username: 'oldtimer', password: '123456' });
    expect((await ctx.db.prisma.user.findUniqueOrThrow({ where: { username: 'oldtimer' } })).passwordHash).toBe(stored);
  });
});
