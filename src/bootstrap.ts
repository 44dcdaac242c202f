// First-start setup: the default group and the root user with its management key.
// The root key is printed once, when it is created; only its hash is stored. With RELAY_ADMIN_KEY the operator chooses
// the key instead (scripted deployments, tests) and it replaces any earlier root key.
import type { Db } from './db/client.js';
import { hashSecret, newManagementKey, randomString } from './auth/secrets.js';
import { hashPassword } from './auth/passwords.js';

export interface BootstrapResult {
  /** The newly generated root key, to print once; undefined when none was created. */
  createdRootKey?: string;
  /** The initial root password, printed with the key; the root can change it later. */
  createdRootPassword?: string;
}

export async function bootstrap(db: Db, adminKey: string | undefined): Promise<BootstrapResult> {
  const prisma = db.prisma;
  await prisma.group.upsert({
    where: { name: 'default' },
    create: { name: 'default', ratio: '1', description: 'Everyone starts here' },
    update: {},
  });

  let root = await prisma.user.findFirst({ where: { role: 'root' }, orderBy: { id: 'asc' } });
  const result: BootstrapResult = {};
  if (!root) {
    const password = randomString(20);
    root = await prisma.user.create({
      data: { username: 'root', role: 'root', passwordHash: await hashPassword(password), quota: 0n },
    });
    result.createdRootPassword = password;
  }

  if (adminKey) {
    const keyHash = hashSecret(adminKey);
    await prisma.$transaction([
      prisma.managementKey.deleteMany({ where: { kind: 'root', NOT: { keyHash } } }),
      prisma.managementKey.upsert({ where: { keyHash }, create: { userId: root.id, keyHash, kind: 'root' }, update: { userId: root.id } }),
    ]);
    return result;
  }
  const existing = await prisma.managementKey.count({ where: { kind: 'root', userId: root.id } });
  if (existing === 0) {
    const key = newManagementKey();
    await prisma.managementKey.create({ data: { userId: root.id, keyHash: hashSecret(key), kind: 'root' } });
    result.createdRootKey = key;
  }
  return result;
}
