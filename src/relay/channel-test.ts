// Channel health checks: one cheap request per key through the channel's adapter. Used by POST /api/channels/:id/test
// and by the periodic re-test that re-enables auto-disabled channels (option channelRetestSeconds).
import { adapterFor } from '../providers/registry.js';
import type { ChannelRecord } from './channels.js';
import { loadChannel, recordTest, type ChannelContext, type ChannelKeyRecord } from '../services/channel-repository.js';
import { readText, type Forwarder } from './forward.js';
import { scrubSecrets } from '../auth/redact.js';

export interface KeyTestResult {
  /** The key's id; null for a key-less channel. */
  keyId: number | null;
  mask: string;
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

async function testKey(forwarder: Forwarder, channel: ChannelRecord, key: ChannelKeyRecord | null, model: string): Promise<KeyTestResult> {
  const adapter = adapterFor(channel.type);
  const started = Date.now();
  const result = { keyId: key?.id ?? null, mask: key?.mask ?? '' };
  if (!adapter) return { ...result, ok: false, status: null, responseTimeMs: 0, message: `unknown channel type ${channel.type}` };
  if (key && key.secret === null) {
    return { ...result, ok: false, status: null, responseTimeMs: 0, message: 'this key cannot be decrypted with the master key in use' };
  }
  const req = adapter.buildTestRequest({ baseUrl: channel.baseUrl, key: key?.secret ?? '', model: channel.modelMapping[model] ?? model, config: channel.config });
  // Admins read these messages, and an upstream may echo the key it was sent: no key leaves in them.
  const scrub = (text: string) => scrubSecrets(text, channel.keys.flatMap((k) => (k.secret ? [k.secret] : [])));
  try {
    const res = await forwarder.send(req, { ...channel.config, firstByteTimeoutMs: TEST_TIMEOUT_MS }, AbortSignal.timeout(TEST_TIMEOUT_MS));
    const body = await readText(res, 256 * 1024);
    const ms = Date.now() - started;
    if (res.status < 300) return { ...result, ok: true, status: res.status, responseTimeMs: ms, message: 'ok' };
    return { ...result, ok: false, status: res.status, responseTimeMs: ms, message: scrub(adapter.parseError(res.status, body).message) };
  } catch (err) {
    return { ...result, ok: false, status: null, responseTimeMs: Date.now() - started, message: scrub((err as Error).message) };
  }
}

/**
 * Tests every key of the channel (disabled keys included, so they can come back) with its first model. Keys the relay
 * disabled that pass are enabled again; an auto-disabled channel with a passing key is enabled again. A key or channel
 * an admin disabled stays disabled.
 */
export async function testChannel(ctx: ChannelContext, forwarder: Forwarder, channelId: number): Promise<ChannelTestResult | null> {
  const channel = await loadChannel(ctx, channelId);
  if (!channel) return null;
  const model = channel.models[0] ?? 'gpt-4o-mini';
  const targets = channel.keys.length ? channel.keys : [null];
  const keys = await Promise.all(targets.map((k) => testKey(forwarder, channel, k, model)));
  const passing = keys.filter((k) => k.ok);
  const responseTimeMs = passing.length ? Math.round(passing.reduce((s, k) => s + k.responseTimeMs, 0) / passing.length) : null;
  const status = await recordTest(ctx, channelId, {
    passedKeyIds: passing.flatMap((k) => (k.keyId === null ? [] : [k.keyId])),
    keylessPassed: channel.keys.length === 0 && passing.length > 0,
    responseTimeMs,
  });
  if (status === null) return null;
  return { ok: passing.length > 0, channelStatus: status, responseTimeMs, keys };
}

/** Channels the periodic re-test looks at: auto-disabled ones, and enabled ones with keys the relay disabled. */
export function needsRetest(channel: ChannelRecord): boolean {
  if (channel.config.autoReenable === false) return false;
  if (channel.status === 'auto_disabled') return true;
  return channel.status === 'enabled' && channel.keys.some((k) => k.status === 'auto_disabled');
}
