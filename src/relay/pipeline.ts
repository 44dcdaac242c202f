// The relay pipeline for one admitted call: route → attempt (retrying other channels while nothing reached the client)
// → settle → finish the response. Attempts return how they ended; whatever happens (upstream error, client disconnect,
// a bug), the reservation is settled or refunded exactly once, here, and the usage log row is written in the same
// transaction.
import type { FastifyBaseLogger } from 'fastify';
import { RelayError } from '../errors.js';
import type { Ledger, UsageLogEntry } from '../billing/ledger.js';
import { costOf } from '../billing/cost.js';
import { billedUsage } from '../billing/billed-usage.js';
import { formatDecimal } from '../billing/decimal.js';
import type { OptionsStore } from '../services/options.js';
import type { AttemptRecord, RelayCall } from './call.js';
import type { ChannelRouter, RouteChoice } from './channels.js';
import type { ResponseSink } from './sink.js';
import { attempt, clientGone, type AttemptDeps, type AttemptResult } from './attempt.js';
import { inStreamError } from './error-formats.js';
import type { Usage } from '../providers/types.js';

export interface PipelineDeps extends AttemptDeps {
  channels: ChannelRouter;
  ledger: Ledger;
  options: OptionsStore;
  log: FastifyBaseLogger;
  /** The upstream said a key is invalid or out of credit. */
  disableChannel(choice: RouteChoice, reason: string): Promise<void>;
}

export interface CallOutcome {
  status: 'ok' | 'error';
  error?: RelayError;
  charged: number;
  /** The token counts billed. */
  usage: Usage;
  /** Every upstream attempt, in order. */
  attempts: readonly AttemptRecord[];
}

export async function runCall(deps: PipelineDeps, call: RelayCall, sink: ResponseSink): Promise<CallOutcome> {
  let result: AttemptResult;
  try {
    result = await forward(deps, call, sink);
  } catch (err) {
    // Every expected failure is a result; only a bug gets here. The call is still settled.
    deps.log.error({ err, requestId: call.id }, 'relay call failed unexpectedly');
    result = { outcome: 'failed', error: new RelayError('internal_error', `internal error (request id ${call.id})`) };
  }
  const error = result.outcome === 'done' ? undefined : result.error;
  const { charged, usage } = await settle(deps, call, error);
  // The last bytes go out only after the charge is recorded, so a client that reads its balance right after the answer
  // (or an error) sees it settled.
  if (error) {
    const told = result.outcome === 'failed' && result.told === true;
    const format = call.format;
    if (!sink.signal.aborted) sink.fail(error, (e) => (told || format === 'text' ? '' : inStreamError(e, format)));
  } else if (call.pendingBody !== undefined) sink.json(200, call.pendingBody.body, call.pendingBody.contentType);
  else {
    if (call.pendingTail && !sink.started) sink.start();
    sink.end(call.pendingTail); // a client gone by now changes nothing: it is billed
  }
  const { attempts } = call;
  return error ? { status: 'error', error, charged, usage, attempts } : { status: 'ok', charged, usage, attempts };
}

/** Routes the call and runs attempts until one delivers, one fails the call, or the plan or the retries run out. */
async function forward(deps: PipelineDeps, call: RelayCall, sink: ResponseSink): Promise<AttemptResult> {
  const plan = deps.channels.plan(call.payer.group, call.model);
  if (plan.length === 0) {
    const all = deps.channels.serving(call.payer.group, call.model);
    const reasons = all.map((c) => `${c.name}: ${c.status}${c.disabledReason ? ` (${c.disabledReason})` : ''}`).join('; ');
    const error = new RelayError('no_channel', `no channel is available for model ${call.model} in group ${call.payer.group}${reasons ? ` — ${reasons}` : ''}`);
    return { outcome: 'failed', error };
  }
  const maxAttempts = 1 + deps.options.current.retryCount;
  const queue = plan; // a fresh array per call: ours to consume
  const debug = deps.log.level === 'debug' || deps.log.level === 'trace'; // spares building log objects that would be dropped
  let last: AttemptResult | undefined;
  while (queue.length > 0 && call.attempts.length < maxAttempts) {
    const choice = queue.shift()!;
    if (sink.signal.aborted) return { outcome: 'failed', error: clientGone() };
    call.route = choice;
    // A failed attempt before the first byte leaves nothing to bill: start each one clean.
    call.usage = undefined;
    call.generated = '';
    call.pendingTail = undefined;
    if (debug) deps.log.debug({ requestId: call.id, channel: choice.channel.id, key: choice.keyId, attempt: call.attempts.length + 1, model: choice.upstreamModel }, 'route');
    const started = Date.now();
    const result = await attempt(deps, call, choice, sink);
    call.attempts.push(recordOf(choice, result, Date.now() - started));
    if (result.outcome === 'done') return result;
    if (debug) deps.log.debug({ requestId: call.id, channel: choice.channel.id, outcome: result.outcome, error: result.error.message }, 'attempt failed');
    if (result.disable) {
      if (deps.options.current.autoDisableChannels) {
        await deps.disableChannel(choice, result.disable).catch((e) => deps.log.error({ err: e }, 'could not disable channel'));
      }
      const sibling = otherKeyAfterBadKey(deps.channels, call, choice);
      if (sibling) queue.unshift(sibling);
    }
    if (result.outcome === 'failed' || call.committed) return result;
    last = result;
  }
  return last!; // attempts ran out: the client gets the last one's error
}

// ── Key failover ──────────────────────────────────────────────────────────────────────────────────────────────────
// A bad key says nothing about the channel's other keys: the next attempt is one of them not tried yet, whatever
// autoDisableChannels says (docs/lifecycle.md §6). The router picks it from the channel's usable keys.
function otherKeyAfterBadKey(channels: ChannelRouter, call: RelayCall, choice: RouteChoice): RouteChoice | undefined {
  const tried = new Set(call.attempts.filter((r) => r.channelId === choice.channel.id).map((r) => r.keyId));
  return channels.otherKey(choice, tried);
}
// ──────────────────────────────────────────────────────────────────────────────────────────────────────────────────

function recordOf(choice: RouteChoice, result: AttemptResult, ms: number): AttemptRecord {
  const record: AttemptRecord = { channelId: choice.channel.id, keyId: choice.keyId, outcome: result.outcome, code: 'ok', status: 200, ms };
  if (result.outcome !== 'done') {
    record.code = result.error.code;
    record.status = result.error.status;
    const upstream = result.error.details.upstream_status;
    if (typeof upstream === 'number') record.upstreamStatus = upstream;
  }
  return record;
}

async function settle(deps: PipelineDeps, call: RelayCall, error: RelayError | undefined): Promise<{ charged: number; usage: Usage }> {
  const billed = billedUsage(call, error !== undefined);
  if (call.reserved === undefined || !call.price || !call.group) return { charged: 0, usage: billed.usage }; // never admitted: nothing held
  try {
    const cost = costOf(call.price, call.group.ratio, billed);
    const result = await deps.ledger.settle(call.id, cost, logEntry(call, billed.usage, error));
    return { charged: result.charged, usage: billed.usage };
  } catch (err) {
    // The hold stays in the table; the sweeper releases it later. Never lose the error.
    deps.log.error({ err, requestId: call.id }, 'settle failed; the reservation will be released by the sweeper');
    return { charged: 0, usage: billed.usage };
  }
}

function logEntry(call: RelayCall, usage: Usage, error: RelayError | undefined): UsageLogEntry {
  const now = Date.now();
  return {
    requestId: call.id,
    type: error && !call.committed ? 'error' : 'consume',
    source: call.payer.source,
    userId: call.payer.userId,
    tokenId: call.payer.token?.id ?? null,
    tokenName: call.payer.token?.name ?? '',
    channelId: call.route?.channel.id ?? null,
    endpoint: call.endpoint,
    model: call.model,
    upstreamModel: call.route?.upstreamModel ?? '',
    promptTokens: usage.promptTokens,
    completionTokens: usage.completionTokens,
    cacheReadTokens: usage.cacheReadTokens,
    cacheWriteTokens: usage.cacheWriteTokens,
    groupRatio: call.group?.ratioText ?? '',
    modelRatio: call.price ? formatDecimal(call.price.modelRatio) : '',
    completionRatio: call.price ? formatDecimal(call.price.completionRatio) : '',
    stream: call.stream,
    latencyMs: now - call.startedAt,
    ttftMs: call.firstByteAt !== undefined ? call.firstByteAt - call.startedAt : null,
    status: error ? 'error' : 'ok',
    content: error ? `${error.code}: ${error.message}`.slice(0, 1000) : '',
    group: call.payer.group,
  };
}
