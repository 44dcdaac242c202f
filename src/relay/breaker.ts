// Channel health and the circuit breaker, per key (a key-less channel counts as one key).
//
// Every attempt is recorded here in memory: a rolling window (success rate, p50 latency) and the failures in a row of
// the kinds that mean "broken for now" (options.breakerFaults: 5xx, overloaded/529, timeouts, connection errors, 429).
// After `breakerThreshold` of them the breaker opens: the key's row gets cooldownUntil (30 s, then doubled after each
// failed probe, capped) and every instance's router reloads and skips it. Once that time has passed the key is
// half-open: one call on each instance (or the periodic re-test) is its probe; a success closes the breaker, a failure
// opens it again for twice as long. Errors meaning the key is dead (invalid key, no credit) are not the breaker's: the
// pipeline disables the key for good.
//
// The hot path never writes to the database: the cheap columns (failures in a row, last error and time) are saved in
// batches every few seconds; only opening and closing a breaker — incidents, rare — are written at once, with a
// conditional update that tells exactly one instance it started (or ended) the incident, so admins hear of it once.
import type { AttemptResult, Fault } from './attempt.js';
import { RelayError } from '../errors.js';
import type { BreakerRow, BreakerTarget } from '../services/channel-repository.js';

export interface BreakerSettings {
  /** Failures in a row that open the breaker. */
  threshold: number;
  /** The first cooldown; each failed probe doubles it, up to maxCooldownMs. */
  baseCooldownMs: number;
  maxCooldownMs: number;
  /** The kinds of failure counted. */
  faults: readonly Fault[];
}

export type BreakerState = 'closed' | 'open' | 'half_open';

/** What admins see of a key's (or a channel's) health. */
export interface HealthView {
  state: BreakerState;
  /** Attempts in the window (this instance, the last WINDOW_MS). */
  requests: number;
  /** Successful attempts / attempts in the window, 0..1; null without attempts. */
  successRate: number | null;
  /** Median latency of the window's successful attempts. */
  p50LatencyMs: number | null;
  consecutiveFailures: number;
  /** A classified reason ("overloaded (HTTP 529)", "timeout"): never upstream text, so never a key. */
  lastError: string | null;
  lastErrorAt: string | null;
  cooldownUntil: string | null;
}

export type Incident =
  | { kind: 'cooled'; target: BreakerTarget; until: number; failures: number; reason: string }
  | { kind: 'recovered'; target: BreakerTarget };

/** The repository's breaker writes (services/channel-repository.ts), bound to the app context. */
export interface BreakerStore {
  open(target: BreakerTarget, state: { until: Date; failures: number; reason: string; at: Date }): Promise<'opened' | 'extended' | null>;
  close(target: BreakerTarget): Promise<boolean>;
  saveCounts(rows: Array<BreakerTarget & { failures: number; lastError: string | null; lastErrorAt: number | null }>): Promise<void>;
}

export const WINDOW_MS = 5 * 60_000;
const WINDOW_MAX = 256;
/** How long a half-open key waits for its probe's answer before another call may probe it. */
const PROBE_LEASE_MS = 60_000;
const FLUSH_MS = 5_000;

interface Sample {
  at: number;
  ok: boolean;
  ms: number;
}

class Health {
  samples: Sample[] = [];
  failures = 0;
  lastError: string | null = null;
  lastErrorAt: number | null = null;
  /** This instance opened the breaker until then (before its router reloaded the row). */
  localUntil = 0;
  probeUntil = 0;
  dirty = false;
}

const NO_ROW: BreakerRow = { consecutiveFailures: 0, lastError: null, lastErrorAt: null, cooldownUntil: null };
const idOf = (t: BreakerTarget) => `${t.channelId}:${t.keyId ?? '-'}`;

/** The cooldown after `failures` in a row (threshold reached): base, doubled for each failure beyond, capped. */
export function cooldownMs(settings: BreakerSettings, failures: number): number {
  const doublings = Math.min(Math.max(failures - settings.threshold, 0), 30);
  return Math.min(settings.baseCooldownMs * 2 ** doublings, settings.maxCooldownMs);
}

/** A failure's classified reason: its kind and the upstream's status, never its words. */
export function reasonOf(result: Exclude<AttemptResult, { outcome: 'done' }>): string {
  const status = result.error.details.upstream_status;
  const kind = result.fault ?? (result.disable ? result.disable.split(':')[0]! : result.error.code);
  return typeof status === 'number' ? `${kind} (HTTP ${status})` : kind;
}

/** A channel test's answer for one key, as an attempt's result (a test passing closes the breaker like a call). */
export function probeResult(ok: boolean, status: number | null): AttemptResult {
  if (ok) return { outcome: 'done' };
  const fault: Fault | undefined =
    status === null ? 'connection' : status === 429 ? 'rate_limited' : status === 503 || status === 529 ? 'overloaded' : status >= 500 ? 'server_error' : undefined;
  const error = new RelayError('upstream_error', 'channel test failed', 502, status === null ? {} : { upstream_status: status });
  return fault ? { outcome: 'retry', error, fault } : { outcome: 'retry', error };
}

export class ChannelHealth {
  readonly #targets = new Map<string, Health>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;

  constructor(
    private readonly settings: () => BreakerSettings,
    private readonly store: BreakerStore,
    private readonly onIncident: (incident: Incident) => void,
    private readonly onError: (err: unknown) => void,
    private readonly now: () => number = Date.now,
  ) {}

  #health(target: BreakerTarget): Health {
    const id = idOf(target);
    let h = this.#targets.get(id);
    if (!h) this.#targets.set(id, (h = new Health()));
    return h;
  }

  /** Routing: is the key closed, cooling (open), or due for a probe (half-open)? `row`: its persisted breaker. */
  state(target: BreakerTarget, row: BreakerRow): BreakerState {
    const h = this.#targets.get(idOf(target));
    const until = Math.max(row.cooldownUntil ?? 0, h?.localUntil ?? 0);
    if (until === 0) return 'closed';
    const now = this.now();
    if (now < until) return 'open';
    return h && h.probeUntil > now ? 'open' : 'half_open';
  }

  /** A half-open key was chosen: this call is its probe, and other calls here skip it until it answers. */
  lease(target: BreakerTarget): void {
    this.#health(target).probeUntil = this.now() + PROBE_LEASE_MS;
  }

  /**
   * One attempt's outcome. `row`: the key's breaker as the router loaded it. Success closes the breaker; a counted
   * fault may open it; a dead key (disabled by the pipeline) and the client's own mistakes only show in the window.
   */
  record(target: BreakerTarget, row: BreakerRow | undefined, result: AttemptResult, ms: number): void {
    const persisted = row ?? NO_ROW;
    const h = this.#health(target);
    const now = this.now();
    if (persisted.cooldownUntil !== null) h.failures = Math.max(h.failures, persisted.consecutiveFailures);
    h.probeUntil = 0;
    if (result.outcome === 'done') {
      this.#sample(h, { at: now, ok: true, ms });
      const wasCooling = persisted.cooldownUntil !== null || h.localUntil !== 0;
      if (h.failures > 0 || persisted.consecutiveFailures > 0) h.dirty = !wasCooling; // closing writes the count
      h.failures = 0;
      h.localUntil = 0;
      if (wasCooling) {
        this.store
          .close(target)
          .then((recovered) => recovered && this.onIncident({ kind: 'recovered', target }))
          .catch(this.onError);
      }
      return;
    }
    const counted = result.fault !== undefined && this.settings().faults.includes(result.fault);
    if (!counted && !result.disable && result.fault === undefined) return; // the client's own mistake: says nothing
    this.#sample(h, { at: now, ok: false, ms });
    h.lastError = reasonOf(result);
    h.lastErrorAt = now;
    h.dirty = true;
    if (!counted) return;
    // Calls that were in flight when the breaker opened say nothing new: only a probe's failure lengthens the cooldown.
    if (Math.max(h.localUntil, persisted.cooldownUntil ?? 0) > now) return;
    h.failures++;
    const settings = this.settings();
    if (h.failures < settings.threshold) return;
    const until = now + cooldownMs(settings, h.failures);
    h.localUntil = until;
    h.dirty = false; // opening writes the count
    const state = { until: new Date(until), failures: h.failures, reason: h.lastError, at: new Date(now) };
    this.store
      .open(target, state)
      .then((outcome) => {
        if (outcome === 'opened') this.onIncident({ kind: 'cooled', target, until, failures: state.failures, reason: state.reason });
      })
      .catch(this.onError);
  }

  #sample(h: Health, s: Sample): void {
    h.samples.push(s);
    const from = s.at - WINDOW_MS;
    let drop = Math.max(0, h.samples.length - WINDOW_MAX);
    while (drop < h.samples.length && h.samples[drop]!.at < from) drop++;
    if (drop) h.samples.splice(0, drop);
  }

  /** What admins see of one key (or key-less channel): this instance's window, and the breaker (row or newer). */
  view(target: BreakerTarget, row: BreakerRow): HealthView {
    return summarize([this.#targets.get(idOf(target))], [row], this.now(), [this.state(target, row)]);
  }

  /** A channel's health over its keys: open only when every key is; the latest error of any. */
  channelView(targets: Array<{ target: BreakerTarget; row: BreakerRow }>): HealthView {
    const now = this.now();
    return summarize(
      targets.map((t) => this.#targets.get(idOf(t.target))),
      targets.map((t) => t.row),
      now,
      targets.map((t) => this.state(t.target, t.row)),
    );
  }

  /** Saves the changed cheap columns every few seconds, off the hot path. */
  start(): void {
    this.#timer ??= setInterval(() => void this.flush(), FLUSH_MS);
    this.#timer.unref();
  }

  async flush(): Promise<void> {
    if (this.#flushing) return this.#flushing;
    const rows: Parameters<BreakerStore['saveCounts']>[0] = [];
    for (const [id, h] of this.#targets) {
      if (!h.dirty) continue;
      h.dirty = false;
      const [channelId, keyId] = id.split(':');
      rows.push({ channelId: Number(channelId), keyId: keyId === '-' ? null : Number(keyId), failures: h.failures, lastError: h.lastError, lastErrorAt: h.lastErrorAt });
    }
    if (rows.length === 0) return;
    this.#flushing = this.store
      .saveCounts(rows)
      .catch(this.onError)
      .finally(() => (this.#flushing = undefined));
    return this.#flushing;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#flushing;
    await this.flush();
  }
}

/** Health from the persisted columns alone (no instance's window): for views built without the relay. */
export function persistedView(row: BreakerRow, now = Date.now()): HealthView {
  const state: BreakerState = row.cooldownUntil === null ? 'closed' : now < row.cooldownUntil ? 'open' : 'half_open';
  return summarize([undefined], [row], now, [state]);
}

/** What the management views need of the live health (RelayService.health). */
export type HealthSource = Pick<ChannelHealth, 'view' | 'channelView'>;

function summarize(healths: Array<Health | undefined>, rows: BreakerRow[], now: number, states: BreakerState[]): HealthView {
  const samples = healths.flatMap((h) => h?.samples.filter((s) => s.at >= now - WINDOW_MS) ?? []);
  const ok = samples.filter((s) => s.ok).map((s) => s.ms).sort((a, b) => a - b);
  let lastError: string | null = null;
  let lastErrorAt: number | null = null;
  let failures = Infinity;
  let cooldown: number | null = null;
  healths.forEach((h, i) => {
    const row = rows[i]!;
    const at = h?.lastErrorAt ?? row.lastErrorAt;
    if (at !== null && (lastErrorAt === null || at > lastErrorAt)) {
      lastErrorAt = at;
      lastError = h?.lastErrorAt ? h.lastError : row.lastError;
    }
    failures = Math.min(failures, Math.max(h?.failures ?? 0, row.consecutiveFailures));
    const until = Math.max(row.cooldownUntil ?? 0, h?.localUntil ?? 0);
    if (until > now) cooldown = cooldown === null ? until : Math.min(cooldown, until);
  });
  const state: BreakerState = states.length === 0 || states.some((s) => s === 'closed') ? 'closed' : states.some((s) => s === 'half_open') ? 'half_open' : 'open';
  return {
    state,
    requests: samples.length,
    successRate: samples.length ? ok.length / samples.length : null,
    p50LatencyMs: ok.length ? ok[Math.floor((ok.length - 1) / 2)]! : null,
    consecutiveFailures: Number.isFinite(failures) ? failures : 0,
    lastError,
    lastErrorAt: lastErrorAt === null ? null : new Date(lastErrorAt).toISOString(),
    cooldownUntil: state === 'open' && cooldown !== null ? new Date(cooldown).toISOString() : null,
  };
}
