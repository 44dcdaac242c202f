// `npm run admin-key`: replaces the root's management key with a new one and prints it (the old one stops working).
// For operators who lost the key printed at first start. Run it where the service's DATABASE_URL points.
import { loadConfig } from '../config.js';
import { openDb } from '../db/client.js';
import { migrate } from '../db/migrate.js';
import { bootstrap } from '../bootstrap.js';
import { hashSecret, newManagementKey } from '../auth/secrets.js';

const config = loadConfig();
if (config.adminKey) {
  console.error('RELAY_ADMIN_KEY is set: the root key is that value; change the variable instead.');
  process.exit(2);
}
const db = await openDb(config.databaseUrl);
await migrate(db);
await bootstrap(db, undefined);
const root = await db.prisma.user.findFirstOrThrow({ where: { role: 'root' }, orderBy: { id: 'asc' } });
const key = newManagementKey();
await db.prisma.$transaction([
  db.prisma.managementKey.deleteMany({ where: { userId: root.id, kind: 'root' } }),
  db.prisma.managementKey.create({ data: { userId: root.id, keyHash: hashSecret(key), kind: 'root' } }),
]);
await db.close();
process.stdout.write(`New root management key (the previous one no longer works):\n\n  ${key}\n\n`);
