// Upgrading a database from the plaintext JSON key columns: the real start (startRelayStation) moves every key into
// sealed ChannelKey rows with its disabled state, routes with the same keys, leaves no plaintext in the database files,
// does it once, and refuses a master key other than the one the keys were sealed with.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import pg from 'pg';
import { createTestDatabase, dbKinds, TEST_ADMIN_KEY, TEST_SECRET_KEY, type TestDatabase } from '../helpers/context.js';
import { loadConfig } from '../../src/config.js';
import { openDb, sqlitePath } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';
import { startRelayStation, type RelayStation } from '../../src/main.js';
import { SecretKeyError } from '../../src/auth/master-key.js';
import { hashSecret, newRelayKey, visiblePrefix } from '../../src/auth/secrets.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import { rotateSecretKey, type Rotation } from '../../src/cli/rotate-secret-key.js';
import { SecretBox } from '../../src/auth/secret-box.js';
import { prepareChannelKeys } from '../../src/db/channel-keys-start.js';

/** The last migration before ChannelKey: the schema an older relay-station left behind. */
const BEFORE_CHANNEL_KEYS = '20261129052021_drop_usage_log_channel_index';

const K1 = 'sk-legacy-first-0000000000000000000001';
const K2 = 'sk-legacy-revoked-00000000000000000002';
const K3 = 'sk-legacy-third-0000000000000000000003';
const K4 = 'sk-legacy-nocredit-0000000000000000004';
const ALL = [K1, K2, K3, K4];

describe.each(dbKinds)('upgrading channel keys on %s', (kind) => {
  let database: TestDatabase;
  let up: FakeOpenAI;
  let dir: string;
  let relayKey: string;
  let multi: number;
  let dead: number;
  const logs: Array<{ msg: string; [k: string]: unknown }> = [];

  const env = (extra: Record<string, string> = {}) => ({
    DATABASE_URL: database.url,
    RELAY_ADMIN_KEY: TEST_ADMIN_KEY,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    // SQLite: the key file is created on the first start; PostgreSQL: the key must be given.
    ...(kind === 'sqlite' ? { RELAY_SECRET_KEY_FILE: join(dir, 'secret.key') } : { RELAY_SECRET_KEY: TEST_SECRET_KEY }),
    ...extra,
  });
  const start = (extra: Record<string, string> = {}): Promise<RelayStation> => {
    const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as { msg: string }) });
    return startRelayStation(loadConfig(env(extra)), log);
  };

  /** What the database holds on disk, where plaintext could survive an UPDATE. */
  async function databaseBytes(): Promise<string> {
    if (kind === 'sqlite') {
      const file = sqlitePath(database.url);
      return [file, `${file}-wal`].filter(existsSync).map((f) => readFileSync(f).toString('latin1')).join('');
    }
    const c = new pg.Client({ connectionString: database.url });
    await c.connect();
    try {
      await c.query('CHECKPOINT'); // dirty pages reach the files
      const { rows } = await c.query<{ bytes: Buffer }>(
        `SELECT pg_read_binary_file(pg_relation_filepath('"Channel"')) AS bytes`,
      );
      return rows[0]!.bytes.toString('latin1');
    } finally {
      await c.end();
    }
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'relay-upgrade-'));
    up = await startFakeOpenAI({ keys: ALL }); // the upstream would take even the disabled keys: only the relay's state keeps them out
    database = await createTestDatabase(kind);
    const db = await openDb(database.url);
    await migrate(db, { until: BEFORE_CHANNEL_KEYS });
    // Rows written in SQL: the client of today's schema would send (and read) columns the old schema lacks.
    const channel = async (name: string, type: string, models: string, keys: string, disabledKeys: string, disabled?: string) => {
      const status = disabled ? 'auto_disabled' : 'enabled';
      const at = disabled ? new Date() : null;
      await db.prisma.$executeRaw`INSERT INTO "Channel" ("name", "type", "baseUrl", "keys", "disabledKeys", "models", "groups", "status", "disabledReason", "disabledAt", "updatedAt")
        VALUES (${name}, ${type}, ${up.url}, ${keys}, ${disabledKeys}, ${models}, '["default"]', ${status}, ${disabled ?? null}, ${at}, ${new Date()})`;
      const [row] = await db.prisma.$queryRaw<{ id: number }[]>`SELECT "id" FROM "Channel" WHERE "name" = ${name}`;
      return Number(row!.id);
    };
    multi = await channel('multi', 'openai', '["gpt-4o-mini"]', JSON.stringify([K1, K2, K3]), '{"1":"invalid_key: revoked"}');
    dead = await channel('dead', 'openai', '["gpt-4o-mini"]', JSON.stringify([K4]), '{"0":"insufficient_quota: no credit"}', 'insufficient_quota: no credit');
    await channel('local', 'ollama', '["llama3"]', '[]', '{}');
    // Only the id back: the old schema lacks User columns added since (the client would read them all).
    const user = await db.prisma.user.create({ data: { username: 'old-user', quota: 10_000_000n }, select: { id: true } });
    relayKey = newRelayKey();
    await db.prisma.$executeRaw`INSERT INTO "Token" ("userId", "name", "keyHash", "keyPrefix") VALUES (${user.id}, 'old', ${hashSecret(relayKey)}, ${visiblePrefix(relayKey)})`;
    await db.close();
    // The old database does hold the keys in plaintext (else the check below would prove nothing).
    expect(await databaseBytes()).toContain(K2);
  });
  afterAll(async () => {
    await up?.close();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('moves every key with its disabled state, routes with the same keys, and leaves no plaintext behind', async () => {
    const station = await start();
    try {
      expect(logs.find((l) => l.msg.startsWith('channel keys moved'))).toMatchObject({ channels: 2, keys: 4 });
      const prisma = station.ctx.db.prisma;
      const keys = await prisma.channelKey.findMany({ orderBy: [{ channelId: 'asc' }, { position: 'asc' }] });
      expect(keys.map((k) => [k.channelId, k.position, k.mask, k.status, k.disabledReason])).toEqual([
        [multi, 0, 'sk-le…0001', 'enabled', null],
        [multi, 1, 'sk-le…0002', 'auto_disabled', 'invalid_key: revoked'],
        [multi, 2, 'sk-le…0003', 'enabled', null],
        [dead, 0, 'sk-le…0004', 'auto_disabled', 'insufficient_quota: no credit'],
      ]);
      expect(keys.map((k) => station.ctx.secrets.open('channel-key', k.secret))).toEqual(ALL);
      const channels = await prisma.channel.findMany({ orderBy: { id: 'asc' } });
      expect(channels.map((c) => [c.name, c.status, c.legacyKeys, c.legacyDisabledKeys])).toEqual([
        ['multi', 'enabled', '[]', '{}'],
        ['dead', 'auto_disabled', '[]', '{}'],
        ['local', 'enabled', '[]', '{}'],
      ]);

      await station.ctx.options.update({ modelRatios: { 'gpt-4o-mini': 1 }, completionRatios: { 'gpt-4o-mini': 1 } });
      for (let i = 0; i < 16; i++) {
        const res = await fetch(`${station.address}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${relayKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5 }),
        });
        expect(res.status).toBe(200);
        await res.text();
      }
      const sent = new Set(up.requests.map((r) => r.headers.authorization));
      expect([...sent].sort()).toEqual([`Bearer ${K1}`, `Bearer ${K3}`]);

      const bytes = await databaseBytes();
      for (const key of ALL) expect(bytes, key).not.toContain(key);
    } finally {
      await station.close();
    }
    const bytes = await databaseBytes();
    for (const key of ALL) expect(bytes, key).not.toContain(key);
  });

  it('a second start moves nothing and keeps the same keys', async () => {
    logs.length = 0;
    const station = await start();
    try {
      expect(logs.some((l) => l.msg.startsWith('channel keys moved'))).toBe(false);
      expect(await station.ctx.db.prisma.channelKey.count()).toBe(4);
      await station.relay.channels.ensureLoaded();
      expect([...station.relay.channels.secrets()].sort()).toEqual([...ALL].sort());
    } finally {
      await station.close();
    }
  });

  it('refuses to start with another master key, and (SQLite) will not replace a lost key file', async () => {
    const other = Buffer.alloc(32, 42).toString('base64');
    const wrong = start({ RELAY_SECRET_KEY: other });
    await expect(wrong).rejects.toThrow(SecretKeyError);
    await expect(wrong).rejects.toThrow(
      /^channel keys cannot be decrypted: RELAY_SECRET_KEY does not match the one they were written with \(written with master key [0-9a-f]{8}, this one is [0-9a-f]{8}\)/,
    );
    if (kind === 'sqlite') {
      const file = join(dir, 'secret.key');
      const saved = readFileSync(file);
      rmSync(file);
      await expect(start()).rejects.toThrow(/holds channel keys encrypted with master key [0-9a-f]{8}.*restore that file/);
      expect(existsSync(file)).toBe(false);
      writeFileSync(file, saved, { mode: 0o600 });
      const station = await start();
      await station.close();
    }
  });

  it('rotates the master key: every key re-sealed, the old key refused, the new one routes', async () => {
    const db = await openDb(database.url);
    const config = loadConfig(env());
    const oldKey = kind === 'sqlite' ? readFileSync(join(dir, 'secret.key'), 'utf8').trim() : TEST_SECRET_KEY;
    const next = Buffer.alloc(32, 77);
    let rotated: Rotation;
    try {
      const current = await prepareChannelKeys(config, db, { info() {}, warn() {}, error() {} });
      rotated = await rotateSecretKey(config, db, current, next);
      await expect(rotateSecretKey(config, db, new SecretBox(next), next)).rejects.toThrow(/nothing to rotate/);
    } finally {
      await db.close();
    }
    expect(rotated.keys).toBe(4);
    if (kind === 'sqlite') {
      expect(rotated.file).toBe(join(dir, 'secret.key'));
      expect(readFileSync(rotated.file!, 'utf8').trim()).toBe(next.toString('base64'));
      expect(existsSync(`${rotated.file}.new`)).toBe(false);
    } else {
      expect(rotated.file).toBeUndefined();
    }
    await expect(start({ RELAY_SECRET_KEY: oldKey })).rejects.toThrow(/^channel keys cannot be decrypted: RELAY_SECRET_KEY does not match/);
    const station = await start(kind === 'sqlite' ? {} : { RELAY_SECRET_KEY: next.toString('base64') });
    try {
      await station.relay.channels.ensureLoaded();
      expect([...station.relay.channels.secrets()].sort()).toEqual([...ALL].sort());
      const sealed = await station.ctx.db.prisma.channelKey.findMany();
      expect(sealed.every((k) => k.secret.startsWith(`v1:${rotated.keyId}:`))).toBe(true);
    } finally {
      await station.close();
    }
  });

  it.runIf(kind === 'sqlite')('npm run rotate-secret-key does it from the command line', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/rotate-secret-key.ts'], {
      cwd: root,
      env: { ...process.env, ...env({ LOG_LEVEL: 'silent' }) },
    });
    expect(stdout).toMatch(/^Re-encrypted 4 channel keys from master key [0-9a-f]{8} to [0-9a-f]{8}\.\nThe new key is in .*secret\.key\. Back it up now/);
    const station = await start();
    try {
      await station.relay.channels.ensureLoaded();
      expect(station.relay.channels.secrets().size).toBe(4);
    } finally {
      await station.close();
    }
  });
});
