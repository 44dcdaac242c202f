// Secrets the relay must send on (channel keys today; payment-provider and webhook secrets later) are stored sealed
// with AES-256-GCM under a master key kept outside the database, so a dump or a backup alone reveals none of them.
// Keys the relay only has to recognise (relay tokens, management keys) are hashed instead (secrets.ts).
//
// A sealed value reads "v1:<master key id>:<base64url(nonce ‖ ciphertext ‖ tag)>". `v1` names the format; the key id
// (a hash of the master key that reveals nothing about it) says which master key wrote the value, so a wrong master key
// is told apart from a damaged value, and a rotation can re-seal value by value while both keys are known. The purpose
// ("channel-key", …) and the header are authenticated too: a value sealed for one purpose does not open as another.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const MASTER_KEY_BYTES = 32;

/** A value that is not a sealed value, or was altered: it must never be used. */
export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

/** A value sealed under a master key this box does not hold. */
export class SecretKeyMismatchError extends SecretBoxError {
  override name = 'SecretKeyMismatchError';
  constructor(
    /** The id of the master key that sealed the value. */
    readonly writtenWith: string,
    /** The id of this box's master key. */
    readonly current: string,
    /** Where this box's master key came from ("RELAY_SECRET_KEY", "the key file …"). */
    readonly source: string,
  ) {
    super(`${source} does not match the one they were written with (written with master key ${writtenWith}, this one is ${current})`);
  }
}

/** 32 bytes given as base64 / base64url (43–44 characters) or hex (64 characters); undefined when it is neither. */
export function parseMasterKey(text: string): Buffer | undefined {
  const value = text.trim();
  if (/^[0-9a-f]{64}$/i.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) {
    const key = Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64');
    if (key.length === MASTER_KEY_BYTES) return key;
  }
  return undefined;
}

export const generateMasterKey = (): Buffer => randomBytes(MASTER_KEY_BYTES);

/** The master key's public name: 8 hex characters of a domain-separated hash (32 bits of a hash of 256 random bits). */
export function masterKeyId(key: Buffer): string {
  return createHash('sha256').update('relay-station master key id\0').update(key).digest('hex').slice(0, 8);
}

const header = (keyId: string): string => `${VERSION}:${keyId}:`;
const aad = (keyId: string, purpose: string): Buffer => Buffer.from(`${header(keyId)}${purpose}`, 'utf8');

export class SecretBox {
  /** The id of the master key new values are sealed with. */
  readonly keyId: string;
  readonly #keys = new Map<string, Buffer>();

  /**
   * @param key the master key (32 bytes)
   * @param source where it came from, named in errors ("RELAY_SECRET_KEY", "the key file ./data/secret.key")
   * @param previous older master keys that may still open values (a rotation in progress)
   */
  constructor(
    key: Buffer,
    readonly source = 'the master key',
    previous: Buffer[] = [],
  ) {
    for (const k of [key, ...previous]) {
      if (k.length !== MASTER_KEY_BYTES) throw new RangeError(`a master key is ${MASTER_KEY_BYTES} bytes, got ${k.length}`);
    }
    this.keyId = masterKeyId(key);
    this.#keys.set(this.keyId, key);
    for (const k of previous) if (!this.#keys.has(masterKeyId(k))) this.#keys.set(masterKeyId(k), k);
  }

  seal(purpose: string, plaintext: string): string {
    const nonce = randomBytes(NONCE_BYTES); // random per value: 2^-32 collision odds only after ~2^32 values
    const cipher = createCipheriv('aes-256-gcm', this.#keys.get(this.keyId)!, nonce);
    cipher.setAAD(aad(this.keyId, purpose));
    const body = Buffer.concat([nonce, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return header(this.keyId) + body.toString('base64url');
  }

  /** The plaintext, or a SecretBoxError (SecretKeyMismatchError when another master key sealed it). */
  open(purpose: string, sealed: string): string {
    const keyId = sealedKeyId(sealed);
    if (keyId === undefined) throw new SecretBoxError('not a sealed value (unknown format)');
    const key = this.#keys.get(keyId);
    if (!key) throw new SecretKeyMismatchError(keyId, this.keyId, this.source);
    const body = Buffer.from(sealed.slice(header(keyId).length), 'base64url');
    if (body.length < NONCE_BYTES + TAG_BYTES) throw new SecretBoxError('sealed value is truncated');
    const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, NONCE_BYTES));
    decipher.setAAD(aad(keyId, purpose));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(body.subarray(NONCE_BYTES, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError('sealed value was altered or damaged (authentication failed)');
    }
  }

  /** Sealed with an older master key (re-seal it with this one). */
  isStale(sealed: string): boolean {
    return sealedKeyId(sealed) !== this.keyId;
  }
}

/** The id of the master key that sealed the value; undefined when it is not a sealed value. */
export function sealedKeyId(sealed: string): string | undefined {
  return /^v1:([0-9a-f]{8}):/.exec(sealed)?.[1];
}
