// Channel keys at start, right after the migrations: choose the master key, move keys an older version kept in
// plaintext into sealed rows (once), and make sure every stored key opens with this master key before serving.
import type { Config } from '../config.js';
import type { Db } from './client.js';
import type pg from 'pg';
import { loadSecretBox, type MasterKeyLog } from '../auth/master-key.js';
import type { SecretBox } from '../auth/secret-box.js';
import { assertKeysReadable, moveLegacyKeys, storedKeysSealedWith } from '../services/channel-repository.js';
import { paymentSecretsSealedWith } from '../payments/settings.js';

export async function prepareChannelKeys(
  config: Pick<Config, 'secretKey' | 'secretKeyFile'>,
  db: Db,
  log: MasterKeyLog & { error(obj: object, msg: string): void },
): Promise<SecretBox> {
  const sealedWith = async () => (await storedKeysSealedWith(db)) ?? (await paymentSecretsSealedWith(db));
  const secrets = await loadSecretBox(config, { kind: db.kind, sealedWith }, log);
  const moved = await wipingFreedSpace(db, () => moveLegacyKeys(db, secrets));
  if (moved.keys || moved.channels) {
    log.info(moved, 'channel keys moved from the old plaintext columns into ChannelKey, encrypted');
  }
  await assertKeysReadable({ db, secrets }, (err, where) =>
    log.error(where, `a channel key cannot be decrypted (${err.message}); the relay will not use it`),
  );
  return secrets;
}

/**
 * The plaintext must not survive in the database files: on SQLite the move runs with secure_delete (freed space is
 * zeroed) and the WAL is checkpointed and truncated after it; on PostgreSQL the small Channel table is rewritten
 * (VACUUM FULL), so no dead row version keeps the old values. Backups taken earlier still hold them.
 */
async function wipingFreedSpace<T extends { channels: number }>(db: Db, move: () => Promise<T>): Promise<T> {
  if (db.kind === 'postgresql') {
    const moved = await move();
    if (moved.channels) {
      // VACUUM FULL copies a dead row version that an older snapshot may still see (an autovacuum ANALYZE right after
      // the migration, another instance starting): wait for those to end, so the old plaintext is not carried over.
      await untilOlderSnapshotsEnd(db.pool);
      await db.pool.query('VACUUM FULL "Channel"');
    }
    return moved;
  }
  // Prisma writes through its own connection: secure_delete is a per-connection setting.
  await db.prisma.$queryRawUnsafe('PRAGMA secure_delete = ON');
  try {
    const moved = await move();
    if (moved.channels) db.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    return moved;
  } finally {
    await db.prisma.$queryRawUnsafe('PRAGMA secure_delete = OFF');
  }
}

/** How long the start waits for older snapshots before rewriting the table anyway. */
const SNAPSHOT_WAIT_MS = 30_000;

/** Resolves once no other session of this database runs a transaction that began before now (or after the wait). */
async function untilOlderSnapshotsEnd(pool: pg.Pool): Promise<void> {
  const { rows } = await pool.query<{ now: Date }>('SELECT clock_timestamp() AS now');
  const since = rows[0]!.now;
  const deadline = Date.now() + SNAPSHOT_WAIT_MS;
  while (Date.now() < deadline) {
    const older = await pool.query(
      `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
         AND backend_xmin IS NOT NULL AND xact_start < $1 LIMIT 1`,
      [since],
    );
    if (older.rowCount === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
