// Password hashing with scrypt (node:crypto, async so the event loop keeps serving), in a self-describing format:
// scrypt$N$r$p$salt$hash (base64). Comparison is constant-time. bcrypt hashes carried over from one-api/new-api
// (`npm run import`) are verified too, and login replaces them with scrypt (`needsRehash`).
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import bcrypt from 'bcryptjs';

const N = 16384;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

function scrypt(password: string, salt: Buffer, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password, salt, KEY_LENGTH, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Rules: 8–128 characters. Returns the problem, or undefined when the password is acceptable. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < 8) return 'password must be at least 8 characters';
  if (password.length > 128) return 'password must be at most 128 characters';
  if (/^\s|\s$/.test(password)) return 'password must not start or end with whitespace';
  return undefined;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, { N, r: R, p: P });
  return ['scrypt', N, R, P, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** Go's golang.org/x/crypto/bcrypt output ($2a$10$ + 53 characters), as one-api and new-api store passwords. */
const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

export const isBcryptHash = (stored: string): boolean => BCRYPT.test(stored);

/** A stored hash that verifies but is not our current format: replace it after the next successful login. */
export const needsRehash = (stored: string | null): boolean => stored !== null && !stored.startsWith('scrypt$');

export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  if (stored && isBcryptHash(stored)) return bcrypt.compare(password, stored);
  const parts = stored?.split('$');
  if (!parts || parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64');
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p), maxmem: 64 * 1024 * 1024 });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
