// `npm run rotate-secret-key`: re-encrypts every stored channel key (and payment provider secret) under a new master key. Stop every relay instance
// first: a running one keeps the old key and could no longer open the keys after its next reload.
//
// The current master key is found as at start (RELAY_SECRET_KEY, else the key file). The new one is
// RELAY_NEW_SECRET_KEY when set, else generated. With the key file, the file is replaced: the new key is written to
// `<file>.new` first, the keys are re-sealed in one transaction, then the file is renamed over the old one (if that
// last step is interrupted, `<file>.new` holds the key the database now needs). With RELAY_SECRET_KEY, the new key is
// printed: set it on every instance before starting them again.
import { chmodSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import { SecretKeyError } from '../auth/master-key.js';
import { generateMasterKey, parseMasterKey, SecretBox } from '../auth/secret-box.js';
import { resealKeys } from '../services/channel-repository.js';
import { resealPaymentSecrets } from '../payments/settings.js';

export interface Rotation {
  keys: number;
  /** Payment provider secrets re-sealed with them. */
  paymentSecrets: number;
  /** The new master key's id (what sealed values now name). */
  keyId: string;
  /** The key file now holding the new key; undefined when the key is RELAY_SECRET_KEY (the caller must print it). */
  file?: string;
}

export async function rotateSecretKey(
  config: Pick<Config, 'secretKey' | 'secretKeyFile'>,
  db: Db,
  current: SecretBox,
  next: Buffer,
): Promise<Rotation> {
  const to = new SecretBox(next, 'the new master key');
  if (to.keyId === current.keyId) throw new SecretKeyError('the new master key is the one in use; nothing to rotate');
  let paymentSecrets = 0;
  const reseal = () => resealKeys(db, current, to, async (tx) => (paymentSecrets = await resealPaymentSecrets(tx, current, to)));
  if (config.secretKey) return { keys: await reseal(), paymentSecrets, keyId: to.keyId };
  const file = resolve(config.secretKeyFile);
  const pending = `${file}.new`;
  writeFileSync(pending, `${next.toString('base64')}\n`, { mode: 0o600 });
  chmodSync(pending, 0o600);
  let keys: number;
  try {
    keys = await reseal();
  } catch (err) {
    rmSync(pending, { force: true });
    throw err;
  }
  renameSync(pending, file);
  return { keys, paymentSecrets, keyId: to.keyId, file };
}

async function main(): Promise<void> {
  const [{ loadConfig }, { openDb }, { migrate }, { prepareChannelKeys }] = await Promise.all([
    import('../config.js'),
    import('../db/client.js'),
    import('../db/migrate.js'),
    import('../db/channel-keys-start.js'),
  ]);
  const config = loadConfig();
  const given = process.env.RELAY_NEW_SECRET_KEY;
  const next = given === undefined ? generateMasterKey() : parseMasterKey(given);
  if (!next) {
    console.error('RELAY_NEW_SECRET_KEY must be 32 random bytes as base64 or hex (`openssl rand -base64 32`)');
    process.exit(78);
  }
  const log = {
    info: (_: object, msg: string) => console.log(msg),
    warn: (_: object, msg: string) => console.warn(msg),
    error: (obj: object, msg: string) => console.error(msg, obj),
  };
  const db = await openDb(config.databaseUrl);
  try {
    await migrate(db);
    const current = await prepareChannelKeys(config, db, log);
    const done = await rotateSecretKey(config, db, current, next);
    console.log(`Re-encrypted ${done.keys} channel keys from master key ${current.keyId} to ${done.keyId}.`);
    if (done.paymentSecrets) console.log(`Re-encrypted ${done.paymentSecrets} payment provider secrets with them.`);
    if (done.file) {
      console.log(`The new key is in ${done.file}. Back it up now; the old key no longer opens anything.`);
    } else {
      console.log(`Set RELAY_SECRET_KEY on every instance to the new key before starting them:\n\n  ${next.toString('base64')}\n`);
    }
  } catch (err) {
    console.error(err instanceof SecretKeyError ? err.message : err);
    process.exitCode = 1;
  } finally {
    await db.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
