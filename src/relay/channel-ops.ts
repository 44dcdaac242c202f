// Channel operations for admins, beyond one channel's test: test every channel at once (bounded concurrency), read a
// channel's model list from its upstream, and its upstream balance where the provider has an endpoint for it. Every
// upstream word shown to an admin has the channel's keys (and anything key-shaped) scrubbed out.
import { RelayError } from '../errors.js';
import { adapterFor } from '../providers/registry.js';
import type { UpstreamRequest } from '../providers/types.js';
import { loadChannel, loadChannels, type ChannelContext, type ChannelRecord } from '../services/channel-repository.js';
import { scrubSecrets } from '../auth/redact.js';
import { readText, type Forwarder } from './forward.js';
import { testChannel, type ChannelTestResult } from './channel-test.js';

const OPS_TIMEOUT_MS = 15_000;
/** Channels tested at once by test-all: enough to finish quickly, few enough not to look like a flood upstream. */
export const TEST_ALL_CONCURRENCY = 4;

export interface ChannelTestSummary extends ChannelTestResult {
  channelId: number;
  name: string;
}

/**
 * Tests every channel (admin-disabled ones excluded: an admin turned them off), at most `concurrency` at a time, and
 * reports each result as it completes (`onResult`, for progress). Results come back in channel order.
 */
export async function testAllChannels(
  ctx: ChannelContext,
  forwarder: Forwarder,
  opts: { concurrency?: number; onResult?: (result: ChannelTestSummary) => void } = {},
): Promise<ChannelTestSummary[]> {
  const channels = (await loadChannels(ctx)).filter((c) => c.status !== 'disabled');
  const results: Array<ChannelTestSummary | undefined> = new Array(channels.length);
  let next = 0;
  const worker = async () => {
    while (next < channels.length) {
      const i = next++;
      const channel = channels[i]!;
      const result = await testChannel(ctx, forwarder, channel.id);
      if (!result) continue; // deleted meanwhile
      results[i] = { channelId: channel.id, name: channel.name, ...result };
      opts.onResult?.(results[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? TEST_ALL_CONCURRENCY, channels.length) }, worker));
  return results.filter((r): r is ChannelTestSummary => r !== undefined);
}

async function channelOr404(ctx: ChannelContext, id: number): Promise<ChannelRecord> {
  const channel = await loadChannel(ctx, id);
  if (!channel) throw new RelayError('not_found', `channel ${id} not found`);
  return channel;
}

/** The first key that can be sent (a key-less channel: none needed). */
function keyOf(channel: ChannelRecord): string {
  if (channel.keys.length === 0) return '';
  const key = channel.keys.find((k) => k.status === 'enabled' && k.secret !== null) ?? channel.keys.find((k) => k.secret !== null);
  if (!key) throw new RelayError('invalid_request', `channel ${channel.id} has no key that can be opened`, 400);
  return key.secret!;
}

const secretsOf = (channel: ChannelRecord) => channel.keys.flatMap((k) => (k.secret ? [k.secret] : []));

/** GETs a JSON document from the channel's upstream with its credential; upstream errors come back scrubbed. */
async function getJson(forwarder: Forwarder, channel: ChannelRecord, req: UpstreamRequest): Promise<unknown> {
  const scrub = (text: string) => scrubSecrets(text, secretsOf(channel));
  const { 'content-type': _type, ...headers } = req.headers;
  let status: number;
  let text: string;
  try {
    const res = await forwarder.send({ method: 'GET', url: req.url, headers }, { ...channel.config, firstByteTimeoutMs: OPS_TIMEOUT_MS }, AbortSignal.timeout(OPS_TIMEOUT_MS));
    status = res.status;
    text = await readText(res, 4 * 1024 * 1024);
  } catch (err) {
    throw new RelayError('upstream_error', `the upstream could not be reached: ${scrub((err as Error).message)}`, 502);
  }
  if (status >= 300) {
    const adapter = adapterFor(channel.type);
    const message = adapter ? adapter.parseError(status, text).message : text.slice(0, 300);
    throw new RelayError('upstream_error', `the upstream answered HTTP ${status}: ${scrub(message).slice(0, 500)}`, 502, { upstream_status: status });
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new RelayError('upstream_error', 'the upstream answered with something that is not JSON', 502);
  }
}

/* ---------------------------------------------------------------- upstream models */

/**
 * The channel's model list as its upstream tells it: OpenAI-format `/models`, Anthropic `/v1/models`, Gemini
 * `/v1beta/models`. The URL and credential are the channel's own (its adapter's test request, with the path changed).
 */
export async function upstreamModels(ctx: ChannelContext, forwarder: Forwarder, id: number): Promise<string[]> {
  const channel = await channelOr404(ctx, id);
  const adapter = adapterFor(channel.type);
  if (!adapter) throw new RelayError('invalid_request', `unknown channel type ${channel.type}`, 400);
  if (channel.type === 'azure') throw notOffered('a model list', channel.type);
  const test = adapter.buildTestRequest({ baseUrl: channel.baseUrl, key: keyOf(channel), model: channel.models[0] ?? 'model', config: channel.config });
  const url = new URL(test.url);
  if (adapter.nativeFormat === 'gemini') url.pathname = url.pathname.replace(/\/models\/[^/]+$/, '/models');
  else if (adapter.nativeFormat === 'anthropic') url.pathname = url.pathname.replace(/\/messages$/, '/models');
  else url.pathname = url.pathname.replace(/\/chat\/completions$/, '/models');
  url.search = adapter.nativeFormat === 'gemini' ? 'pageSize=1000' : '';
  const body = (await getJson(forwarder, channel, { ...test, method: 'GET', url: url.toString() })) as Record<string, unknown>;
  const list = Array.isArray(body.data) ? body.data : Array.isArray(body.models) ? body.models : [];
  const ids = list.flatMap((m: unknown) => {
    const item = m as { id?: unknown; name?: unknown };
    const id = typeof item.id === 'string' ? item.id : typeof item.name === 'string' ? item.name.replace(/^models\//, '') : undefined;
    return id ? [id] : [];
  });
  return [...new Set(ids)].sort();
}

/* ---------------------------------------------------------------- balance */

export interface UpstreamBalance {
  /** The provider has a balance endpoint (false: `message` says so). */
  offered: boolean;
  /** What is left, in `currency`, as the upstream reports it. */
  balance?: number;
  currency?: string;
  /** Where the provider reports them: the credit or limit in all, and what was used of it. */
  total?: number;
  used?: number;
  message?: string;
}

const notOffered = (what: string, type: string) =>
  new RelayError('invalid_request', `${what} is not offered by this provider (channel type ${type})`, 400, { param: 'id' });

const num = (value: unknown): number | undefined => {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
};

/** Rounds to cents: providers report floats ("12.340000001"). */
const cents = (n: number) => Math.round(n * 100) / 100;

/**
 * The channel's upstream balance: OpenAI-compatible relays (`/v1/dashboard/billing/subscription` + `usage`),
 * DeepSeek (`/user/balance`), OpenRouter (`/api/v1/credits`), SiliconFlow (`/v1/user/info`). Other providers offer
 * none: `offered: false` with a message.
 */
export async function upstreamBalance(ctx: ChannelContext, forwarder: Forwarder, id: number, now = new Date()): Promise<UpstreamBalance> {
  const channel = await channelOr404(ctx, id);
  const root = channel.baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
  const key = keyOf(channel);
  const get = (url: string) => getJson(forwarder, channel, { method: 'GET', url, headers: key ? { authorization: `Bearer ${key}` } : {} });
  switch (channel.type) {
    case 'openai':
    case 'custom': {
      const sub = (await get(`${root}/v1/dashboard/billing/subscription`)) as { hard_limit_usd?: unknown };
      const day = (d: Date) => d.toISOString().slice(0, 10);
      const start = new Date(now.getTime() - 99 * 86_400_000);
      const end = new Date(now.getTime() + 86_400_000);
      const usage = (await get(`${root}/v1/dashboard/billing/usage?start_date=${day(start)}&end_date=${day(end)}`)) as { total_usage?: unknown };
      const total = num(sub.hard_limit_usd);
      const used = num(usage.total_usage); // in cents
      if (total === undefined || used === undefined) throw new RelayError('upstream_error', 'the upstream billing answer has no hard_limit_usd or total_usage', 502);
      return { offered: true, currency: 'USD', total, used: cents(used / 100), balance: cents(total - used / 100) };
    }
    case 'deepseek': {
      const body = (await get(`${root}/user/balance`)) as { balance_infos?: Array<{ currency?: unknown; total_balance?: unknown }> };
      const info = body.balance_infos?.[0];
      const balance = num(info?.total_balance);
      if (!info || balance === undefined) throw new RelayError('upstream_error', 'the upstream balance answer has no balance_infos', 502);
      return { offered: true, currency: typeof info.currency === 'string' ? info.currency : 'CNY', balance };
    }
    case 'openrouter': {
      const body = (await get(`${root}/v1/credits`)) as { data?: { total_credits?: unknown; total_usage?: unknown } };
      const total = num(body.data?.total_credits);
      const used = num(body.data?.total_usage);
      if (total === undefined || used === undefined) throw new RelayError('upstream_error', 'the upstream credits answer has no total_credits', 502);
      return { offered: true, currency: 'USD', total, used, balance: cents(total - used) };
    }
    case 'siliconflow': {
      const body = (await get(`${root}/v1/user/info`)) as { data?: { totalBalance?: unknown } };
      const balance = num(body.data?.totalBalance);
      if (balance === undefined) throw new RelayError('upstream_error', 'the upstream user info has no totalBalance', 502);
      return { offered: true, currency: 'CNY', balance };
    }
    default:
      return { offered: false, message: `a balance is not offered by this provider (channel type ${channel.type})` };
  }
}
