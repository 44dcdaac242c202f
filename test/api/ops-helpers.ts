// Test helpers for the operations API suites: a regular (non-admin) user with a management key, made directly in the
// database so these suites do not depend on the users routes.
import { hashSecret } from '../../src/auth/secrets.js';
import type { TestApp } from '../helpers/context.js';

export interface TestUser {
  id: number;
  username: string;
  headers: { authorization: string };
}

export async function createUser(
  t: TestApp,
  username: string,
  data: { quota?: bigint; role?: 'user' | 'admin'; group?: string } = {},
): Promise<TestUser> {
  const user = await t.ctx.db.prisma.user.create({
    data: { username, quota: data.quota ?? 0n, role: data.role ?? 'user', group: data.group ?? 'default' },
  });
  const key = `rsm-test-${username}-key-0123456789abcdef`;
  await t.ctx.db.prisma.managementKey.create({ data: { userId: user.id, keyHash: hashSecret(key), kind: 'login' } });
  return { id: user.id, username, headers: { authorization: `Bearer ${key}` } };
}

/** The wire error of a response, for exact assertions on code and param. */
export function errorOf(body: string): { code: string; param?: string | null; message: string } {
  return (JSON.parse(body) as { error: { code: string; param?: string | null; message: string } }).error;
}
