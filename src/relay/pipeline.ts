// The relay pipeline for one admitted call: route → attempt (retrying other channels while nothing reached the client)
// → meter → settle → log. `settle` sits in a finally: whatever happens (upstream error, client disconnect, a bug), the
// reservation is settled or refunded exactly once, here, and the usage log row is written in the same transaction.
import type { FastifyBaseLogger } from 'fastify';
import { RelayError } from '../errors.js';
import type { Ledger, UsageLogEntry } from '../billing/ledger.js';
import { costOf } from '../billing/cost.js';
import { billedUsage } from '../billing/billed-usage.js';
import { formatDecimal } from '../billing/decimal.js';
import type { OptionsStore } from '../services/options.js';
import type { RelayCall } from './call.js';
import { usableKeys, type ChannelRouter, type RouteChoice } from './channels.js';
import type { ResponseSink } from './sink.js';
import { attempt, AttemptError, StreamFailed, type AttemptDeps } from './attempt.js';
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
}

export async function runCall(deps: PipelineDeps, call: RelayCall, sink: ResponseSink): Promise<CallOutcome> {
  let error: RelayError | undefined;
  let told = false;
  try {
    await forward(deps, call, sink);
  } catch (err) {
    if (err instanceof StreamFailed) {
      error = err.error;
      told = err.told;
    } else {
      error = err instanceof RelayError ? err : err instanceof AttemptError ? err.error : undefined;
      if (!error) {
        deps.log.error({ err, requestId: call.id }, 'relay call failed unexpectedly');
        error = new RelayError('internal_error', `internal error (request id ${call.id})`);
      }
    }
  }
  const { charged, usage } = await settle(deps, call, error);
  // The last bytes go out only after the charge is recorded, so a client that reads its balance right after the answer
  // (or an error) sees it settled.
  if (error) {
    if (!sink.signal.aborted) sink.fail(error, (e) => (told ? '' : inStreamError(e, call.format)));
  } else if (call.pendingBody !== undefined) sink.json(200, call.pendingBody.body, call.pendingBody.contentType);
  else {
    if (call.pendingTail && !sink.started) sink.start();
    sink.end(call.pendingTail); // a client gone by now changes nothing: it is billed
  }
  return error ? { status: 'error', error, charged, usage } : { status: 'ok', charged, usage };
}

async function forward(deps: PipelineDeps, call: RelayCall, sink: ResponseSink): Promise<void> {
  const plan = deps.channels.plan(call.payer.group, call.model);
  if (plan.length === 0) {
    const all = deps.channels.serving(call.payer.group, call.model);
    const reasons = all.map((c) => `${c.name}: ${c.status}${c.disabledReason ? ` (${c.disabledReason})` : ''}`).join('; ');
    throw new RelayError('no_channel', `no channel is available for model ${call.model} in group ${call.payer.group}${reasons ? ` — ${reasons}` : ''}`);
  }
  const maxAttempts = 1 + deps.options.current.retryCount;
  const queue = plan; // a fresh array per call: ours to consume
  const tried: RouteChoice[] = [];
  const debug = deps.log.level === 'debug' || deps.log.level === 'trace'; // spares building log objects that would be dropped
  let last: AttemptError | undefined;
  while (queue.length > 0 && call.attempts < maxAttempts) {
    const choice = queue.shift()!;
    if (sink.signal.aborted) throw new RelayError('invalid_request', 'client closed the connection', 499);
    call.route = choice;
    call.attempts++;
    // A failed attempt before the first byte leaves nothing to bill: start each one clean.
    call.usage = undefined;
    call.generated = '';
    call.pendingTail = undefined;
    tried.push(choice);
    if (debug) deps.log.debug({ requestId: call.id, channel: choice.channel.id, key: choice.keyIndex, attempt: call.attempts, model: choice.upstreamModel }, 'route');
    try {
      await attempt(deps, call, choice, sink);
      return;
    } catch (err) {
      if (!(err instanceof AttemptError)) throw err;
      if (debug) deps.log.debug({ requestId: call.id, channel: choice.channel.id, retriable: err.retriable, error: err.message }, 'attempt failed');
      if (err.disableReason) {
        if (deps.options.current.autoDisableChannels) {
          await deps.disableChannel(choice, err.disableReason).catch((e) => deps.log.error({ err: e }, 'could not disable channel'));
        }
        // A bad key says nothing about the channel's other keys: try one of them next.
        const other = usableKeys(choice.channel).find((k) => !tried.some((c) => c.channel.id === choice.channel.id && c.keyIndex === k));
        if (other !== undefined && other >= 0) queue.unshift({ ...choice, keyIndex: other, key: choice.channel.keys[other]! });
      }
      if (!err.retriable || call.committed) throw err;
      last = err;
    }
  }
  throw last!;
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
