// Channel health checks: one cheap request per key through the channel's adapter. Used by POST /api/channels/:id/test
// and by the periodic re-test that re-enables auto-disabled channels (option channelRetestSeconds).
import type { Db } from '../db/client.js';
import type { InvalidationBus } from '../cache/bus.js';
import { adapterFor } from '../providers/registry.js';
import { usableKeys, type ChannelRecord } from './channels.js';
import { parseChannelRow } from '../services/channels.js';
import { readText, type Forwarder } from './forward.js';

export interface KeyTestResult {
  keyIndex: number;
  ok: boolean;
  status: number | null;
  responseTimeMs: number;
  message: string;
}

export interface ChannelTestResult {
  ok: boolean;
  /** The channel's status after the test (a passing auto-disabled channel is re-enabled). */
  channelStatus: string;
  responseTimeMs: number | null;
  keys: KeyTestResult[];
}

const TEST_TIMEOUT_MS = 20_000;

async function testKey(forwarder: Forwarder, channel: ChannelRecord, keyIndex: number, model: string): Promise<KeyTestResult> {
  const adapter = adapterFor(channel.type);
  const started = Date.now();
  if (!adapter) return { keyIndex, ok: false, status: null, responseTimeMs: 0, message: `unknown channel type ${channel.type}` };
  const key = keyIndex >= 0 ? channel.keys[keyIndex]! : '';
  const req = adapter.buildTestRequest({ baseUrl: channel.baseUrl, key, model: channel.modelMapping[model] ?? model, config: channel.config });
  try {
    const res = await forwarder.send(req, { ...channel.config, firstByteTimeoutMs: TEST_TIMEOUT_MS }, AbortSignal.timeout(TEST_TIMEOUT_MS));
    const body = await readText(res, 256 * 1024);
    const ms = Date.now() - started;
    if (res.status < 300) return { keyIndex, ok: true, status: res.status, responseTimeMs: ms, message: 'ok' };
    return { keyIndex, ok: false, status: res.status, responseTimeMs: ms, message: adapter.parseError(res.status, body).message };
  } catch (err) {
    return { keyIndex, ok: false, status: null, responseTimeMs: Date.now() - started, message: (err as Error).message };
  }
}

/**
 * Tests every key of the channel (disabled keys included, so they can come back) with its first model. Keys that pass
 * are re-enabled; an auto-disabled channel with a passing key is enabled again. A channel the admin disabled by hand
 * stays disabled.
 */
export async function testChannel(db: Db, bus: InvalidationBus, forwarder: Forwarder, channelId: number): Promise<ChannelTestResult | null> {
  const row = await db.prisma.channel.findUnique({ where: { id: channelId } });
  if (!row) return null;
  const channel = parseChannelRow(row);
  const model = channel.models[0] ?? 'gpt-4o-mini';
  const indexes = channel.keys.length ? channel.keys.map((_, i) => i) : [-1];
  const keys = await Promise.all(indexes.map((i) => testKey(forwarder, channel, i, model)));
  const disabledKeys = { ...channel.disabledKeys };
  for (const k of keys) if (k.ok) delete disabledKeys[k.keyIndex];
  const ok = keys.some((k) => k.ok);
  const reenable = ok && channel.status === 'auto_disabled';
  const passing = keys.filter((k) => k.ok);
  const responseTimeMs = passing.length ? Math.round(passing.reduce((s, k) => s + k.responseTimeMs, 0) / passing.length) : null;
  await db.prisma.channel.update({
    where: { id: channelId },
    data: {
      testedAt: new Date(),
      responseTimeMs,
      disabledKeys: JSON.stringify(disabledKeys),
      ...(reenable ? { status: 'enabled', disabledReason: null, disabledAt: null } : {}),
    },
  });
  bus.publish('channels');
  return { ok, channelStatus: reenable ? 'enabled' : channel.status, responseTimeMs, keys };
}

/** Channels the periodic re-test looks at: auto-disabled ones, and enabled ones with disabled keys. */
export function needsRetest(channel: ChannelRecord): boolean {
  if (channel.config.autoReenable === false) return false;
  if (channel.status === 'auto_disabled') return true;
  return channel.status === 'enabled' && usableKeys(channel).length < Math.max(1, channel.keys.length);
}
