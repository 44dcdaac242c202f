// Where the master key of the SecretBox comes from, decided once at start: RELAY_SECRET_KEY when set, else the key file
// (RELAY_SECRET_KEY_FILE, default ./data/secret.key). A single SQLite instance creates the file on its first start.
// PostgreSQL means several instances that must all hold the same key, so there the relay never invents one: it refuses
// to start and says how to provide it. Nor does it invent one when the database already holds sealed values: a new key
// could not open them, and the old one must be restored instead.
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Config } from '../config.js';
import { generateMasterKey, parseMasterKey, SecretBox } from './secret-box.js';

/** The relay cannot start with the master key it has (or has none); the message says what to do. */
export class SecretKeyError extends Error {
  override name = 'SecretKeyError';
}

export interface MasterKeyLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

const GENERATE = 'generate one with `openssl rand -base64 32`';

export async function loadSecretBox(
  config: Pick<Config, 'secretKey' | 'secretKeyFile'>,
  database: {
    kind: 'sqlite' | 'postgresql';
    /** The id of a master key that sealed values already in the database, if there are any. */
    sealedWith(): Promise<string | undefined>;
  },
  log: MasterKeyLog,
): Promise<SecretBox> {
  if (config.secretKey) return new SecretBox(config.secretKey, 'RELAY_SECRET_KEY');
  const file = resolve(config.secretKeyFile);
  const source = `the key file ${file}`;
  if (existsSync(file)) {
    const key = parseMasterKey(readFileSync(file, 'utf8'));
    if (!key) throw new SecretKeyError(`${source} does not hold a 32-byte key as base64 or hex; restore it from your backup`);
    if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) {
      log.warn({ file }, 'the secret key file can be read by other users; restrict it with chmod 600');
    }
    return new SecretBox(key, source);
  }
  if (database.kind === 'postgresql') {
    throw new SecretKeyError(
      'PostgreSQL needs the master key that encrypts channel keys, the same on every instance, and none was found. ' +
        `Set RELAY_SECRET_KEY to 32 random bytes in base64 on every instance (${GENERATE}), or put that value in ` +
        `${file} (path: RELAY_SECRET_KEY_FILE) on every instance. Keep a copy apart from the database backups: ` +
        'without it the channel keys are lost.',
    );
  }
  const sealedWith = await database.sealedWith();
  if (sealedWith !== undefined) {
    throw new SecretKeyError(
      `the database holds channel keys encrypted with master key ${sealedWith}, but RELAY_SECRET_KEY is unset and ` +
        `${file} does not exist: restore that file from your backup (or set RELAY_SECRET_KEY to its value)`,
    );
  }
  const key = generateMasterKey();
  mkdirSync(dirname(file), { recursive: true });
  // `wx`: never overwrite a file another process created meanwhile; 0600: readable by the service's user only.
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600); // the mode above is filtered by the umask
  log.info({ file }, 'created the master key that encrypts channel keys; back it up apart from the database');
  return new SecretBox(key, source);
}
