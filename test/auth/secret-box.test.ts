// The SecretBox (AES-256-GCM sealing of secrets at rest) and where its master key comes from.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  SecretBox,
  SecretBoxError,
  SecretKeyMismatchError,
  masterKeyId,
  parseMasterKey,
  sealedKeyId,
} from '../../src/auth/secret-box.js';
import { loadSecretBox, SecretKeyError } from '../../src/auth/master-key.js';
import { ConfigError, loadConfig } from '../../src/config.js';

const KEY = Buffer.alloc(32, 1);
const OTHER = Buffer.alloc(32, 2);

describe('SecretBox', () => {
  it('seals with a fresh nonce each time and opens what it sealed', () => {
    const box = new SecretBox(KEY);
    const a = box.seal('channel-key', 'sk-live-secret-123');
    const b = box.seal('channel-key', 'sk-live-secret-123');
    expect(a).not.toBe(b);
    expect(a).toMatch(new RegExp(`^v1:${masterKeyId(KEY)}:[A-Za-z0-9_-]+$`));
    expect(a).not.toContain('sk-live');
    expect(box.open('channel-key', a)).toBe('sk-live-secret-123');
    expect(box.open('channel-key', b)).toBe('sk-live-secret-123');
    expect(box.open('x', box.seal('x', ''))).toBe('');
    expect(box.open('x', box.seal('x', '密钥 🔑'))).toBe('密钥 🔑');
    expect(sealedKeyId(a)).toBe(box.keyId);
  });

  it('refuses altered values, other purposes and other formats', () => {
    const box = new SecretBox(KEY);
    const sealed = box.seal('channel-key', 'sk-live-secret-123');
    const body = Buffer.from(sealed.split(':')[2]!, 'base64url');
    body[14]! ^= 1;
    const altered = `v1:${box.keyId}:${body.toString('base64url')}`;
    expect(() => box.open('channel-key', altered)).toThrow(/altered or damaged/);
    expect(() => box.open('webhook-secret', sealed)).toThrow(SecretBoxError);
    expect(() => box.open('channel-key', 'sk-plaintext')).toThrow(/not a sealed value/);
    expect(() => box.open('channel-key', `v1:${box.keyId}:AAAA`)).toThrow(/truncated/);
  });

  it('names the master key mismatch, and opens with a previous key during a rotation', () => {
    const old = new SecretBox(KEY, 'RELAY_SECRET_KEY');
    const sealed = old.seal('channel-key', 'sk-1');
    const other = new SecretBox(OTHER, 'RELAY_SECRET_KEY');
    let error: unknown;
    try {
      other.open('channel-key', sealed);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SecretKeyMismatchError);
    expect((error as Error).message).toBe(
      `RELAY_SECRET_KEY does not match the one they were written with (written with master key ${masterKeyId(KEY)}, this one is ${masterKeyId(OTHER)})`,
    );
    const rotating = new SecretBox(OTHER, 'RELAY_SECRET_KEY', [KEY]);
    expect(rotating.open('channel-key', sealed)).toBe('sk-1');
    expect(rotating.isStale(sealed)).toBe(true);
    expect(rotating.isStale(rotating.seal('channel-key', 'sk-1'))).toBe(false);
    expect(() => new SecretBox(Buffer.alloc(16))).toThrow(RangeError);
  });

  it('reads a master key as hex, base64 or base64url, and nothing else', () => {
    const key = randomBytes(32);
    expect(parseMasterKey(key.toString('hex'))).toEqual(key);
    expect(parseMasterKey(` ${key.toString('base64')}\n`)).toEqual(key);
    expect(parseMasterKey(key.toString('base64url'))).toEqual(key);
    for (const bad of ['', 'secret', key.toString('hex').slice(2), randomBytes(31).toString('base64'), randomBytes(33).toString('hex')]) {
      expect(parseMasterKey(bad), bad).toBeUndefined();
    }
  });

  it('RELAY_SECRET_KEY is checked with the config, with a message saying how to make one', () => {
    expect(loadConfig({ RELAY_SECRET_KEY: KEY.toString('base64') }).secretKey).toEqual(KEY);
    expect(loadConfig({}).secretKey).toBeUndefined();
    expect(loadConfig({}).secretKeyFile).toBe('./data/secret.key');
    expect(loadConfig({ RELAY_SECRET_KEY_FILE: '/run/secrets/relay' }).secretKeyFile).toBe('/run/secrets/relay');
    expect(() => loadConfig({ RELAY_SECRET_KEY: 'hunter2' })).toThrow(ConfigError);
    expect(() => loadConfig({ RELAY_SECRET_KEY: 'hunter2' })).toThrow(
      'configuration: RELAY_SECRET_KEY must be 32 random bytes as base64 (44 characters) or hex (64 characters); generate one with `openssl rand -base64 32`',
    );
  });
});

describe('the master key at start', () => {
  let dir: string;
  const warnings: string[] = [];
  const infos: string[] = [];
  const log = { info: (_: object, msg: string) => void infos.push(msg), warn: (_: object, msg: string) => void warnings.push(msg) };
  const sqlite = (sealedWith?: string) => ({ kind: 'sqlite' as const, sealedWith: async () => sealedWith });
  const postgres = { kind: 'postgresql' as const, sealedWith: async () => undefined };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'relay-key-'));
    warnings.length = 0;
    infos.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('uses RELAY_SECRET_KEY when set, and never writes a file then', async () => {
    const file = join(dir, 'secret.key');
    const box = await loadSecretBox({ secretKey: KEY, secretKeyFile: file }, postgres, log);
    expect(box.keyId).toBe(masterKeyId(KEY));
    expect(box.source).toBe('RELAY_SECRET_KEY');
    expect(existsSync(file)).toBe(false);
  });

  it('creates the key file on the first SQLite start (mode 0600), and reads it back afterwards', async () => {
    const file = join(dir, 'nested', 'secret.key');
    const first = await loadSecretBox({ secretKey: undefined, secretKeyFile: file }, sqlite(), log);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(parseMasterKey(readFileSync(file, 'utf8'))).toBeDefined();
    expect(infos).toEqual(['created the master key that encrypts channel keys; back it up apart from the database']);
    const again = await loadSecretBox({ secretKey: undefined, secretKeyFile: file }, sqlite(first.keyId), log);
    expect(again.keyId).toBe(first.keyId);
    expect(again.open('p', first.seal('p', 'x'))).toBe('x');
    expect(again.source).toBe(`the key file ${file}`);
    expect(warnings).toEqual([]);
    chmodSync(file, 0o644);
    await loadSecretBox({ secretKey: undefined, secretKeyFile: file }, sqlite(first.keyId), log);
    expect(warnings).toEqual(['the secret key file can be read by other users; restrict it with chmod 600']);
  });

  it('refuses to start on PostgreSQL without a key, saying what to do', async () => {
    const file = join(dir, 'secret.key');
    const start = loadSecretBox({ secretKey: undefined, secretKeyFile: file }, postgres, log);
    await expect(start).rejects.toThrow(SecretKeyError);
    await expect(start).rejects.toThrow(/same on every instance.*Set RELAY_SECRET_KEY.*openssl rand -base64 32.*without it the channel keys are lost/);
    expect(existsSync(file)).toBe(false);
    // A key file present on every instance is enough.
    writeFileSync(file, KEY.toString('hex'), { mode: 0o600 });
    expect((await loadSecretBox({ secretKey: undefined, secretKeyFile: file }, postgres, log)).keyId).toBe(masterKeyId(KEY));
  });

  it('never invents a new key for a database that holds sealed keys, nor reads a damaged file', async () => {
    const file = join(dir, 'secret.key');
    await expect(loadSecretBox({ secretKey: undefined, secretKeyFile: file }, sqlite('0a1b2c3d'), log)).rejects.toThrow(
      `the database holds channel keys encrypted with master key 0a1b2c3d, but RELAY_SECRET_KEY is unset and ${file} does not exist`,
    );
    expect(existsSync(file)).toBe(false);
    writeFileSync(file, 'not a key', { mode: 0o600 });
    await expect(loadSecretBox({ secretKey: undefined, secretKeyFile: file }, sqlite(), log)).rejects.toThrow(
      /does not hold a 32-byte key/,
    );
  });
});
