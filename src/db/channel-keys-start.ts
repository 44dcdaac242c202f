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
  const moved = await wipingFreedSpace(db, log, () => moveLegacyKeys(db, secrets));
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
 * zeroed), then the file is rebuilt (VACUUM: migrations that redefined the Channel table since the keys were written
 * left its old pages free, plaintext and all) and the WAL checkpointed and truncated; on PostgreSQL the small Channel table is rewritten
 * (VACUUM FULL), so no dead row version keeps the old values. Backups taken earlier still hold them.
 */
async function wipingFreedSpace<T extends { channels: number }>(
  db: Db,
  log: { warn(obj: object, msg: string): void },
  move: () => Promise<T>,
): Promise<T> {
  if (db.kind === 'postgresql') {
    const moved = await move();
    if (moved.channels) await rewriteWithoutDeadRows(db.pool, log);
    return moved;
  }
  // Prisma writes through its own connection: secure_delete is a per-connection setting.
  await db.prisma.$queryRawUnsafe('PRAGMA secure_delete = ON');
  try {
    const moved = await move();
    if (moved.channels) {
      db.sqlite.exec('VACUUM');
      db.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    }
    return moved;
  } finally {
    await db.prisma.$queryRawUnsafe('PRAGMA secure_delete = OFF');
  }
}

/** How long the start keeps rewriting the Channel table while old row versions cannot be dropped yet. */
const REWRITE_PATIENCE_MS = 30_000;

/**
 * VACUUM FULL copies a dead row version that some open snapshot may still see ("N dead row versions cannot be removed
 * yet"): such a copy would carry the old plaintext into the new file. So the table is rewritten until VACUUM reports
 * none left, or the patience runs out (then a warning: autovacuum will drop them later).
 */
async function rewriteWithoutDeadRows(pool: pg.Pool, log: { warn(obj: object, msg: string): void }): Promise<void> {
  const client = await pool.connect();
  const deadline = Date.now() + REWRITE_PATIENCE_MS;
  let kept = 0;
  const onNotice = (notice: { message?: string; detail?: string }) => {
    const match = /(\d+) dead row versions cannot be removed yet/.exec(`${notice.message ?? ''} ${notice.detail ?? ''}`);
    if (match) kept += Number(match[1]);
  };
  client.on('notice', onNotice);
  try {
    for (;;) {
      kept = 0;
      await client.query('VACUUM (FULL, VERBOSE) "Channel"');
      if (kept === 0) return;
      if (Date.now() >= deadline) {
        log.warn({ rowVersions: kept }, 'old channel rows (with plaintext keys) are still visible to an open transaction; autovacuum will remove them');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    client.off('notice', onNotice);
    client.release();
  }
}
