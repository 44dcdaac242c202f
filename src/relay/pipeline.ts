// The relay pipeline for one admitted call: route → attempt (retrying other channels while nothing reached the client)
// → settle → finish the response. Attempts return how they ended; whatever happens (upstream error, client disconnect,
// a bug), the reservation is settled or refunded exactly once, here, and the usage log row is written in the same
// transaction.
import type { FastifyBaseLogger } from 'fastify';
import { RelayError } from '../errors.js';
import type { Ledger, UsageLogEntry } from '../billing/ledger.js';
import { costOf, priceAt, promptOf } from '../billing/cost.js';
import { billedUsage, type BilledUsage } from '../billing/billed-usage.js';
import type { UsageSource } from '../billing/usage-log.js';
import { scrubSecrets } from '../auth/redact.js';
import { formatDecimal } from '../billing/decimal.js';
import type { OptionsStore } from '../services/options.js';
import type { AttemptRecord, RelayCall } from './call.js';
import type { ChannelRouter, RouteChoice } from './channels.js';
import type { ResponseSink } from './sink.js';
import { attempt, clientGone, OperatorDetailError, type AttemptDeps, type AttemptResult } from './attempt.js';
import { inStreamError } from './error-formats.js';
import { affinityOf } from './affinity.js';
import type { Usage } from '../providers/types.js';
import type { RelayRateLimiter } from './rate-limits.js';

export interface PipelineDeps extends AttemptDeps {
  channels: ChannelRouter;
  ledger: Ledger;
  options: OptionsStore;
  log: FastifyBaseLogger;
  /** The upstream said a key is invalid or out of credit. */
  disableChannel(choice: RouteChoice, reason: string): Promise<void>;
  rateLimits: RelayRateLimiter;
  /** Every attempt's outcome, for channel health and the circuit breaker (relay/breaker.ts). Never throws. */
  attempted?(choice: RouteChoice, result: AttemptResult, ms: number): void;
  /** A Responses call whose answer can be referred back to (by response id, natively; by item ids, translated). */
  remember?(call: RelayCall): Promise<void>;
}

export interface CallOutcome {
  status: 'ok' | 'error';
  /** The error as the caller was told it. */
  error?: RelayError;
  charged: number;
  /** Cost the balance could not cover: written off, not charged (the usage log's writeOff). */
  writeOff: number;
  /** The token counts billed, and where they came from. */
  usage: Usage;
  usageSource: UsageSource;
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
  // A call the upstream finished is billed as finished, also when its client hung up before the answer went out.
  const finished = result.outcome === 'done';
  const error = result.outcome !== 'done' ? result.error : sink.gone ? abandoned() : undefined;
  const told = error && publicError(error, call);
  sink.flush(); // what the stream wrote leaves now, not after the commit settle may run in this very tick
  // The last bytes (the held answer, a stream's closing events, the error) go out only once the charge is recorded, the
  // rate limit slot is free and a Responses answer is remembered, so a client that acts the moment it has them (reads
  // its balance, calls again, follows up) finds all three done. When only the charge is left and the ledger commits it
  // in this very turn (SQLite, nobody to share the commit with), they go out first: nothing else can run before the
  // commit, and the answer does not wait for the database.
  const remembers = Boolean(deps.remember && (call.upstreamId || call.inbound?.outputItems?.()));
  const answerFirst = !call.rateLimit && !remembers && deps.ledger.commitsInTurn?.(call.id) === true;
  // A sink that throws on the last bytes must not cost the charge: the settle runs first, the throw comes after.
  let unsent: { error: unknown } | undefined;
  if (answerFirst) {
    try {
      finishResponse(call, sink, told);
    } catch (err) {
      unsent = { error: err };
    }
  }
  const settled = await settle(deps, call, finished, told, told !== error ? error!.message : '');
  if (unsent) throw unsent.error;
  // Its slot is free and its tokens per minute are what it was billed before the client reads the end of the answer
  // (a client that calls again at once must not find its own finished call still counted).
  if (call.rateLimit) await deps.rateLimits.finish(call.rateLimit, tokensOf(settled.usage));
  // Before the answer's last bytes too: a client may send its follow-up the moment it has read them.
  if (remembers) await deps.remember!(call).catch((err) => deps.log.error({ err, requestId: call.id }, 'could not remember where the response is stored'));
  if (!answerFirst) finishResponse(call, sink, told);
  const outcome = { attempts: call.attempts, ...settled }; // the spread last: V8's fast path (providers/json.ts withFields)
  return told ? { status: 'error', error: told, ...outcome } : { status: 'ok', ...outcome };
}

/** The response's last bytes: the error, the held answer, or a stream's closing events and its end. */
function finishResponse(call: RelayCall, sink: ResponseSink, told: RelayError | undefined): void {
  if (told) {
    const format = call.format;
    if (!sink.gone) sink.fail(told, (e) => (format === 'text' ? '' : inStreamError(e, format, (call.sequence ?? -1) + 1)));
  } else if (call.pendingBody !== undefined) sink.json(200, call.pendingBody.body, call.pendingBody.contentType);
  else {
    if (call.pendingTail && !sink.started) sink.start();
    sink.end(call.pendingTail); // a client gone by now changes nothing: it is billed
  }
}

const tokensOf = (u: Usage): number => u.promptTokens + u.completionTokens + u.cacheReadTokens + u.cacheWriteTokens;

const abandoned = () =>
  new RelayError('invalid_request', 'client closed the connection before the answer was sent; the upstream finished it, so it is billed', 499);

/**
 * What the caller is told. Words that are the operator's business (an upstream's own text, keys already scrubbed from
 * it; the channels and why they are down) are for admins: a user gets a generic message with the request id, and the
 * full text stays in the usage log's admin-only `detail`. An upstream that refused the request itself (too long, a bad
 * parameter) is the client's to fix, so its reason is passed on; so are the relay's own words (a timeout, …).
 */
function publicError(err: RelayError, call: RelayCall): RelayError {
  if (call.payer.admin || !(err instanceof OperatorDetailError) || err.clientsToFix) return err;
  const next = `try again later, or give the administrator the request id ${call.id}`;
  if (err.code === 'no_channel') return new RelayError('no_channel', `model ${call.model} is not available right now: no channel can serve it; ${next}`);
  const what = err.status === 429 ? 'the upstream service is busy (rate limited)' : 'the upstream service could not complete this request';
  return new RelayError(err.code, `${what}; ${next}`, err.status, err.details);
}

/** Routes the call and runs attempts until one delivers, one fails the call, or the plan or the retries run out. */
async function forward(deps: PipelineDeps, call: RelayCall, sink: ResponseSink): Promise<AttemptResult> {
  let plan: RouteChoice[];
  if (call.pinned) {
    // A Responses follow-up: only the upstream that stored the conversation can continue it.
    const { channelId, keyId, why } = call.pinned;
    const pinned = deps.channels.pinned(call.payer.group, call.model, channelId, keyId);
    if (!pinned) {
      const message = `${why} is not available for model ${call.model} now; send the whole conversation in input instead of previous_response_id`;
      return { outcome: 'failed', error: new RelayError('no_channel', message) };
    }
    plan = [pinned];
  } else plan = deps.channels.plan(call.payer.group, call.model, affinityOf(call));
  if (plan.length === 0) {
    const all = deps.channels.serving(call.payer.group, call.model);
    // Reasons are upstream text (scrubbed when recorded; again here for rows an older version wrote).
    const reason = (c: (typeof all)[number]) =>
      c.disabledReason ? ` (${scrubSecrets(c.disabledReason, deps.secrets())})` : deps.channels.coolingDown(c) ? ' (cooling down after failures: circuit breaker open)' : '';
    const reasons = all.map((c) => `${c.name}: ${c.status}${reason(c)}`).join('; ');
    const message = `no channel is available for model ${call.model} in group ${call.payer.group}${reasons ? ` — ${reasons}` : ''}`;
    return { outcome: 'failed', error: new OperatorDetailError('no_channel', message, 503, {}) };
  }
  const maxAttempts = 1 + deps.options.current.retryCount;
  const queue = plan; // a fresh array per call: ours to consume
  const debug = deps.log.level === 'debug' || deps.log.level === 'trace'; // spares building log objects that would be dropped
  let last: AttemptResult | undefined;
  while (queue.length > 0 && call.attempts.length < maxAttempts) {
    const choice = queue.shift()!;
    if (sink.gone) return { outcome: 'failed', error: clientGone() };
    call.route = choice;
    // A failed attempt before the first byte leaves nothing to bill: start each one clean.
    call.usage = undefined;
    call.generated = '';
    call.pendingTail = undefined;
    if (debug) deps.log.debug({ requestId: call.id, channel: choice.channel.id, key: choice.keyId, attempt: call.attempts.length + 1, model: choice.upstreamModel }, 'route');
    const started = Date.now();
    const result = await attempt(deps, call, choice, sink);
    const ms = Date.now() - started;
    call.attempts.push(recordOf(choice, result, ms));
    deps.attempted?.(choice, result, ms);
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
    if (result.fault) record.fault = result.fault;
  }
  return record;
}

/**
 * The usage log's `attempts` column: every attempt when there was more than one (a failover), else null. Channel and
 * key by id, the upstream's status (or the relay's, when it never answered), the error code and the time taken.
 */
export function attemptsJson(attempts: readonly AttemptRecord[]): string | null {
  if (attempts.length < 2) return null;
  return JSON.stringify(
    attempts.map((a) => ({ channelId: a.channelId, keyId: a.keyId, status: a.upstreamStatus ?? a.status, code: a.code, ...(a.fault ? { fault: a.fault } : {}), ms: a.ms })),
  );
}

type Settled = Pick<CallOutcome, 'charged' | 'writeOff' | 'usage' | 'usageSource'>;

/**
 * `error`: as the caller was told it; `detail`: the fuller (scrubbed) text only admins see, when it differs.
 * Synchronous up to the ledger's settle (no await before it): runCall's answer-first path counts on that.
 */
async function settle(deps: PipelineDeps, call: RelayCall, finished: boolean, error: RelayError | undefined, detail: string): Promise<Settled> {
  const billed = billedUsage(call, finished);
  const nothing = { charged: 0, writeOff: 0, usage: billed.usage, usageSource: billed.source };
  if (call.reserved === undefined || !call.price || !call.group) return nothing; // never admitted: nothing held
  try {
    const cost = costOf(call.price, call.group.ratio, billed);
    const result = await deps.ledger.settle(call.id, cost, logEntry(call, finished, billed, error, detail));
    return { charged: result.charged, writeOff: result.shortfall, usage: billed.usage, usageSource: billed.source };
  } catch (err) {
    // The hold stays in the table; the sweeper releases it later. Never lose the error.
    deps.log.error({ err, requestId: call.id }, 'settle failed; the reservation will be released by the sweeper');
    return nothing;
  }
}

function logEntry(call: RelayCall, finished: boolean, billed: BilledUsage, error: RelayError | undefined, detail: string): UsageLogEntry {
  const now = Date.now();
  const { usage } = billed;
  const price = call.price ? priceAt(call.price, promptOf(usage)) : undefined; // the tier the call was billed at
  return {
    requestId: call.id,
    type: finished || call.committed ? 'consume' : 'error',
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
    modelRatio: price ? formatDecimal(price.modelRatio) : '',
    completionRatio: price ? formatDecimal(price.completionRatio) : '',
    stream: call.stream,
    latencyMs: now - call.startedAt,
    ttftMs: call.firstByteAt !== undefined ? call.firstByteAt - call.startedAt : null,
    status: error ? 'error' : 'ok',
    content: error ? `${error.code}: ${error.message}`.slice(0, 1000) : '',
    group: call.payer.group,
    usageSource: billed.source,
    detail: detail.slice(0, 2000),
    attempts: attemptsJson(call.attempts),
  };
}
